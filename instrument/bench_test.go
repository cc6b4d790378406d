//go:build !notelemetry

package instrument

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkConsentOff is what a command pays when the user opted out with
// DO_NOT_TRACK, inside a project: Start, the span calls and Shutdown.
func BenchmarkConsentOff(b *testing.B) {
	dir := b.TempDir()
	project := filepath.Join(dir, "a", "b", "c")
	os.MkdirAll(project, 0o755)
	os.WriteFile(filepath.Join(dir, "a", "pyproject.toml"), []byte("[tool.tool]\npackage_name = \"p\"\n"), 0o644)
	b.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	b.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	var stderr bytes.Buffer
	cfg := testConfig([]string{"run", "-p", "x"}, &stderr, env("DO_NOT_TRACK", "1"))
	cfg.WorkDir = project
	cfg.Project.Name = "pyproject.toml"
	cfg.Project.Table = "tool.tool"
	b.ReportAllocs()
	for b.Loop() {
		t := Start(cfg)
		inv := t.Begin(context.Background())
		inv.End(0, nil)
		t.Shutdown()
	}
}

// BenchmarkConsentOn is what a recorded command pays in-process, inside a
// project, with the notice long shown and the ids made: Start, the span,
// End and Shutdown (the spool write). The uploader's start is paced away,
// as it is for all but one command a minute.
func BenchmarkConsentOn(b *testing.B) {
	dir := b.TempDir()
	project := filepath.Join(dir, "a", "b", "c")
	os.MkdirAll(project, 0o755)
	os.WriteFile(filepath.Join(dir, "a", "pyproject.toml"), []byte("[tool.tool]\npackage_name = \"p\"\n"), 0o644)
	config := filepath.Join(dir, "config", "tool")
	os.MkdirAll(config, 0o700)
	os.WriteFile(filepath.Join(config, "telemetry.toml"), []byte("[telemetry]\nconsent = true\nnotice_shown = '2020-01-01T00:00:00Z'\n"), 0o600)
	b.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	b.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	var stderr bytes.Buffer
	cfg := testConfig([]string{"run", "-p", "x"}, &stderr, env("TOOL_TELEMETRY_UPLOAD_INTERVAL", "1h"))
	cfg.WorkDir = project
	cfg.Project.Name = "pyproject.toml"
	cfg.Project.Table = "tool.tool"
	once := func() {
		t := Start(cfg)
		inv := t.Begin(context.Background())
		inv.End(0, nil)
		t.Shutdown()
	}
	spoolDir := holdUploadWait(b, cfg)
	once() // makes the ids
	// The file as a user's is: written long ago (see readlimit.Cache).
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(config, "telemetry.toml"), old, old)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		once()
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
