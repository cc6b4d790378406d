package main

import (
	"bytes"
	"testing"

	"github.com/anontel/anontel/internal/otlpsink"
)

func TestSpansOfExistingProviderAreGatedAndMasked(t *testing.T) {
	tests := []struct {
		name       string
		doNotTrack bool
		args       []string
		wantCode   int
		wantSpans  int
	}{
		{"consent on, success", false, []string{"report", "--token", "valid-token"}, 0, 1},
		{"consent on, error quoting the secret", false, []string{"report", "--token", "s3cret-token"}, 1, 1},
		{"DO_NOT_TRACK", true, []string{"report", "--token", "s3cret-token"}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink, err := otlpsink.Start("")
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			t.Setenv("EXISTING_OTEL_TELEMETRY_ENDPOINT", sink.URL)
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			if tc.doNotTrack {
				t.Setenv("DO_NOT_TRACK", "1")
			}
			if code := run(tc.args); code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			spans := sink.Spans()
			if len(spans) != tc.wantSpans {
				t.Fatalf("%d spans, want %d", len(spans), tc.wantSpans)
			}
			if tc.wantSpans == 0 {
				if n := sink.Connections(); n != 0 {
					t.Errorf("%d connections with consent off", n)
				}
				return
			}
			if got := spans[0].Attributes["process.command_line"]; got != "existing-otel report --token *****" {
				t.Errorf("command line %q", got)
			}
			for _, body := range sink.Bodies() {
				if bytes.Contains(body, []byte(tc.args[2])) {
					t.Errorf("the token was sent")
				}
			}
		})
	}
}
