//go:build !notelemetry

package instrument

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
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
