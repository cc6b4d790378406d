package identity

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

var pipectl = ProjectFile{
	Name:           "pyproject.toml",
	Table:          "tool.pipectl",
	PackageNameKey: "package_name",
	IDTable:        "tool.pipectl_telemetry",
	IDKey:          "project_id",
}

var hex128 = regexp.MustCompile(`^[0-9a-f]{128}$`)

func TestRoot(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // relative path -> content
		start string
		want  string // relative; "-" = not in a project
	}{
		{name: "start is the root", files: map[string]string{"p/pyproject.toml": "[tool.pipectl]\n"}, start: "p", want: "p"},
		{name: "nearest ancestor", files: map[string]string{"p/pyproject.toml": "[tool.pipectl]\npackage_name = 'x'\n"}, start: "p/src/pkg", want: "p"},
		{name: "nested project wins", files: map[string]string{"p/pyproject.toml": "[tool.pipectl]\n", "p/sub/pyproject.toml": "[tool.pipectl]\n"}, start: "p/sub/a", want: "p/sub"},
		{name: "file without marker table skipped", files: map[string]string{"p/pyproject.toml": "[tool.pipectl]\n", "p/lib/pyproject.toml": "[project]\nname = 'lib'\n"}, start: "p/lib", want: "p"},
		{name: "unparseable file skipped", files: map[string]string{"p/pyproject.toml": "[tool.pipectl]\n", "p/lib/pyproject.toml": "[[["}, start: "p/lib", want: "p"},
		{name: "marker is a value, not a table", files: map[string]string{"p/pyproject.toml": "tool = { pipectl = 1 }\n"}, start: "p", want: "-"},
		{name: "only the telemetry table is not a marker", files: map[string]string{"p/pyproject.toml": "[tool.pipectl_telemetry]\nproject_id = 'x'\n"}, start: "p", want: "-"},
		{name: "no project", files: map[string]string{"p/readme": "x"}, start: "p", want: "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			for rel, content := range tc.files {
				write(t, filepath.Join(tmp, rel), content, 0o644)
			}
			start := filepath.Join(tmp, tc.start)
			if err := os.MkdirAll(start, 0o755); err != nil {
				t.Fatal(err)
			}
			snap := snapshot(t, tmp)
			got, ok := pipectl.root(start)
			if tc.want == "-" {
				// The walk may reach real ancestors of the temp dir;
				// it must not stop inside our tree.
				if ok && strings.HasPrefix(got, tmp) {
					t.Fatalf("Root = %q, want none under %s", got, tmp)
				}
			} else if want := filepath.Join(tmp, tc.want); !ok || got != want {
				t.Fatalf("Root = %q, %v; want %q", got, ok, want)
			}
			if snapshot(t, tmp) != snap {
				t.Fatal("Root changed the disk")
			}
		})
	}
}

