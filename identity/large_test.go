package identity

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigProject writes a project file of at least size bytes: the marker
// table, then keys in one table, as a generated or hostile file would be.
func bigProject(t testing.TB, dir string, size, keys int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[tool.pipectl]\npackage_name = 'big'\n\n[tool.generated]\n")
	pad := 0
	if keys > 0 {
		pad = max(0, size/keys-len("key_00000 = ''\n"))
	}
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "key_%05d = '%s'\n", i, strings.Repeat("x", pad))
	}
	path := filepath.Join(dir, "pyproject.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLargeProjectFileLeftAlone: a project file over maxProjectFile still
// marks the project root (so its .telemetry counts) but gives no id and is
// not edited; at most maxProjectFile+1 bytes of it are read.
func TestLargeProjectFileLeftAlone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, keys int
	}{
		{name: "just over the limit", size: maxProjectFile + 1, keys: 2000},
		{name: "1 MB, 20000 keys", size: 1 << 20, keys: 20000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			bigProject(t, root, tc.size, tc.keys)
			start := filepath.Join(root, "src")
			if err := os.Mkdir(start, 0o755); err != nil {
				t.Fatal(err)
			}
			snap := snapshot(t, root)
			pr, ok := pipectl.Find(start)
			if !ok || pr.Root != root {
				t.Fatalf("Find = %+v, %v; want the root %s", pr, ok, root)
			}
			if got, ok := pipectl.root(start); !ok || got != root {
				t.Fatalf("Root = %q, %v", got, ok)
			}
			if id, err := pr.ID(); !errors.Is(err, errTooLarge) || id != "" {
				t.Fatalf("ID = %q, %v; want no id, errTooLarge", id, err)
			}
			if id, err := projectIDAt(root, pipectl); !errors.Is(err, errTooLarge) || id != "" {
				t.Fatalf("ProjectID = %q, %v; want no id, errTooLarge", id, err)
			}
			if snapshot(t, root) != snap {
				t.Fatal("a large project file was changed")
			}
		})
	}
}

// TestFindThenIDReadsOnce: with the id stored, Project.ID answers from what
// Find read: the file is not read again (here it is gone meanwhile).
func TestFindThenIDReadsOnce(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "pyproject.toml")
	write(t, path, "[tool.pipectl]\npackage_name = \"my_package\"\n[tool.pipectl_telemetry]\nproject_id = '0123456789abcdef0123456789abcdef'\n", 0o644)
	pr, ok := pipectl.Find(root)
	if !ok {
		t.Fatal("no project")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	got, err := pr.ID()
	const want = "daa6d7de5af9262d6e17e6556344d5344e9976aa4d16a01374c41cf2cba475a5c0161f6721fad964430aa9d26f784b1efc0a42a6f6c18e6b58201ada893ee2a8"
	if err != nil || got != want {
		t.Fatalf("ID = %q, %v; want %s without reading the file", got, err, want)
	}
	var none *Project
	if _, err := none.ID(); err == nil {
		t.Fatal("nil Project gave an id")
	}
}

// TestFindThenIDAddsToFreshFile: when the id must be added, the file is read
// again under the lock, so a change made after Find is kept, not
// overwritten with what Find saw.
func TestFindThenIDAddsToFreshFile(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "pyproject.toml")
	write(t, path, "[tool.pipectl]\npackage_name = 'p'\n", 0o644)
	pr, ok := pipectl.Find(root)
	if !ok {
		t.Fatal("no project")
	}
	write(t, path, "[tool.pipectl]\npackage_name = 'p'\n# edited by the command\n", 0o644)
	if _, err := pr.ID(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); !strings.Contains(got, "# edited by the command\n") || !strings.Contains(got, "project_id = '") {
		t.Fatalf("file is %q, want the edit kept and the id added", got)
	}
}

// BenchmarkFindLarge: what a large project file costs every command
// (Find, then ID), before consent is even known for Find.
func BenchmarkFindLarge(b *testing.B) {
	for _, tc := range []struct {
		name       string
		size, keys int
	}{
		{name: "4KB-100keys", size: 4 << 10, keys: 100},
		{name: "60KB-2000keys", size: 60 << 10, keys: 2000},
		{name: "1MB-20000keys", size: 1 << 20, keys: 20000},
		{name: "21MB", size: 21 << 20, keys: 20000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			root := b.TempDir()
			bigProject(b, root, tc.size, tc.keys)
			if pr, _ := pipectl.Find(root); pr != nil {
				pr.ID() // the id is stored once, as on a first run
			}
			for b.Loop() {
				pr, ok := pipectl.Find(root)
				if !ok {
					b.Fatal("no project")
				}
				pr.ID()
			}
		})
	}
}
