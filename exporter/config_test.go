package exporter

import (
	"errors"
	"strings"
	"testing"
)

func TestResolveEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		env      map[string]string
		want     string
		errHas   string
		wantNoEP bool
	}{
		{name: "default https", cfg: Config{Endpoint: "https://t.example.com"}, want: "https://t.example.com/v1/traces"},
		{name: "base path kept", cfg: Config{Endpoint: "https://t.example.com/otel/"}, want: "https://t.example.com/otel/v1/traces"},
		{name: "env overrides", cfg: Config{Endpoint: "https://t.example.com"},
			env: map[string]string{"PIPE_CTL_TELEMETRY_ENDPOINT": "https://team.example.org:4318"}, want: "https://team.example.org:4318/v1/traces"},
		{name: "empty env ignored", cfg: Config{Endpoint: "https://t.example.com"},
			env: map[string]string{"PIPE_CTL_TELEMETRY_ENDPOINT": " "}, want: "https://t.example.com/v1/traces"},
		{name: "OTEL variables do not apply", cfg: Config{Endpoint: "https://t.example.com"},
			env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://mine.example", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://mine.example/v1/traces"},
			want: "https://t.example.com/v1/traces"},
		{name: "http loopback ip", cfg: Config{Endpoint: "http://127.0.0.1:4318"}, want: "http://127.0.0.1:4318/v1/traces"},
		{name: "http localhost", cfg: Config{Endpoint: "http://localhost:4318"}, want: "http://localhost:4318/v1/traces"},
		{name: "http ipv6 loopback", cfg: Config{Endpoint: "http://[::1]:4318"}, want: "http://[::1]:4318/v1/traces"},
		{name: "http non-loopback rejected", cfg: Config{Endpoint: "http://t.example.com"}, errHas: "not allowed"},
		{name: "http non-loopback via env rejected", cfg: Config{Endpoint: "https://t.example.com"},
			env: map[string]string{"PIPE_CTL_TELEMETRY_ENDPOINT": "http://10.0.0.8:4318"}, errHas: "not allowed"},
		{name: "http non-loopback AllowInsecure", cfg: Config{Endpoint: "http://10.0.0.8:4318", AllowInsecure: true}, want: "http://10.0.0.8:4318/v1/traces"},
		{name: "no endpoint", cfg: Config{}, wantNoEP: true},
		{name: "garbage", cfg: Config{Endpoint: "::not a url"}, errHas: "not a valid URL"},
		{name: "no scheme", cfg: Config{Endpoint: "t.example.com:4318"}, errHas: "scheme"},
		{name: "ftp", cfg: Config{Endpoint: "ftp://t.example.com"}, errHas: "scheme"},
		{name: "no host", cfg: Config{Endpoint: "https:///v1"}, errHas: "no host"},
		{name: "fragment", cfg: Config{Endpoint: "https://t.example.com/#x"}, errHas: "plain base URL"},
		{name: "credentials not echoed", cfg: Config{Endpoint: "https://user:s3cret@t.example.com/%zz"}, errHas: "not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Tool = "pipe-ctl"
			cfg.LookupEnv = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			got, err := ResolveEndpoint(cfg)
			switch {
			case tc.wantNoEP:
				if !errors.Is(err, ErrNoEndpoint) {
					t.Fatalf("err = %v, want ErrNoEndpoint", err)
				}
			case tc.errHas != "":
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("ResolveEndpoint = %q, %v; want error containing %q", got, err, tc.errHas)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error echoes credentials: %v", err)
				}
			default:
				if err != nil || got != tc.want {
					t.Fatalf("ResolveEndpoint = %q, %v; want %q", got, err, tc.want)
				}
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	tests := []struct{ tool, endpoint, upload string }{
		{"pipectl", "PIPECTL_TELEMETRY_ENDPOINT", "PIPECTL_TELEMETRY_UPLOAD"},
		{"pipe-ctl.v2", "PIPE_CTL_V2_TELEMETRY_ENDPOINT", "PIPE_CTL_V2_TELEMETRY_UPLOAD"},
		{"kédro", "K__DRO_TELEMETRY_ENDPOINT", "K__DRO_TELEMETRY_UPLOAD"},
	}
	for _, tc := range tests {
		if got := EndpointEnv(tc.tool); got != tc.endpoint {
			t.Errorf("EndpointEnv(%q) = %q, want %q", tc.tool, got, tc.endpoint)
		}
		if got := UploaderEnv(tc.tool); got != tc.upload {
			t.Errorf("UploaderEnv(%q) = %q, want %q", tc.tool, got, tc.upload)
		}
	}
}

func TestIsUploader(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"PIPECTL_TELEMETRY_UPLOAD": "1"}, true},
		{map[string]string{"PIPECTL_TELEMETRY_UPLOAD": "0"}, false},
		{map[string]string{"PIPECTL_TELEMETRY_UPLOAD": "true"}, false},
	}
	for _, tc := range tests {
		if got := IsUploader(Config{Tool: "pipectl", LookupEnv: env(tc.env)}); got != tc.want {
			t.Errorf("IsUploader with %v = %v, want %v", tc.env, got, tc.want)
		}
	}
}
