//go:build unix

package lockfile

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLockRefusesFIFO: a FIFO at the path neither hangs the caller nor
// counts as a lock.
func TestLockRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Lock(path, time.Second); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnsafe) {
			t.Fatalf("Lock on a FIFO: %v, want ErrUnsafe", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock hangs on a FIFO")
	}
}
