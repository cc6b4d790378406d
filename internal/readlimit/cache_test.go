package readlimit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCacheReadsOnceWhileUnchanged: the second read of an unchanged file
// returns the first read's bytes without reading; a replacement, an edit,
// a removal, or any file modified just before it was read is read again.
func TestCacheReadsOnceWhileUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "telemetry.toml")
	old := time.Now().Add(-time.Hour)
	// write replaces the file, as our writes do, with modification time mt.
	write := func(s string, mt time.Time) {
		t.Helper()
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mt, mt); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	var c Cache
	read := func(want string, wantErr error) {
		t.Helper()
		got, err := c.File(path)
		if string(got) != want || !errors.Is(err, wantErr) {
			t.Fatalf("File = %q, %v; want %q, %v", got, err, want, wantErr)
		}
	}
	// fromCache reports whether File answered from the cache: a sentinel
	// put there comes back only if the file was not read.
	fromCache := func() bool {
		t.Helper()
		e := c.files[path]
		e.data = []byte("sentinel")
		c.files[path] = e
		got, _ := c.File(path)
		return string(got) == "sentinel"
	}

	read("", fs.ErrNotExist)
	write("consent = true\n", old)
	read("consent = true\n", nil)
	if !fromCache() {
		t.Error("an unchanged file was read again")
	}

	// Replaced (a new file), same size and time: read again.
	write("consent = fals\n", old)
	read("consent = fals\n", nil)

	// Edited in place, same size, a new time.
	if err := os.WriteFile(path, []byte("consent = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read("consent = true\n", nil)
	// Modified just before it was read: a coarse clock could give an edit
	// in the same tick the same time, so it is never trusted.
	if fromCache() {
		t.Error("a file modified just before it was read was answered from the cache")
	}

	os.Remove(path)
	read("", fs.ErrNotExist)
}
