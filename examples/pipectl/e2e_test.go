package main

// End-to-end tests: pipectl built as a real binary, run as a user would in
// a throw-away home folder, against an OTLP/HTTP receiver on loopback.

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/anontel/anontel/internal/otlpsink"
)

var (
	buildOnce sync.Once
	binaries  = map[string]string{} // build tags -> path
	buildErr  error
	buildDir  string
)

// binary builds pipectl once per set of build tags.
func binary(t *testing.T, tags string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pipectl-e2e-")
		if buildErr != nil {
			return
		}
		for _, tg := range []string{"", "notelemetry"} {
			out := filepath.Join(buildDir, "pipectl"+strings.ReplaceAll(tg, ",", "_"))
			cmd := exec.Command("go", "build", "-tags", tg, "-o", out, ".")
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build -tags %q: %v\n%s", tg, err, b)
				return
			}
			binaries[tg] = out
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binaries[tags]
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// user is a throw-away user of pipectl: own home, config and cache folders,
// a work folder, and a receiver for what is sent.
type user struct {
	t      *testing.T
	bin    string
	home   string
	work   string
	sink   *otlpsink.Sink
	env    []string
	config string // telemetry.toml
	spool  string
}

func newUser(t *testing.T, tags string) *user {
	t.Helper()
	sink, err := otlpsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	base := t.TempDir()
	u := &user{t: t, bin: binary(t, tags), home: filepath.Join(base, "home"), work: filepath.Join(base, "work"), sink: sink}
	for _, d := range []string{u.home, u.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u.config = filepath.Join(u.home, ".config", "pipectl", "telemetry.toml")
	u.spool = filepath.Join(u.home, ".cache", "pipectl", "spool")
	u.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + u.home,
		"XDG_CONFIG_HOME=" + filepath.Join(u.home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(u.home, ".cache"),
		"PIPECTL_TELEMETRY_ENDPOINT=" + sink.URL,
		"PIPECTL_TELEMETRY_UPLOAD_INTERVAL=0", // an uploader per command: tests wait for each span
	}
	return u
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs pipectl in work/dir with extra environment variables.
func (u *user) run(dir string, env []string, args ...string) result {
	u.t.Helper()
	cmd := exec.Command(u.bin, args...)
	cmd.Dir = filepath.Join(u.work, dir)
	cmd.Env = append(slices.Clone(u.env), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		u.t.Fatalf("pipectl %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// firstRun gets the one-time notice out of the way.
func (u *user) firstRun() {
	u.t.Helper()
	r := u.run("", nil, "--version")
	if !strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
		u.t.Fatalf("first run showed no notice: %+v", r)
	}
}

// waitSpans waits until the receiver holds n spans and returns them.
func (u *user) waitSpans(n int) []otlpsink.Span {
	u.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if spans := u.sink.Spans(); len(spans) >= n {
			return spans
		}
		time.Sleep(20 * time.Millisecond)
	}
	spans := u.sink.Spans()
	u.t.Fatalf("receiver got %d span(s), want %d; spool: %v", len(spans), n, u.spoolFiles())
	return nil
}

// quiet asserts that nothing arrives (after any uploader had time to run).
func (u *user) quiet(n int) {
	u.t.Helper()
	time.Sleep(300 * time.Millisecond)
	if got := len(u.sink.Spans()); got != n {
		u.t.Fatalf("receiver got %d span(s), want %d", got, n)
	}
}

// spoolFiles lists the queued invocations of every endpoint.
func (u *user) spoolFiles() []string {
	var names []string
	filepath.WalkDir(u.spool, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(d.Name(), ".otlp") {
			names = append(names, path)
		}
		return nil
	})
	return names
}

// tree lists every file and folder below root with its size and mode.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		out[path] = fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return out
}

func TestE2ESpanCarriesEveryField(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	u.quiet(0)
	if r := u.run("", nil, "new", "--name", "Space Flights", "--tools", "lint,viz", "--example", "yes"); r.code != 0 {
		t.Fatalf("new: %+v", r)
	}
	newSpan := u.waitSpans(1)[0]
	if r := u.run("Space Flights", nil, "run", "--pipeline=__default__", "-e", "local", "--runner", "parallel", "--params", "secret_key=hunter22"); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	runSpan := u.waitSpans(2)[1]

	cfg := readTOML(t, u.config)
	userID := cfg["telemetry"].(map[string]any)["uuid"].(string)
	py := readTOML(t, filepath.Join(u.work, "Space Flights", "pyproject.toml"))
	tool := py["tool"].(map[string]any)
	projectID := tool["pipectl_telemetry"].(map[string]any)["project_id"].(string)
	pkg := tool["pipectl"].(map[string]any)["package_name"].(string)
	sum := sha512.Sum512([]byte(projectID + pkg))
	hashed := hex.EncodeToString(sum[:])

	for _, s := range []otlpsink.Span{newSpan, runSpan} {
		wantRes := map[string]any{
			"service.name":             "pipectl",
			"service.version":          version,
			"telemetry.distro.name":    "anontel",
			"telemetry.distro.version": "0.1.0",
			"process.runtime.name":     "go",
			"process.runtime.version":  runtime.Version(),
			"os.type":                  runtime.GOOS,
			"host.arch":                runtime.GOARCH,
		}
		for k, v := range wantRes {
			if s.Resource[k] != v {
				t.Errorf("%s: resource %s = %v, want %v", s.Name, k, s.Resource[k], v)
			}
		}
		if s.Kind.String() != "SPAN_KIND_INTERNAL" || s.ScopeVer != "0.1.0" {
			t.Errorf("%s: kind %v scope version %q", s.Name, s.Kind, s.ScopeVer)
		}
		want := map[string]any{
			"enduser.pseudo.id":       userID,
			"process.executable.name": "pipectl",
			"process.exit.code":       int64(0),
			"cli.ci":                  false,
			"cli.consent":             "implicit",
		}
		for k, v := range want {
			if s.Attributes[k] != v {
				t.Errorf("%s: %s = %v, want %v", s.Name, k, s.Attributes[k], v)
			}
		}
		if _, ok := s.Attributes["process.pid"].(int64); !ok {
			t.Errorf("%s: no process.pid", s.Name)
		}
		if _, ok := s.Attributes["error.type"]; ok {
			t.Errorf("%s: error.type on a success", s.Name)
		}
	}
	if newSpan.Name != "pipectl new" || runSpan.Name != "pipectl run" {
		t.Errorf("span names %q, %q", newSpan.Name, runSpan.Name)
	}
	if got := newSpan.Attributes["process.command_line"]; got != "pipectl new --name ***** --tools lint,viz --example yes" {
		t.Errorf("new command line = %q", got)
	}
	if got := newSpan.Attributes["cli.new.tools"]; !slices.Equal(got.([]string), []string{"lint", "viz"}) {
		t.Errorf("cli.new.tools = %v", got)
	}
	if newSpan.Attributes["cli.new.example_pipeline"] != true {
		t.Errorf("cli.new.example_pipeline = %v", newSpan.Attributes["cli.new.example_pipeline"])
	}
	if _, ok := newSpan.Attributes["cli.project.id"]; ok {
		t.Errorf("new ran outside a project but sent cli.project.id")
	}
	wantLine := "pipectl run --pipeline ***** -e ***** --runner parallel --params *****"
	if got := runSpan.Attributes["process.command_line"]; got != wantLine {
		t.Errorf("run command line = %q, want %q", got, wantLine)
	}
	if got := runSpan.Attributes["process.command_args"]; !slices.Equal(got.([]string), strings.Fields(wantLine)) {
		t.Errorf("run command args = %q", got)
	}
	if runSpan.Attributes["cli.project.id"] != hashed || len(hashed) != 128 {
		t.Errorf("cli.project.id = %v, want sha512(project_id+package_name) %s", runSpan.Attributes["cli.project.id"], hashed)
	}
	for k, v := range map[string]int64{"cli.project.datasets": 6, "cli.project.nodes": 4, "cli.project.pipelines": 3} {
		if runSpan.Attributes[k] != v {
			t.Errorf("%s = %v, want %d", k, runSpan.Attributes[k], v)
		}
	}
	assertNothingPersonal(t, u, "hunter22", "Space Flights", "space_flights", "__default__")
}

// assertNothingPersonal scans every byte the receiver got for the user's
// paths, host name, user name and the given raw values.
func assertNothingPersonal(t *testing.T, u *user, raw ...string) {
	t.Helper()
	host, _ := os.Hostname()
	needles := append([]string{u.home, u.work}, raw...)
	if len(host) >= 4 {
		needles = append(needles, host)
	}
	for _, body := range u.sink.Bodies() {
		for _, n := range needles {
			if bytes.Contains(body, []byte(n)) {
				t.Errorf("sent data contains %q", n)
			}
		}
	}
	for _, s := range u.sink.Spans() {
		for k, v := range s.Attributes {
			if v == os.Getenv("USER") && v != "" || strings.HasPrefix(k, "host.name") || strings.HasPrefix(k, "process.owner") || k == "process.executable.path" {
				t.Errorf("span %q carries %s = %v", s.Name, k, v)
			}
		}
	}
}

func readTOML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// newProject creates a project as the user, outside telemetry's view.
// base is the folder that holds the user's home and work folders.
func (u *user) base() string { return filepath.Dir(u.home) }

func (u *user) newProject(name string, extra ...string) {
	u.t.Helper()
	args := append([]string{"new", "--name", name, "--example", "yes"}, extra...)
	if r := u.run("", []string{"DO_NOT_TRACK=1"}, args...); r.code != 0 {
		u.t.Fatalf("new: %+v", r)
	}
}

func TestE2EConsentOffSendsNothingAndWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		setup func(u *user) // runs before the snapshot
	}{
		{name: "DO_NOT_TRACK=1", env: []string{"DO_NOT_TRACK=1"}},
		{name: "DO_NOT_TRACK empty", env: []string{"DO_NOT_TRACK="}},
		{name: "DO_NOT_TRACK=0", env: []string{"DO_NOT_TRACK=0"}},
		{name: "PIPECTL_DISABLE_TELEMETRY=false", env: []string{"PIPECTL_DISABLE_TELEMETRY=false"}},
		{name: "project .telemetry consent false", setup: func(u *user) {
			os.WriteFile(filepath.Join(u.work, "proj", ".telemetry"), []byte("consent: false\n"), 0o644)
		}},
		{name: "project .telemetry malformed", setup: func(u *user) {
			os.WriteFile(filepath.Join(u.work, "proj", ".telemetry"), []byte("consent: [maybe\n"), 0o644)
		}},
		{name: "project created with new --telemetry=no", setup: func(u *user) {
			os.RemoveAll(filepath.Join(u.work, "proj"))
			u.newProject("proj", "--telemetry=no")
		}},
		{name: "user ran telemetry disable", setup: func(u *user) {
			if r := u.run("", nil, "telemetry", "disable"); r.code != 0 {
				u.t.Fatalf("disable: %+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser(t, "")
			u.newProject("proj")
			if tc.setup != nil {
				tc.setup(u)
			}
			before := tree(t, filepath.Dir(u.home))
			for _, args := range [][]string{
				{"run", "--pipeline", "__default__"},
				{"run", "--no-such-flag=secret"},
				{"catalog", "list"},
				{"info"},
				{"telemetry", "status"},
			} {
				r := u.run("proj", tc.env, args...)
				if strings.Contains(r.stderr, "anonymous usage data") {
					t.Errorf("%v: notice shown with consent off", args)
				}
			}
			after := tree(t, filepath.Dir(u.home))
			// Running the pipeline writes its own outputs; nothing else may change.
			for path, v := range after {
				if before[path] != v && !strings.HasPrefix(path, filepath.Join(u.work, "proj", "data")) {
					t.Errorf("changed or created with consent off: %s", path)
				}
			}
			time.Sleep(300 * time.Millisecond)
			if n := u.sink.Connections(); n != 0 {
				t.Errorf("%d connection(s) with consent off", n)
			}
		})
	}
}
