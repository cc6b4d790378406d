//go:build unix

package readlimit

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFileFIFO: a FIFO in place of the file neither hangs nor is read.
func TestFileFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pyproject.toml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := File(path, 10); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("File on a FIFO: %v, want ErrNotRegular", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("File hangs on a FIFO")
	}
}
