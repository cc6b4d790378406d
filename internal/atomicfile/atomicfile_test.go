package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name string
		old  []byte // nil: no file before
		data []byte
		perm os.FileMode
		sync bool
	}{
		{name: "new file", data: []byte("a = 1\n"), perm: 0o600, sync: true},
		{name: "replace", old: []byte("old"), data: []byte("new"), perm: 0o644},
		{name: "empty", old: []byte("old"), data: nil, perm: 0o600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.toml")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tc.data, tc.perm, tc.sync); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tc.data) {
				t.Errorf("content = %q, want %q", got, tc.data)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.perm)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only the file (temporary left behind?)", len(entries))
			}
		})
	}
}

func TestWriteFileMissingFolderLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "absent", "f")
	if err := WriteFile(path, []byte("x"), 0o600, false); err == nil {
		t.Fatal("WriteFile into a missing folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "absent")); !os.IsNotExist(err) {
		t.Errorf("missing folder was created: %v", err)
	}
}

// TestWriteFileCleansStaleTemporaries simulates writes killed between
// write and rename: their temporaries, made here with an old mtime, are
// removed by the next write of the same file. Young temporaries (a write
// at work), other files' temporaries and look-alikes stay.
func TestWriteFileCleansStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pyproject.toml")
	old := time.Now().Add(-2 * StaleAge)
	entries := []struct {
		name    string
		old     bool
		dir     bool
		removed bool
	}{
		{name: ".pyproject.toml.tmp-123456789", old: true, removed: true},
		{name: ".pyproject.toml.tmp-1", old: true, removed: true},
		{name: ".pyproject.toml.tmp-42"},                               // young: a write at work
		{name: ".other.toml.tmp-123", old: true},                       // another file's
		{name: ".pyproject.toml.tmp-12ab", old: true},                  // not our digits
		{name: ".pyproject.toml.tmp-", old: true},                      // no digits
		{name: "pyproject.toml.tmp-123", old: true},                    // no leading dot
		{name: ".pyproject.toml.tmp-123.bak", old: true},               // a suffix
		{name: ".pyproject.toml.tmp-77", old: true, dir: true},         // a folder
		{name: "..pyproject.toml.tmp-123", old: true},                  // base ".pyproject.toml"
		{name: ".pyproject.toml.tmp-123456789012345678901", old: true}, // too many digits
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.name)
		if e.dir {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if e.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := WriteFile(path, []byte("[tool.x]\n"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		_, err := os.Lstat(filepath.Join(dir, e.name))
		if gone := os.IsNotExist(err); gone != e.removed {
			t.Errorf("%s: removed=%v, want %v", e.name, gone, e.removed)
		}
	}
	if n := CleanStaleDir(dir, time.Now()); n != 2 {
		t.Errorf("CleanStaleDir removed %d, want 2 (.other.toml.tmp-123, ..pyproject.toml.tmp-123)", n)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".pyproject.toml.tmp-42")); err != nil {
		t.Errorf("CleanStaleDir removed a young temporary: %v", err)
	}
}

func TestTempBase(t *testing.T) {
	tests := []struct {
		name, base string
		ok         bool
	}{
		{".telemetry.toml.tmp-3", "telemetry.toml", true},
		{".upload.next.tmp-4294967295", "upload.next", true},
		{".a.tmp-b.tmp-9", "a.tmp-b", true},
		{".tmp-9", "", false},
		{"telemetry.toml.tmp-3", "", false},
		{".telemetry.toml.tmp-3x", "", false},
		{".telemetry.toml", "", false},
	}
	for _, tc := range tests {
		base, ok := TempBase(tc.name)
		if base != tc.base || ok != tc.ok {
			t.Errorf("TempBase(%q) = %q, %v; want %q, %v", tc.name, base, ok, tc.base, tc.ok)
		}
	}
}

// TestWriteFileUnnamedWhileWriting: on Linux the temporary file has no name
// while the data is written, so a kill then leaves nothing in the folder.
func TestWriteFileUnnamedWhileWriting(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("O_TMPFILE is Linux only; elsewhere stale temporaries are cleaned by the next write")
	}
	dir := t.TempDir()
	if f, err := createUnnamed(dir); err != nil {
		t.Skipf("file system without O_TMPFILE: %v", err)
	} else {
		f.Close()
	}
	var during []string
	afterWrite = func(dir string) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			during = append(during, e.Name())
		}
	}
	t.Cleanup(func() { afterWrite = nil })
	if err := WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("x"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	if len(during) != 0 {
		t.Fatalf("named files while writing: %v", during)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "pyproject.toml")); string(got) != "x" {
		t.Fatalf("content %q", got)
	}
}