func TestRootRelativeStart(t *testing.T) {
	tmp := t.TempDir()
	write(t, filepath.Join(tmp, "pyproject.toml"), "[tool.pipectl]\n", 0o644)
	if err := os.MkdirAll(filepath.Join(tmp, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(tmp, "a", "b"))
	got, ok := pipectl.root(".")
	want, _ := filepath.EvalSymlinks(tmp)
	if gotReal, _ := filepath.EvalSymlinks(got); !ok || gotReal != want {
		t.Fatalf("Root(\".\") = %q, %v; want %q", got, ok, want)
	}
}

func sha(s string) string {
	sum := sha512.Sum512([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestProjectIDCreates(t *testing.T) {
	tests := []struct {
		name   string
		before string
		mode   os.FileMode
		// after is the file afterwards, the new id as %[1]s.
		after string
		pkg   string
	}{
		{
			name:   "table absent: lines appended, comments and spacing kept",
			before: "# Project file\n[project]\nname   =   \"demo\"   # spacing kept\n\n[tool.pipectl]\npackage_name = \"demo_pkg\"\n",
			mode:   0o644,
			after:  "# Project file\n[project]\nname   =   \"demo\"   # spacing kept\n\n[tool.pipectl]\npackage_name = \"demo_pkg\"\n\n[tool.pipectl_telemetry]\nproject_id = '%[1]s'\n",
			pkg:    "demo_pkg",
		},
		{
			name:   "no final newline",
			before: "[tool.pipectl]\npackage_name = \"p\"",
			mode:   0o644,
			after:  "[tool.pipectl]\npackage_name = \"p\"\n\n[tool.pipectl_telemetry]\nproject_id = '%[1]s'\n",
			pkg:    "p",
		},
		{
			name:   "table exists without key: key added inside it, no duplicate header",
			before: "[tool.pipectl_telemetry]\n# note\nsomething = 1\n\n[tool.pipectl]\npackage_name = \"p\"\n",
			mode:   0o644,
			after:  "[tool.pipectl_telemetry]\n# note\nsomething = 1\nproject_id = '%[1]s'\n\n[tool.pipectl]\npackage_name = \"p\"\n",
			pkg:    "p",
		},
		{
			name:   "empty table exists",
			before: "[tool.pipectl]\n[tool.pipectl_telemetry]\n",
			mode:   0o644,
			after:  "[tool.pipectl]\n[tool.pipectl_telemetry]\nproject_id = '%[1]s'\n",
			pkg:    undefinedPackageName,
		},
		{
			name:   "package name missing",
			before: "[tool.pipectl]\n",
			mode:   0o600,
			after:  "[tool.pipectl]\n\n[tool.pipectl_telemetry]\nproject_id = '%[1]s'\n",
			pkg:    undefinedPackageName,
		},
		{
			name:   "package name not a string",
			before: "[tool.pipectl]\npackage_name = 3\n",
			mode:   0o640,
			after:  "[tool.pipectl]\npackage_name = 3\n\n[tool.pipectl_telemetry]\nproject_id = '%[1]s'\n",
			pkg:    undefinedPackageName,
		},
		{
			name:   "CRLF file",
			before: "[tool.pipectl]\r\npackage_name = \"p\"\r\n",
			mode:   0o664,
			after:  "[tool.pipectl]\r\npackage_name = \"p\"\r\n\r\n[tool.pipectl_telemetry]\r\nproject_id = '%[1]s'\r\n",
			pkg:    "p",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, "pyproject.toml")
			write(t, path, tc.before, tc.mode)

			hash, err := projectIDAt(root, pipectl)
			if err != nil {
				t.Fatalf("ProjectID: %v", err)
			}

			got := read(t, path)
			var doc struct {
				Tool struct {
					T struct {
						ID string `toml:"project_id"`
					} `toml:"pipectl_telemetry"`
				} `toml:"tool"`
			}
			if err := toml.Unmarshal([]byte(got), &doc); err != nil {
				t.Fatalf("file no longer parses: %v", err)
			}
			id := doc.Tool.T.ID
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
				t.Fatalf("stored id %q is not 32 hex digits", id)
			}
			if want := fmt.Sprintf(tc.after, id); got != want {
				t.Fatalf("file is\n%q\nwant\n%q", got, want)
			}
			if n := strings.Count(got, "[tool.pipectl_telemetry]"); n != 1 {
				t.Fatalf("%d [tool.pipectl_telemetry] headers", n)
			}
			if perm(t, path) != tc.mode {
				t.Fatalf("mode %v, want %v", perm(t, path), tc.mode)
			}
			if !hex128.MatchString(hash) || hash != sha(id+tc.pkg) {
				t.Fatalf("hash %q, want sha512_hex(%q)", hash, id+tc.pkg)
			}
			if tmps, _ := filepath.Glob(filepath.Join(root, ".pyproject.toml.tmp-*")); len(tmps) != 0 {
				t.Fatalf("temporary files left: %v", tmps)
			}
			// Stable afterwards, and nothing written.
			snap := snapshot(t, root)
			again, err := projectIDAt(root, pipectl)
			if err != nil || again != hash {
				t.Fatalf("second ProjectID = %q, %v", again, err)
			}
			if snapshot(t, root) != snap {
				t.Fatal("second ProjectID changed the disk")
			}
		})
	}
}

// TestProjectIDStored covers reading an existing id, including from a
// read-only file, and the hash matching Kedro's
// hashlib.sha512((project_id + package_name).encode()).hexdigest().
func TestProjectIDStored(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{
			name:    "stored id",
			content: "[tool.pipectl]\npackage_name = \"my_package\"\n\n[tool.pipectl_telemetry]\nproject_id = \"" + id + "\"\n",
			mode:    0o644,
			want:    "daa6d7de5af9262d6e17e6556344d5344e9976aa4d16a01374c41cf2cba475a5c0161f6721fad964430aa9d26f784b1efc0a42a6f6c18e6b58201ada893ee2a8",
		},
		{
			name:    "stored id, read-only file",
			content: "[tool.pipectl]\npackage_name = \"my_package\"\n[tool.pipectl_telemetry]\nproject_id = '" + id + "'\n",
			mode:    0o444,
			want:    "daa6d7de5af9262d6e17e6556344d5344e9976aa4d16a01374c41cf2cba475a5c0161f6721fad964430aa9d26f784b1efc0a42a6f6c18e6b58201ada893ee2a8",
		},
		{
			name:    "stored id, package name missing",
			content: "[tool.pipectl]\n[tool.pipectl_telemetry]\nproject_id = '" + id + "'\n",
			mode:    0o400,
			want:    "1f70bda8bd96529e6f32c84e0d6c08e7dddc6a3e669adb31af9ef5dd1ebaf47784a70f1cdaff859f018adbcf7ce63c85f2c4b1a835be9cd90c8b6b7e79c506df",
		},
		{
			name:    "stored as dotted key",
			content: "[tool]\npipectl.package_name = \"my_package\"\npipectl_telemetry.project_id = \"" + id + "\"\n",
			mode:    0o644,
			want:    "daa6d7de5af9262d6e17e6556344d5344e9976aa4d16a01374c41cf2cba475a5c0161f6721fad964430aa9d26f784b1efc0a42a6f6c18e6b58201ada893ee2a8",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, filepath.Join(root, "pyproject.toml"), tc.content, tc.mode)
			snap := snapshot(t, root)
			got, err := projectIDAt(root, pipectl)
			if err != nil {
				t.Fatalf("ProjectID: %v", err)
			}
			if got != tc.want {
				t.Fatalf("ProjectID = %s, want %s", got, tc.want)
			}
			if snapshot(t, root) != snap {
				t.Fatal("reading a stored id changed the disk")
			}
		})
	}
}

