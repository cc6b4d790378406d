//go:build unix

package lockfile

import (
	"errors"
	"os"
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

// TestLockOwnReplacesUnsafeEntries: in a folder of ours, a symbolic link,
// a FIFO or a hard link to another file at the lock's path is removed
// (what it points to is left as it was) and the lock is taken; the plain
// TryLock refuses each.
func TestLockOwnReplacesUnsafeEntries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(path, other string) error
	}{
		{"symbolic link", func(path, other string) error { return os.Symlink(other, path) }},
		{"FIFO", func(path, _ string) error { return syscall.Mkfifo(path, 0o600) }},
		{"hard link", func(path, other string) error { return os.Link(other, path) }},
	} {
		dir := t.TempDir()
		path, other := filepath.Join(dir, "x.lock"), filepath.Join(dir, "other")
		if err := os.WriteFile(other, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := tc.plant(path, other); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := TryLock(path); !errors.Is(err, ErrUnsafe) {
			t.Errorf("%s: TryLock = %v, want ErrUnsafe", tc.name, err)
		}
		held, err := TryLockOwn(path)
		if err != nil {
			t.Fatalf("%s: TryLockOwn: %v", tc.name, err)
		}
		if _, err := TryLock(path); !errors.Is(err, ErrBusy) {
			t.Errorf("%s: after TryLockOwn the lock is not held: %v", tc.name, err)
		}
		held.Unlock()
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: the lock file is %v, %v; want a regular file", tc.name, fi, err)
		}
		if data, err := os.ReadFile(other); string(data) != "keep" || err != nil {
			t.Errorf("%s: what the entry pointed to changed: %q, %v", tc.name, data, err)
		}
	}
}
