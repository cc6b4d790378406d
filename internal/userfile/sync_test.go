package userfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/anontel/anontel/internal/atomicfile"
)

// TestOnlyANewNoticeIsNotFlushed: a write is flushed to disk before its
// rename, so that a crash cannot empty the file, except the notice in a
// new file (a first run), where a crash loses nothing that was there.
func TestOnlyANewNoticeIsNotFlushed(t *testing.T) {
	var synced []bool
	writeFile = func(path string, data []byte, perm os.FileMode, sync bool) error {
		synced = append(synced, sync)
		return atomicfile.WriteFile(path, data, perm, sync)
	}
	t.Cleanup(func() { writeFile = atomicfile.WriteFile })
	for _, tc := range []struct {
		name     string
		existing string // "" : no file
		write    func(path string) error
		want     bool
	}{
		{"notice, new file", "", func(p string) error { _, err := SetIfAbsent(p, "notice_shown", "x"); return err }, false},
		{"notice, file with a choice", "[telemetry]\nconsent = false\n", func(p string) error { _, err := SetIfAbsent(p, "notice_shown", "x"); return err }, true},
		{"choice, new file", "", func(p string) error { return Set(p, "consent", false) }, true},
		{"choice, existing file", "[telemetry]\nnotice_shown = 'x'\n", func(p string) error { return Set(p, "consent", false) }, true},
	} {
		path := filepath.Join(t.TempDir(), "tool", "telemetry.toml")
		if tc.existing != "" {
			os.MkdirAll(filepath.Dir(path), 0o700)
			os.WriteFile(path, []byte(tc.existing), 0o600)
		}
		synced = nil
		if err := tc.write(path); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(synced) != 1 || synced[0] != tc.want {
			t.Errorf("%s: flushed %v, want [%v]", tc.name, synced, tc.want)
		}
	}
}
