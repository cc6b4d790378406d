//go:build !notelemetry

package instrument

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkConsentOff is what a command pays when the user opted out with
// DO_NOT_TRACK, inside a project: Start, the span calls and Shutdown.
func BenchmarkConsentOff(b *testing.B) {
	var stderr bytes.Buffer
	cfg := projectCommand(b, home(b), &stderr, env("DO_NOT_TRACK", "1"))
	b.ReportAllocs()
	for b.Loop() {
		runCommand(cfg)
	}
}

// BenchmarkConsentOn is what a recorded command pays in-process, inside a
// project, with the notice long shown and the ids made: Start, the span,
// End and Shutdown (the spool write). The uploader's start is paced away,
// as it is for all but one command a minute.
func BenchmarkConsentOn(b *testing.B) {
	dir := home(b)
	user := userFile(b, dir, "[telemetry]\nconsent = true\nnotice_shown = '2020-01-01T00:00:00Z'\n")
	var stderr bytes.Buffer
	cfg := projectCommand(b, dir, &stderr, env("TOOL_TELEMETRY_UPLOAD_INTERVAL", "1h"))
	spoolDir := holdUploadWait(b, cfg)
	runCommand(cfg) // makes the ids
	// The file as a user's is: written long ago (see readlimit.Cache).
	old := time.Now().Add(-time.Hour)
	os.Chtimes(user, old, old)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		runCommand(cfg)
		if stderr.Len() > 0 {
			b.Fatalf("stderr: %s", stderr.String())
		}
		if i%50 == 49 {
			// A user's spool is sent every minute: keep it as small.
			b.StopTimer()
			files, _ := filepath.Glob(filepath.Join(spoolDir, "*.otlp"))
			for _, f := range files {
				os.Remove(f)
			}
			b.StartTimer()
		}
	}
}
