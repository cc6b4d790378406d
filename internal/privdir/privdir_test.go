package privdir

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestEnsure(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes are ACLs on Windows")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  os.FileMode
	}{
		{name: "missing: created 0700 with parents", setup: func(*testing.T, string) {}, want: 0o700},
		{name: "0777 tightened", setup: mkdirMode(0o777), want: 0o700},
		{name: "0755 tightened", setup: mkdirMode(0o755), want: 0o700},
		{name: "0700 kept", setup: mkdirMode(0o700), want: 0o700},
		{name: "0500 (owner's read-only choice) kept", setup: mkdirMode(0o500), want: 0o500},
		{name: "0750 tightened to 0700", setup: mkdirMode(0o750), want: 0o700},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config", "pipectl")
			tc.setup(t, path)
			t.Cleanup(func() { os.Chmod(path, 0o700) })
			if err := Ensure(path); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != tc.want {
				t.Fatalf("folder %v (%v), want a folder %v", fi.Mode(), err, tc.want)
			}
			if err := Check(path); err != nil {
				t.Fatalf("Check after Ensure: %v", err)
			}
		})
	}
}

// TestEnsureRefusesSymlink: a linked folder is refused and its target is
// neither chmod'ed nor written.
func TestEnsureRefusesSymlink(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o777)
	link := filepath.Join(tmp, "pipectl")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	for name, f := range map[string]func(string) error{"Ensure": Ensure, "Check": Check} {
		if err := f(link); !errors.Is(err, ErrUnsafe) {
			t.Fatalf("%s on a link: %v, want ErrUnsafe", name, err)
		}
	}
	if fi, _ := os.Stat(target); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o777 {
		t.Fatalf("link target chmod'ed to %v", fi.Mode().Perm())
	}
	// A dangling link is refused too, not created through.
	dangling := filepath.Join(tmp, "dangling")
	os.Symlink(filepath.Join(tmp, "nothing"), dangling)
	if err := Ensure(dangling); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Ensure on a dangling link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(tmp, "nothing")); !os.IsNotExist(err) {
		t.Fatal("dangling link's target created")
	}
}

func TestEnsureRefusesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipectl")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(string) error{"Ensure": Ensure, "Check": Check} {
		if err := f(path); !errors.Is(err, ErrUnsafe) {
			t.Fatalf("%s on a file: %v, want ErrUnsafe", name, err)
		}
	}
}

func TestCheckChangesNothing(t *testing.T) {
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "missing")
	if err := Check(missing); err != nil {
		t.Fatalf("Check(missing) = %v", err)
	}
	if _, err := os.Lstat(missing); !os.IsNotExist(err) {
		t.Fatal("Check created the folder")
	}
	loose := filepath.Join(tmp, "loose")
	os.Mkdir(loose, 0o700)
	os.Chmod(loose, 0o777)
	if err := Check(loose); err != nil {
		t.Fatalf("Check(loose folder of ours) = %v", err)
	}
	if fi, _ := os.Stat(loose); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o777 {
		t.Fatal("Check changed the mode")
	}
}

func mkdirMode(m os.FileMode) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.MkdirAll(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, m); err != nil {
			t.Fatal(err)
		}
	}
}
