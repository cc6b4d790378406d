package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockCreatesPrivateFileAndExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	h, err := Lock(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != Perm {
		t.Fatalf("lock file: %v, %v; want a regular 0600 file", fi.Mode(), err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrBusy) {
		t.Fatalf("TryLock while held: %v, want ErrBusy", err)
	}
	start := time.Now()
	if _, err := Lock(path, 50*time.Millisecond); !errors.Is(err, ErrBusy) {
		t.Fatalf("Lock while held: %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("Lock gave up after %v, before its timeout", waited)
	}
	if err := h.Unlock(); err != nil {
		t.Fatal(err)
	}
	h2, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	h2.Unlock()
	h2.Unlock() // twice is fine
	(*Held)(nil).Unlock()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("lock file removed: %v", err)
	}
}

// TestLockRefusesSymlink: a link planted at the lock file's path is not
// followed, so its target is neither created nor locked.
func TestLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		target string
		exists bool
	}{
		{name: "dangling link", target: filepath.Join(dir, "victim-new")},
		{name: "link to a file", target: filepath.Join(dir, "victim"), exists: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.exists {
				if err := os.WriteFile(tc.target, []byte("data"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(t.TempDir(), "upload.lock")
			if err := os.Symlink(tc.target, link); err != nil {
				t.Skipf("no symlinks: %v", err)
			}
			for name, lock := range map[string]func() (*Held, error){
				"Lock":    func() (*Held, error) { return Lock(link, 100*time.Millisecond) },
				"TryLock": func() (*Held, error) { return TryLock(link) },
			} {
				h, err := lock()
				if !errors.Is(err, ErrUnsafe) {
					h.Unlock()
					t.Fatalf("%s through a link: %v, want ErrUnsafe", name, err)
				}
			}
			_, err := os.Lstat(tc.target)
			if !tc.exists && !os.IsNotExist(err) {
				t.Fatalf("the link's target was created (%v)", err)
			}
			if tc.exists {
				if b, _ := os.ReadFile(tc.target); string(b) != "data" {
					t.Fatalf("target changed: %q", b)
				}
				if h, err := TryLock(tc.target); err != nil {
					t.Fatalf("target was left locked: %v", err)
				} else {
					h.Unlock()
				}
			}
		})
	}
}

func TestLockMissingFolder(t *testing.T) {
	if _, err := TryLock(filepath.Join(t.TempDir(), "absent", "x.lock")); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("TryLock in a missing folder: %v, want an error other than ErrBusy", err)
	}
}
