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
// returns the first read's bytes without reading, and any replacement,
// edit or removal is seen at once.
func TestCacheReadsOnceWhileUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "telemetry.toml")
	write := func(s string) {
		t.Helper()
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
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

	read("", fs.ErrNotExist)
	write("consent = true\n")
	read("consent = true\n", nil)

	// Unchanged: answered from the cache. A sentinel put in the cache
	// comes back, so the file was not read again.
	c.files[path] = cachedFile{fi: c.files[path].fi, data: []byte("sentinel")}
	read("sentinel", nil)

	// Replaced (a new inode), same size and time: read again.
	fi, _ := os.Stat(path)
	write("consent = fals\n")
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	read("consent = fals\n", nil)

	// Edited in place, same size: the time changes.
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(path, []byte("consent = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read("consent = true\n", nil)

	os.Remove(path)
	read("", fs.ErrNotExist)
}