// TestProjectIDErrors: bad or unwritable files give no id and stay untouched.
func TestProjectIDErrors(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		mode    os.FileMode
		cfg     *ProjectFile
	}{
		{name: "missing file"},
		{name: "not TOML", content: p("[tool.pipectl\nname = "), mode: 0o644},
		{name: "duplicate header (Kedro's defect)", content: p("[tool.pipectl_telemetry]\na = 1\n[tool.pipectl_telemetry]\nproject_id = 'x'\n"), mode: 0o644},
		{name: "read-only without id", content: p("[tool.pipectl]\n"), mode: 0o444},
		{name: "id not a string", content: p("[tool.pipectl_telemetry]\nproject_id = 5\n"), mode: 0o644},
		{name: "id empty", content: p("[tool.pipectl_telemetry]\nproject_id = ''\n"), mode: 0o644},
		{name: "id table inline: cannot be extended", content: p("[tool]\npipectl_telemetry = { other = 1 }\n"), mode: 0o644},
		{name: "not configured", content: p("[tool.pipectl]\n"), mode: 0o644, cfg: &ProjectFile{Name: "pyproject.toml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.content != nil {
				write(t, filepath.Join(root, "pyproject.toml"), *tc.content, tc.mode)
			}
			cfg := pipectl
			if tc.cfg != nil {
				cfg = *tc.cfg
			}
			snap := snapshot(t, root)
			got, err := projectIDAt(root, cfg)
			if err == nil || got != "" {
				t.Fatalf("ProjectID = %q, %v; want no id and an error", got, err)
			}
			if snapshot(t, root) != snap {
				t.Fatal("file changed")
			}
		})
	}
}

// TestProjectIDUnwritableFolder: the file is writable but its folder is not,
// so the atomic replace fails and the file is untouched.
func TestProjectIDUnwritableFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits are not enforced")
	}
	root := t.TempDir()
	path := filepath.Join(root, "pyproject.toml")
	write(t, path, "[tool.pipectl]\n", 0o644)
	if err := os.Chmod(root, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(root, 0o755) })
	if got, err := projectIDAt(root, pipectl); err == nil {
		t.Fatalf("ProjectID = %q, want error", got)
	}
	if read(t, path) != "[tool.pipectl]\n" {
		t.Fatal("file changed")
	}
}

// TestProjectIDSymlink: a linked project file is edited at its target and
// the link stays a link.
func TestProjectIDSymlink(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "real.toml")
	write(t, target, "[tool.pipectl]\n", 0o644)
	root := filepath.Join(tmp, "proj")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "pyproject.toml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	// The link leads out of the project: no id is stored through it, and
	// neither the link nor its target changes.
	if id, err := projectIDAt(root, pipectl); err == nil || id != "" {
		t.Fatalf("projectIDAt through a link = %q, %v; want an error", id, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced by a file (%v)", err)
	}
	if got := read(t, target); got != "[tool.pipectl]\n" {
		t.Fatalf("target edited through the link:\n%s", got)
	}
}

// TestProjectIDConcurrent: concurrent first runs agree on one id.
func TestProjectIDConcurrent(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "pyproject.toml")
	write(t, path, "[tool.pipectl]\npackage_name = 'p'\n", 0o644)
	const n = 16
	hashes := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { hashes[i], errs[i] = projectIDAt(root, pipectl) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		if hashes[i] != hashes[0] {
			t.Fatalf("runs disagree: %s vs %s", hashes[i], hashes[0])
		}
	}
	if c := strings.Count(read(t, path), "project_id"); c != 1 {
		t.Fatalf("%d project ids stored", c)
	}
}

func BenchmarkProjectIDStored(b *testing.B) {
	root := b.TempDir()
	os.WriteFile(filepath.Join(root, "pyproject.toml"), []byte("[tool.pipectl]\npackage_name = 'p'\n[tool.pipectl_telemetry]\nproject_id = '0123456789abcdef0123456789abcdef'\n"), 0o644)
	for b.Loop() {
		if _, err := projectIDAt(root, pipectl); err != nil {
			b.Fatal(err)
		}
	}
}
