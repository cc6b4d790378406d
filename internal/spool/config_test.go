package spool

import (
	"testing"
)

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
