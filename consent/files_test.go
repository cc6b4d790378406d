package consent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteProjectConsent(t *testing.T) {
	tests := []struct {
		name      string
		gitignore *string // nil: none
		consent   bool
		want      string // .gitignore afterwards
	}{
		{name: "no .gitignore: created", consent: false, want: ".telemetry\n"},
		{name: "appended after final newline", gitignore: s("# build\n/dist\n*.pyc\n"), consent: true, want: "# build\n/dist\n*.pyc\n.telemetry\n"},
		{name: "appended without final newline", gitignore: s("/dist"), consent: true, want: "/dist\n.telemetry\n"},
		{name: "empty .gitignore", gitignore: s(""), consent: true, want: ".telemetry\n"},
		{name: "already listed", gitignore: s("a\n.telemetry\nb"), consent: true, want: "a\n.telemetry\nb"},
		{name: "already listed, rooted", gitignore: s("/.telemetry\n"), consent: false, want: "/.telemetry\n"},
		{name: "already listed, CRLF and blanks", gitignore: s("x\r\n  .telemetry \r\n"), consent: false, want: "x\r\n  .telemetry \r\n"},
		{name: "similar name is not a match", gitignore: s(".telemetry.bak\n# .telemetry\n"), consent: true, want: ".telemetry.bak\n# .telemetry\n.telemetry\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			gi := filepath.Join(dir, ".gitignore")
			var before os.FileInfo
			if tc.gitignore != nil {
				put(t, gi, *tc.gitignore)
				if err := os.Chmod(gi, 0o640); err != nil {
					t.Fatal(err)
				}
				before, _ = os.Stat(gi)
			}
			if err := WriteProjectConsent(dir, tc.consent); err != nil {
				t.Fatal(err)
			}
			if got := get(t, gi); got != tc.want {
				t.Fatalf(".gitignore is %q, want %q", got, tc.want)
			}
			if before != nil {
				after, _ := os.Stat(gi)
				if !os.SameFile(before, after) || after.Mode() != before.Mode() {
					t.Fatal(".gitignore was replaced instead of appended to")
				}
			}
			tel := filepath.Join(dir, ".telemetry")
			fi, err := os.Stat(tel)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o644 {
				t.Fatalf(".telemetry mode %v, want 0644", fi.Mode().Perm())
			}
			d := Decide(Config{Tool: "pipectl", ProjectRoot: dir, LookupEnv: env(nil)})
			if d.Enabled != tc.consent || d.Source != SourceProject {
				t.Fatalf("Decide after writing = %+v, want %v from project", d, tc.consent)
			}
		})
	}
}

func TestWriteProjectConsentReplacesChoice(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []bool{true, false, true} {
		if err := WriteProjectConsent(dir, c); err != nil {
			t.Fatal(err)
		}
		if got := get(t, filepath.Join(dir, ".telemetry")); got != map[bool]string{true: "consent: true\n", false: "consent: false\n"}[c] {
			t.Fatalf(".telemetry = %q", got)
		}
	}
	if got := get(t, filepath.Join(dir, ".gitignore")); got != ".telemetry\n" {
		t.Fatalf(".gitignore = %q, want one line", got)
	}
}

func TestWriteProjectConsentErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	put(t, file, "x")
	if err := WriteProjectConsent(filepath.Join(file, "proj"), true); err == nil {
		t.Fatal("want error for a folder that cannot exist")
	}
	dir := t.TempDir()
	mkdir(t, filepath.Join(dir, ".gitignore")) // a folder: cannot be appended to
	if err := WriteProjectConsent(dir, true); err == nil {
		t.Fatal("want error for a .gitignore that is a folder")
	}
}

func TestSaveUserChoice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pipectl", "telemetry.toml")
	mkdir(t, filepath.Dir(path))
	put(t, path, "# keep\n[telemetry]\nuuid = \"u\"\n")
	cfg := Config{Tool: "pipectl", UserFile: path, LookupEnv: env(nil)}
	for _, enabled := range []bool{false, true, false} {
		if err := SaveUserChoice(path, enabled); err != nil {
			t.Fatal(err)
		}
		if d := Decide(cfg); d.Enabled != enabled || d.Source != SourceUser || d.Implicit() {
			t.Fatalf("after SaveUserChoice(%v): %+v", enabled, d)
		}
	}
	if got, want := get(t, path), "# keep\n[telemetry]\nuuid = \"u\"\nconsent = false\n"; got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
	if err := SaveUserChoice("", true); err == nil {
		t.Fatal("want error for empty path")
	}
}

// TestDecideRefusesUnsafeUserFolder: a user folder that is a symbolic link
// (or not a folder) turns collection off, whatever the files say, and
// the decision says why.
func TestDecideRefusesUnsafeUserFolder(t *testing.T) {
	root := t.TempDir()
	elsewhere := filepath.Join(root, "elsewhere")
	mkdir(t, elsewhere)
	put(t, filepath.Join(elsewhere, "telemetry.toml"), "[telemetry]\nconsent = true\n")
	project := filepath.Join(root, "project")
	mkdir(t, project)
	put(t, filepath.Join(project, ".telemetry"), "consent: true\n")
	link := filepath.Join(root, "config", "pipectl")
	mkdir(t, filepath.Dir(link))
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	notDir := filepath.Join(root, "config", "other")
	put(t, notDir, "")
	for _, dir := range []string{link, notDir} {
		d := Decide(Config{Tool: "pipectl", ProjectRoot: project, UserFile: filepath.Join(dir, "telemetry.toml"), LookupEnv: env(nil)})
		if d.Enabled || d.Source != SourceUser || !strings.Contains(d.Detail, dir) {
			t.Fatalf("Decide with user folder %s = %+v, want off by user naming the folder", dir, d)
		}
	}
}
