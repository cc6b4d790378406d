package otlphttp

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name          string
		base          string
		allowInsecure bool
		env           map[string]string
		want          string
		errHas        string
		wantNoEP      bool
	}{
		{name: "default https", base: "https://t.example.com", want: "https://t.example.com/v1/traces"},
		{name: "base path kept", base: "https://t.example.com/otel/", want: "https://t.example.com/otel/v1/traces"},
		{name: "env overrides", base: "https://t.example.com",
			env: map[string]string{"PIPE_CTL_TELEMETRY_ENDPOINT": "https://team.example.org:4318"}, want: "https://team.example.org:4318/v1/traces"},
		{name: "empty env ignored", base: "https://t.example.com",
			env: map[string]string{"PIPE_CTL_TELEMETRY_ENDPOINT": " "}, want: "https://t.example.com/v1/traces"},
		{name: "OTEL variables do not apply", base: "https://t.example.com",
			env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://mine.example", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://mine.example/v1/traces"},
			want: "https://t.example.com/v1/traces"},
		{name: "http loopback ip", base: "http://127.0.0.1:4318", want: "http://127.0.0.1:4318/v1/traces"},
		{name: "http localhost", base: "http://localhost:4318", want: "http://localhost:4318/v1/traces"},
		{name: "http ipv6 loopback", base: "http://[::1]:4318", want: "http://[::1]:4318/v1/traces"},
		{name: "http non-loopback rejected", base: "http://t.example.com", errHas: "not allowed"},
		{name: "http non-loopback via env rejected", base: "https://t.example.com",
			env: map[string]string{"PIPE_CTL_TELEMETRY_ENDPOINT": "http://10.0.0.8:4318"}, errHas: "not allowed"},
		{name: "http non-loopback AllowInsecure", base: "http://10.0.0.8:4318", allowInsecure: true, want: "http://10.0.0.8:4318/v1/traces"},
		{name: "no endpoint", wantNoEP: true},
		{name: "garbage", base: "::not a url", errHas: "not a valid URL"},
		{name: "no scheme", base: "t.example.com:4318", errHas: "scheme"},
		{name: "ftp", base: "ftp://t.example.com", errHas: "scheme"},
		{name: "no host", base: "https:///v1", errHas: "no host"},
		{name: "fragment", base: "https://t.example.com/#x", errHas: "plain base URL"},
		{name: "credentials not echoed", base: "https://user:s3cret@t.example.com/%zz", errHas: "not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			got, err := Resolve("pipe-ctl", tc.base, tc.allowInsecure, lookup)
			switch {
			case tc.wantNoEP:
				if !errors.Is(err, ErrNoEndpoint) {
					t.Fatalf("err = %v, want ErrNoEndpoint", err)
				}
			case tc.errHas != "":
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("Resolve = %q, %v; want error containing %q", got, err, tc.errHas)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error echoes credentials: %v", err)
				}
			default:
				if err != nil || got != tc.want {
					t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
				}
			}
		})
	}
}

// Redact leaves no credential: a user name alone can be a token, and a
// query can hold a key.
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://t.example.com/v1/traces":                       "https://t.example.com/v1/traces",
		"http://SECRETTOKEN@127.0.0.1:9/v1/traces":              "http://127.0.0.1:9/v1/traces",
		"https://user:pass@t.example.com/v1/traces":             "https://t.example.com/v1/traces",
		"https://t.example.com/v1/traces?api_key=SECRETKEY&x=1": "https://t.example.com/v1/traces?redacted",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
