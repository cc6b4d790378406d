//go:build unix

package consent

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDecideFIFONeverHangs: a FIFO in place of .telemetry or
// telemetry.toml would block a plain read for ever (the host command with
// it); it is unreadable, so off.
func TestDecideFIFONeverHangs(t *testing.T) {
	for _, which := range []string{"project", "user"} {
		t.Run(which, func(t *testing.T) {
			root := t.TempDir()
			cfg := Config{Tool: "pipectl", LookupEnv: env(nil)}
			var fifo string
			if which == "project" {
				cfg.ProjectRoot = root
				fifo = filepath.Join(root, ".telemetry")
			} else {
				cfg.UserFile = filepath.Join(root, "telemetry.toml")
				fifo = cfg.UserFile
			}
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan Decision, 1)
			go func() { done <- Decide(cfg) }()
			select {
			case d := <-done:
				if d.Enabled || !strings.Contains(d.Detail, "unreadable") {
					t.Fatalf("Decide = %+v, want off: unreadable", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Decide hangs on a FIFO")
			}
		})
	}
}
