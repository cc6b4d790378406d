package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
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
