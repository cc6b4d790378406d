package consent

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// env returns a LookupEnv over a fixed set of variables.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestDecide(t *testing.T) {
	const on, off = true, false
	tests := []struct {
		name      string
		tool      string
		env       map[string]string
		project   *string // .telemetry content; nil: none
		inProject bool    // ProjectRoot is set (true whenever project != nil)
		user      *string // telemetry.toml content; nil: none
		want      bool
		source    Source
		detail    string // substring of Detail
	}{
		// Rule 1: environment, whatever the value, overrides everything.
		{name: "DO_NOT_TRACK=1", env: map[string]string{"DO_NOT_TRACK": "1"}, project: s("consent: true"), user: s("[telemetry]\nconsent = true"), want: off, source: SourceEnv, detail: "DO_NOT_TRACK is set"},
		{name: "DO_NOT_TRACK empty", env: map[string]string{"DO_NOT_TRACK": ""}, project: s("consent: true"), want: off, source: SourceEnv},
		{name: "DO_NOT_TRACK=0", env: map[string]string{"DO_NOT_TRACK": "0"}, want: off, source: SourceEnv},
		{name: "DO_NOT_TRACK=false", env: map[string]string{"DO_NOT_TRACK": "false"}, want: off, source: SourceEnv},
		{name: "tool variable empty", env: map[string]string{"PIPECTL_DISABLE_TELEMETRY": ""}, user: s("[telemetry]\nconsent = true"), want: off, source: SourceEnv, detail: "PIPECTL_DISABLE_TELEMETRY is set"},
		{name: "tool variable =false", env: map[string]string{"PIPECTL_DISABLE_TELEMETRY": "false"}, want: off, source: SourceEnv},
		{name: "tool prefix from name with dash", tool: "my-tool", env: map[string]string{"MY_TOOL_DISABLE_TELEMETRY": "0"}, want: off, source: SourceEnv, detail: "MY_TOOL_DISABLE_TELEMETRY"},
		{name: "other tool's variable ignored", env: map[string]string{"KEDRO_DISABLE_TELEMETRY": "1", "PIPECTL_TELEMETRY": "off"}, want: on, source: SourceDefault},
		{name: "env overrides corrupt files", env: map[string]string{"DO_NOT_TRACK": ""}, project: s(": ["), user: s("[["), want: off, source: SourceEnv},

		// Rule 2: any "no" in the project's .telemetry or the user's
		// choice is off, whatever the other says.
		{name: "user false beats project true", project: s("consent: true\n"), user: s("[telemetry]\nconsent = false"), want: off, source: SourceUser, detail: "consent = false"},
		{name: "project false beats user true", project: s("consent: false\n"), user: s("[telemetry]\nconsent = true"), want: off, source: SourceProject, detail: "consent: false"},
		{name: "both false: the project is named", project: s("consent: no\n"), user: s("[telemetry]\nconsent = false"), want: off, source: SourceProject},
		{name: "corrupt user file beats project true", project: s("consent: true\n"), user: s("[telemetry\nconsent = true"), want: off, source: SourceUser, detail: "not valid TOML"},
		{name: "corrupt project beats user true", project: s("consent: maybe\n"), user: s("[telemetry]\nconsent = true"), want: off, source: SourceProject, detail: "consent is not a boolean"},

		// Rule 3: any explicit "yes", with no "no", is explicit consent.
		{name: "project true", project: s("consent: true\n"), want: on, source: SourceProject},
		{name: "project true, user true", project: s("consent: true\n"), user: s("[telemetry]\nconsent = true"), want: on, source: SourceUser},
		{name: "project true, user file without consent", project: s("consent: true\n"), user: s("[telemetry]\nuuid = \"x\"\n"), want: on, source: SourceProject},
		{name: "user true, project absent", inProject: true, user: s("[telemetry]\nconsent = true"), want: on, source: SourceUser},
		{name: "project yes", project: s("consent: yes"), want: on, source: SourceProject},
		{name: "project no", project: s("consent: no"), want: off, source: SourceProject},
		{name: "project on", project: s("consent: on"), want: on, source: SourceProject},
		{name: "project off", project: s("consent: off"), want: off, source: SourceProject},
		{name: "project YES", project: s("consent: YES"), want: on, source: SourceProject},
		{name: "project Off", project: s("consent: Off"), want: off, source: SourceProject},
		{name: "project TRUE", project: s("consent: TRUE"), want: on, source: SourceProject},
		{name: "project False", project: s("consent: False"), want: off, source: SourceProject},
		{name: "project with comments and other keys", project: s("# chosen at creation\nother: 1\nconsent: yes # ok\n"), want: on, source: SourceProject},
		{name: "project explicit bool tag", project: s("consent: !!bool true"), want: on, source: SourceProject},

		// The project's .telemetry, bad input: off, quietly, with the reason.
		{name: "project not YAML", project: s("consent: [true\n"), user: s("[telemetry]\nconsent = true"), want: off, source: SourceProject, detail: "not YAML"},
		{name: "project tab-indented junk", project: s("\tconsent: true\n\t- x"), want: off, source: SourceProject, detail: "not YAML"},
		{name: "project empty", project: s(""), want: off, source: SourceProject, detail: "consent is missing"},
		{name: "project consent missing", project: s("other: true\n"), want: off, source: SourceProject, detail: "consent is missing"},
		{name: "project top level is a list", project: s("- consent: true\n"), want: off, source: SourceProject, detail: "consent is missing"},
		{name: "project top level is a scalar", project: s("true\n"), want: off, source: SourceProject, detail: "consent is missing"},
		{name: "project consent maybe", project: s("consent: maybe"), want: off, source: SourceProject, detail: "consent is not a boolean"},
		{name: "project consent 1", project: s("consent: 1"), want: off, source: SourceProject, detail: "consent is not a boolean"},
		{name: "project consent quoted", project: s("consent: \"yes\""), want: off, source: SourceProject, detail: "consent is not a boolean"},
		{name: "project consent null", project: s("consent:"), want: off, source: SourceProject, detail: "consent is not a boolean"},
		{name: "project consent list", project: s("consent: [true]"), want: off, source: SourceProject, detail: "consent is not a boolean"},
		{name: "project consent y (not accepted)", project: s("consent: y"), want: off, source: SourceProject, detail: "consent is not a boolean"},
		{name: "project binary", project: s("\x00\xff\xfe\x01"), want: off, source: SourceProject},
		{name: "project too large", project: s("consent: true\n" + strings.Repeat("#", maxProjectFile)), want: off, source: SourceProject, detail: "too large"},
		{name: "project unreadable (a folder)", project: s(dirMarker), want: off, source: SourceProject, detail: "unreadable"},
		{name: "in project, no .telemetry: next rule", inProject: true, user: s("[telemetry]\nconsent = false"), want: off, source: SourceUser},

		// The user's saved choice.
		{name: "user false", user: s("# mine\n[telemetry]\nconsent = false\nuuid = \"x\"\n"), want: off, source: SourceUser, detail: "consent = false"},
		{name: "user true", user: s("[telemetry]\nconsent = true\n"), want: on, source: SourceUser},
		{name: "user file without consent: default", user: s("[telemetry]\nuuid = \"x\"\n"), want: on, source: SourceDefault},
		{name: "user file not TOML", user: s("[telemetry\nconsent = true"), want: off, source: SourceUser, detail: "not valid TOML"},
		{name: "user consent not a bool", user: s("[telemetry]\nconsent = \"yes\"\n"), want: off, source: SourceUser, detail: "consent is not a boolean"},
		{name: "user file too large", user: s("[telemetry]\nconsent = true\n" + strings.Repeat("#", maxProjectFile)), want: off, source: SourceUser, detail: "too large"},
		{name: "user file unreadable (a folder)", user: s(dirMarker), want: off, source: SourceUser, detail: "unreadable"},

		// Rule 4: default.
		{name: "nothing recorded", want: on, source: SourceDefault, detail: "default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			cfg := Config{Tool: "pipectl", LookupEnv: env(tc.env), UserFile: filepath.Join(root, "config", "pipectl", "telemetry.toml")}
			if tc.tool != "" {
				cfg.Tool = tc.tool
			}
			if tc.project != nil || tc.inProject {
				cfg.ProjectRoot = filepath.Join(root, "project")
				mkdir(t, cfg.ProjectRoot)
			}
			if tc.project != nil {
				put(t, filepath.Join(cfg.ProjectRoot, ".telemetry"), *tc.project)
			}
			if tc.user != nil {
				mkdir(t, filepath.Dir(cfg.UserFile))
				put(t, cfg.UserFile, *tc.user)
			}
			before := snapshot(t, root)

			got := Decide(cfg)

			if got.Enabled != tc.want || got.Source != tc.source {
				t.Fatalf("Decide = %+v, want Enabled=%v Source=%v", got, tc.want, tc.source)
			}
			if !strings.Contains(got.Detail, tc.detail) {
				t.Fatalf("Detail = %q, want it to contain %q", got.Detail, tc.detail)
			}
			// A project's yes is its author's, not the user's: the notice
			// is still owed.
			if got.Implicit() != (got.Enabled && (tc.source == SourceDefault || tc.source == SourceProject)) {
				t.Fatalf("Implicit() = %v for source %v", got.Implicit(), got.Source)
			}
			if after := snapshot(t, root); after != before {
				t.Fatalf("Decide changed the disk:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestDecideEnvOpensNoFile proves rule 1 costs no file access: with either
// variable present, Decide must not call ReadFile at all, although both the
// project and the user file exist and say yes.
func TestDecideEnvOpensNoFile(t *testing.T) {
	root := t.TempDir()
	put(t, filepath.Join(root, ".telemetry"), "consent: true\n")
	put(t, filepath.Join(root, "telemetry.toml"), "[telemetry]\nconsent = true\n")
	for _, name := range []string{"DO_NOT_TRACK", "PIPECTL_DISABLE_TELEMETRY"} {
		t.Run(name, func(t *testing.T) {
			var reads []string
			cfg := Config{
				Tool:        "pipectl",
				ProjectRoot: root,
				UserFile:    filepath.Join(root, "telemetry.toml"),
				LookupEnv:   env(map[string]string{name: ""}),
				ReadFile: func(p string) ([]byte, error) {
					reads = append(reads, p)
					return os.ReadFile(p)
				},
			}
			if d := Decide(cfg); d.Enabled || d.Source != SourceEnv {
				t.Fatalf("Decide = %+v, want off by environment", d)
			}
			if len(reads) != 0 {
				t.Fatalf("files read although the environment decided: %v", reads)
			}
		})
	}
	// Control: without the variable the same hook sees both reads, so the
	// assertion above can fail.
	var reads []string
	Decide(Config{Tool: "pipectl", ProjectRoot: t.TempDir(), UserFile: filepath.Join(root, "telemetry.toml"),
		LookupEnv: env(nil), ReadFile: func(p string) ([]byte, error) { reads = append(reads, p); return os.ReadFile(p) }})
	if len(reads) != 2 {
		t.Fatalf("control: %d reads, want 2 (%v)", len(reads), reads)
	}
}

// TestDecideOutsideProjectReadsNoTelemetryFile: with no project root, a
// .telemetry lying in the working directory is not consulted.
func TestDecideOutsideProjectReadsNoTelemetryFile(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, ".telemetry"), "consent: false\n")
	t.Chdir(dir)
	var reads []string
	d := Decide(Config{Tool: "pipectl", LookupEnv: env(nil), ReadFile: func(p string) ([]byte, error) {
		reads = append(reads, p)
		return os.ReadFile(p)
	}})
	if !d.Enabled || d.Source != SourceDefault || len(reads) != 0 {
		t.Fatalf("Decide = %+v after reading %v, want default without reads", d, reads)
	}
}

// TestDecideUsesRealEnvironmentByDefault checks the nil LookupEnv path.
func TestDecideUsesRealEnvironmentByDefault(t *testing.T) {
	t.Setenv("DO_NOT_TRACK", "")
	if d := Decide(Config{Tool: "pipectl"}); d.Enabled || d.Source != SourceEnv {
		t.Fatalf("Decide = %+v, want off by environment", d)
	}
}

// TestConsentOffCreatesNothing: deciding "off" (any source), with the user
// file's folder and the project absent, leaves the disk exactly as it was.
func TestConsentOffCreatesNothing(t *testing.T) {
	home := t.TempDir()
	cfgs := []Config{
		{Tool: "pipectl", LookupEnv: env(map[string]string{"DO_NOT_TRACK": "1"}), UserFile: filepath.Join(home, "cfg", "pipectl", "telemetry.toml"), ProjectRoot: filepath.Join(home, "proj")},
		{Tool: "pipectl", LookupEnv: env(nil), UserFile: filepath.Join(home, "cfg", "pipectl", "telemetry.toml"), ProjectRoot: filepath.Join(home, "proj")},
	}
	for _, cfg := range cfgs {
		Decide(cfg)
		g := NewGate(cfg)
		g.Enabled()
		g.Refresh()
	}
	if s := snapshot(t, home); s != "" {
		t.Fatalf("files appeared: %s", s)
	}
}

func TestGate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.toml")
	g := NewGate(Config{Tool: "pipectl", UserFile: path, LookupEnv: env(nil)})
	if !g.Enabled() || !g.Decision().Implicit() {
		t.Fatalf("new gate: %+v, want implicit on", g.Decision())
	}
	if err := SaveUserChoice(path, false); err != nil {
		t.Fatal(err)
	}
	if !g.Enabled() {
		t.Fatal("gate changed before Refresh")
	}
	if d := g.Refresh(); d.Enabled || d.Source != SourceUser {
		t.Fatalf("Refresh = %+v, want off by user", d)
	}
	if g.Enabled() || g.Decision().Source != SourceUser {
		t.Fatalf("after Refresh: %+v", g.Decision())
	}

	var nilGate *Gate
	if nilGate.Enabled() || nilGate.Decision().Enabled {
		t.Fatal("nil gate is open")
	}
}

func TestGateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.toml")
	g := NewGate(Config{Tool: "pipectl", UserFile: path, LookupEnv: env(nil)})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 && j%20 == 0 {
					SaveUserChoice(path, j%40 == 0)
					g.Refresh()
				}
				d := g.Decision()
				if d.Source == "" {
					t.Error("empty decision")
					return
				}
				g.Enabled()
			}
		})
	}
	wg.Wait()
}

func BenchmarkDecideEnv(b *testing.B) {
	cfg := Config{Tool: "pipectl", ProjectRoot: b.TempDir(), UserFile: "/nonexistent", LookupEnv: env(map[string]string{"DO_NOT_TRACK": "1"})}
	for b.Loop() {
		Decide(cfg)
	}
}

func BenchmarkDecideFiles(b *testing.B) {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, ".telemetry"), []byte("consent: yes\n"), 0o644)
	cfg := Config{Tool: "pipectl", ProjectRoot: dir, LookupEnv: env(nil)}
	for b.Loop() {
		Decide(cfg)
	}
}

func BenchmarkGateEnabled(b *testing.B) {
	g := NewGate(Config{Tool: "pipectl", LookupEnv: env(nil)})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Enabled()
		}
	})
}

// dirMarker as file content asks the test to make a folder instead.
const dirMarker = "\x00DIR\x00"

func s(v string) *string { return &v }

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, path, content string) {
	t.Helper()
	if content == dirMarker {
		mkdir(t, path)
		return
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshot describes every entry under root (name, mode, size, mtime).
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b.WriteString(rel + " " + fi.Mode().String() + " " + fi.ModTime().String() + ";")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
