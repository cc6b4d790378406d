package main

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/anontel/anontel/internal/otlpsink"
)

func startSink(t *testing.T) *otlpsink.Sink {
	t.Helper()
	s, err := otlpsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// spanNames lists the names of what a sink accepted, sorted.
func spanNames(s *otlpsink.Sink) []string {
	names := s.Accepted()
	slices.Sort(names)
	return names
}

func noSecret(t *testing.T, s *otlpsink.Sink, secret string) {
	t.Helper()
	for _, body := range s.Bodies() {
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("%q was sent to %s", secret, s.URL)
		}
	}
}

func TestGatedOwnPipeline(t *testing.T) {
	tests := []struct {
		name       string
		doNotTrack bool
		args       []string
		wantCode   int
		wantSpans  []string
	}{
		{"consent on, success", false, []string{"report", "--token", "valid-token"}, 0, []string{"existing-otel report", "report"}},
		{"consent on, error quoting the secret", false, []string{"report", "--token", "s3cret-token"}, 1, []string{"existing-otel report", "report"}},
		{"DO_NOT_TRACK", true, []string{"report", "--token", "s3cret-token"}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			own := startSink(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", own.URL)
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=alice-laptop,user.name=alice")
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			t.Setenv("EXISTING_OTEL_SETUP", "")
			if tc.doNotTrack {
				t.Setenv("DO_NOT_TRACK", "1")
			}
			if code := run(tc.args); code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if got := spanNames(own); !slices.Equal(got, tc.wantSpans) {
				t.Fatalf("own backend got %q, want %q", got, tc.wantSpans)
			}
			if tc.wantSpans == nil {
				if n := own.Connections(); n != 0 {
					t.Errorf("%d connections with consent off", n)
				}
				return
			}
			for _, s := range own.Spans() {
				if got := s.Attributes["process.command_line"]; got != "existing-otel report --token *****" {
					t.Errorf("%s: command line %q", s.Name, got)
				}
			}
			noSecret(t, own, tc.args[2])
			// The program's resource is replaced by the fixed one.
			noSecret(t, own, "alice-laptop")
			if got := own.Spans()[0].Resource["service.name"]; got != "existing-otel" {
				t.Errorf("service.name %v", got)
			}
		})
	}
}

// In the split setup, the program's own traces reach its own backend as
// they always did, consent or not, and only the usage span, masked,
// reaches the vendor, only with consent.
func TestSplitOwnTracesAndUsage(t *testing.T) {
	for _, doNotTrack := range []bool{false, true} {
		own, vendor := startSink(t), startSink(t)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", own.URL)
		t.Setenv("EXISTING_OTEL_TELEMETRY_ENDPOINT", vendor.URL)
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		t.Setenv("EXISTING_OTEL_SETUP", "split")
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=alice-laptop,user.name=alice")
		if doNotTrack {
			t.Setenv("DO_NOT_TRACK", "1")
		} else {
			unsetenv(t, "DO_NOT_TRACK")
		}
		args := []string{"report", "--token", "s3cret-token"}
		if code := run(args); code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if got := spanNames(own); !slices.Equal(got, []string{"existing-otel report", "report"}) {
			t.Errorf("DO_NOT_TRACK=%v: own backend got %q", doNotTrack, got)
		}
		if doNotTrack {
			if n := vendor.Connections(); n != 0 {
				t.Errorf("vendor got %d connections with consent off", n)
			}
			continue
		}
		if got := spanNames(vendor); !slices.Equal(got, []string{"existing-otel report"}) {
			t.Fatalf("vendor got %q, want the usage span only", got)
		}
		if got := vendor.Spans()[0].Attributes["process.command_line"]; got != "existing-otel report --token *****" {
			t.Errorf("vendor command line %q", got)
		}
		noSecret(t, vendor, "s3cret-token")
		noSecret(t, vendor, "alice-laptop")
		if got := vendor.Spans()[0].Resource["service.version"]; got != version {
			t.Errorf("vendor resource service.version %v", got)
		}
	}
}

// unsetenv removes name for the rest of the test; t.Setenv first records
// the value to restore.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
