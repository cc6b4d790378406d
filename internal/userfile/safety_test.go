package userfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/anontel/anontel/internal/privdir"
)

// TestUpdateTightensFolder: a config folder of ours left at 0777 (where
// another local user could swap telemetry.toml) is tightened to 0700.
func TestUpdateTightensFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes are ACLs on Windows")
	}
	dir := filepath.Join(t.TempDir(), "pipectl")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := Set(filepath.Join(dir, "telemetry.toml"), "consent", true); err != nil {
		t.Fatal(err)
	}
	mode(t, dir, 0o700|os.ModeDir)
}

// TestUpdateRefusesLinkedFolder: a config folder that is a symbolic link is
// refused: nothing is written through it, its target keeps its mode.
func TestUpdateRefusesLinkedFolder(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, "pipectl")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	path := filepath.Join(link, "telemetry.toml")
	for name, call := range map[string]func() error{
		"Set":         func() error { return Set(path, "uuid", "u") },
		"SetIfAbsent": func() error { _, err := SetIfAbsent(path, "notice_shown", "x"); return err },
		"Check":       func() error { return Check(path) },
	} {
		err := call()
		if !errors.Is(err, ErrUnsafe) || !errors.Is(err, privdir.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("%s through a linked folder: %v, want ErrUnsafe naming the link", name, err)
		}
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Fatalf("written through the link: %v", entries)
	}
	if runtime.GOOS != "windows" {
		mode(t, target, 0o755|os.ModeDir)
	}
}

// TestUpdateRefusesForeignFolder needs root to give a folder away.
func TestUpdateRefusesForeignFolder(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root (chown) on Unix")
	}
	dir := filepath.Join(t.TempDir(), "pipectl")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Skipf("chown: %v", err)
	}
	err := Set(filepath.Join(dir, "telemetry.toml"), "uuid", "u")
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "another user") {
		t.Fatalf("Set in another user's folder: %v, want ErrUnsafe", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("written into another user's folder: %v", entries)
	}
	mode(t, dir, 0o777|os.ModeDir)
}

// TestUpdateLockFileLinkNotFollowed: a link planted as telemetry.toml.lock
// does not make us create (or lock) its target, nor keep the user from
// saying no: the link, in our own folder, is removed, never its target.
func TestUpdateLockFileLinkNotFollowed(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "pipectl")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(tmp, "victim")
	if err := os.Symlink(victim, filepath.Join(dir, "telemetry.toml.lock")); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	if err := Set(filepath.Join(dir, "telemetry.toml"), "consent", false); err != nil {
		t.Fatalf("a planted lock link kept the user from saying no: %v", err)
	}
	if _, err := os.Lstat(victim); !os.IsNotExist(err) {
		t.Fatalf("the lock link's target was created (%v)", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "telemetry.toml.lock")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the lock file is not a regular file of ours: %v", err)
	}
}

// TestSetThroughLinkedFile: a telemetry.toml kept by a dotfiles manager (a
// link to a regular file of ours) is written through; the link stays.
func TestSetThroughLinkedFile(t *testing.T) {
	tmp := t.TempDir()
	dotfiles := filepath.Join(tmp, "dotfiles")
	if err := os.Mkdir(dotfiles, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dotfiles, "telemetry.toml")
	if err := os.WriteFile(target, []byte("# mine\n[telemetry]\nconsent = true\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o640)
	dir := filepath.Join(tmp, "config", "pipectl")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "telemetry.toml")
	if err := os.Symlink(target, path); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	if err := Check(path); err != nil {
		t.Fatalf("Check: %v", err)
	}
	created, err := SetIfAbsent(path, "uuid", "u")
	if err != nil || !created {
		t.Fatalf("SetIfAbsent through the link = %v, %v", created, err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced (%v)", err)
	}
	if got, want := read(t, target), "# mine\n[telemetry]\nconsent = true\nuuid = 'u'\n"; got != want {
		t.Fatalf("target holds %q, want %q", got, want)
	}
	if runtime.GOOS != "windows" {
		mode(t, target, 0o640)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dotfiles, ".telemetry.toml.tmp-*")); len(tmps) != 0 {
		t.Fatalf("temporaries left: %v", tmps)
	}
}

// TestLinkedFileNotOurs: a link to something we must not write is left
// alone, with the reason.
func TestLinkedFileNotOurs(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, target string)
		why   string
	}{
		{name: "dangling", setup: func(*testing.T, string) {}, why: "leads nowhere"},
		{name: "read-only target", setup: func(t *testing.T, target string) {
			os.WriteFile(target, []byte("[telemetry]\n"), 0o444)
			os.Chmod(target, 0o444)
		}, why: "read-only"},
		{name: "folder target", setup: func(t *testing.T, target string) { os.Mkdir(target, 0o700) }, why: "not a regular file"},
		{name: "another user's target", setup: func(t *testing.T, target string) {
			if runtime.GOOS == "windows" || os.Geteuid() != 0 {
				t.Skip("needs root (chown) on Unix")
			}
			os.WriteFile(target, []byte("[telemetry]\n"), 0o666)
			if err := os.Chown(target, 65534, 65534); err != nil {
				t.Skipf("chown: %v", err)
			}
		}, why: "another user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			target := filepath.Join(tmp, "target.toml")
			tc.setup(t, target)
			dir := filepath.Join(tmp, "pipectl")
			os.Mkdir(dir, 0o700)
			path := filepath.Join(dir, "telemetry.toml")
			if err := os.Symlink(target, path); err != nil {
				t.Skipf("no symlinks: %v", err)
			}
			before, _ := os.Lstat(target)
			for name, call := range map[string]func() error{
				"Check": func() error { return Check(path) },
				"Set":   func() error { return Set(path, "uuid", "u") },
			} {
				err := call()
				if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("%s: %v, want ErrUnsafe saying %q", name, err, tc.why)
				}
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link was replaced (%v)", err)
			}
			if after, _ := os.Lstat(target); before != nil && (after.ModTime() != before.ModTime() || after.Size() != before.Size()) {
				t.Fatal("target changed")
			}
		})
	}
}
