package main

// End-to-end tests: pipectl built as a real binary, run as a user would in
// a throw-away home folder, against an OTLP/HTTP receiver on loopback.

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
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

func TestE2ENewTelemetryNoStillSendsTheNewSpan(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	if r := u.run("", nil, "new", "--name", "quiet", "--telemetry=no"); r.code != 0 {
		t.Fatalf("new: %+v", r)
	}
	spans := u.waitSpans(1)
	if spans[0].Name != "pipectl new" || spans[0].Attributes["process.command_line"] != "pipectl new --name ***** --telemetry no" {
		t.Errorf("new span: %q %v", spans[0].Name, spans[0].Attributes["process.command_line"])
	}
	data, err := os.ReadFile(filepath.Join(u.work, "quiet", ".telemetry"))
	if err != nil || strings.TrimSpace(string(data)) != "consent: false" {
		t.Fatalf(".telemetry = %q, %v", data, err)
	}
	gi, _ := os.ReadFile(filepath.Join(u.work, "quiet", ".gitignore"))
	if !slices.Contains(strings.Split(string(gi), "\n"), ".telemetry") {
		t.Errorf(".gitignore does not list .telemetry: %q", gi)
	}
	pyBefore, _ := os.ReadFile(filepath.Join(u.work, "quiet", "pyproject.toml"))
	u.run("quiet", nil, "info")
	u.run("quiet", nil, "catalog", "list")
	u.quiet(1)
	pyAfter, _ := os.ReadFile(filepath.Join(u.work, "quiet", "pyproject.toml"))
	if !bytes.Equal(pyBefore, pyAfter) {
		t.Errorf("pyproject.toml changed in a project without consent")
	}
	// Outside that project, telemetry is on again.
	u.run("", nil, "info")
	u.waitSpans(2)
}

func TestE2ENotice(t *testing.T) {
	u := newUser(t, "")
	quietRun := u.run("", []string{"DO_NOT_TRACK=1"}, "--version")
	first := u.run("", nil, "--version")
	if !strings.Contains(first.stderr, "PIPECTL_DISABLE_TELEMETRY") || !strings.Contains(first.stderr, "telemetry disable") {
		t.Errorf("first run's notice does not say how to opt out: %q", first.stderr)
	}
	if first.stdout != quietRun.stdout {
		t.Errorf("stdout differs with telemetry on: %q vs %q", first.stdout, quietRun.stdout)
	}
	u.quiet(0) // the first run sends nothing
	second := u.run("", nil, "--version")
	if second.stderr != "" || second.stdout != quietRun.stdout {
		t.Errorf("second run: %+v", second)
	}
	u.waitSpans(1)

	// Explicit consent: never a notice, and the span says explicit.
	v := newUser(t, "")
	if r := v.run("", nil, "telemetry", "enable"); r.code != 0 || strings.Contains(r.stderr, "anonymous usage data") {
		t.Fatalf("enable: %+v", r)
	}
	r := v.run("", nil, "info")
	if strings.Contains(r.stderr, "anonymous usage data") {
		t.Errorf("notice shown with explicit consent")
	}
	if s := v.waitSpans(1); s[len(s)-1].Attributes["cli.consent"] != "explicit" {
		t.Errorf("cli.consent = %v", s[len(s)-1].Attributes["cli.consent"])
	}
}

func TestE2EDebugPrintsAndSendsNothing(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	r := u.run("", []string{"PIPECTL_TELEMETRY_DEBUG=1"}, "run", "--pipeline", "secret-pipe")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (outside a project)", r.code)
	}
	for _, want := range []string{`"resourceSpans"`, `"pipectl run"`, `"pipectl run --pipeline *****"`, `"enduser.pseudo.id"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("debug output lacks %s:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "secret-pipe") && !strings.HasPrefix(r.stderr, "Error") {
		// The tool's own error line quotes it; the JSON must not.
		if i := strings.Index(r.stderr, `"resourceSpans"`); strings.Contains(r.stderr[i:], "secret-pipe") {
			t.Errorf("debug JSON contains the raw value")
		}
	}
	if r.stdout != "" {
		t.Errorf("debug output went to stdout: %q", r.stdout)
	}
	off := u.run("", []string{"PIPECTL_TELEMETRY_DEBUG=1", "DO_NOT_TRACK=1"}, "info")
	if !strings.Contains(off.stderr, "telemetry: nothing would be sent (DO_NOT_TRACK is set)") {
		t.Errorf("debug with consent off: %q", off.stderr)
	}
	u.quiet(0)
	if files := u.spoolFiles(); len(files) != 0 {
		t.Errorf("debug mode spooled %v", files)
	}
}

func TestE2EUsageErrorsAreRecordedMasked(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	cases := []struct {
		args     []string
		wantLine string
		secrets  []string
	}{
		{[]string{"run", "--api-key=sk-live-4f9a"}, "pipectl run *****", []string{"sk-live-4f9a", "api-key"}},
		{[]string{"frobnicate", "topsecretword"}, "pipectl ***** *****", []string{"frobnicate", "topsecretword"}},
		{[]string{"run", "--runner", "warp-speed-secret"}, "pipectl run --runner *****", []string{"warp-speed-secret"}},
		{[]string{"new", "--name", "x", "--tools", "lint,hidden-tool-secret"}, "pipectl new --name ***** --tools lint,*****", []string{"hidden-tool-secret"}},
		{[]string{"--help", "password123"}, "pipectl --help *****", []string{"password123"}},
	}
	for i, tc := range cases {
		r := u.run("", nil, tc.args...)
		if r.code != 1 && tc.args[0] != "--help" {
			t.Errorf("%v: exit %d", tc.args, r.code)
		}
		s := u.waitSpans(i + 1)[i]
		if s.Attributes["process.command_line"] != tc.wantLine {
			t.Errorf("%v: command line %q, want %q", tc.args, s.Attributes["process.command_line"], tc.wantLine)
		}
		if r.code == 1 && (s.StatusCode.String() != "STATUS_CODE_ERROR" || s.Attributes["error.type"] == nil || s.Attributes["process.exit.code"] != int64(1)) {
			t.Errorf("%v: status %v error.type %v exit %v", tc.args, s.StatusCode, s.Attributes["error.type"], s.Attributes["process.exit.code"])
		}
		for _, secret := range tc.secrets {
			for _, body := range u.sink.Bodies() {
				if bytes.Contains(body, []byte(secret)) {
					t.Errorf("%v: %q was sent", tc.args, secret)
				}
			}
		}
	}
}

func TestE2ENoTelemetryBuild(t *testing.T) {
	u := newUser(t, "notelemetry")
	on := newUser(t, "")
	for _, args := range [][]string{{"--version"}, {"info"}, {"new", "--name", "proj"}} {
		r := u.run("", nil, args...)
		ref := on.run("", []string{"DO_NOT_TRACK=1"}, args...)
		if r.code != ref.code || r.stdout != strings.ReplaceAll(ref.stdout, on.work, u.work) || r.stderr != "" {
			t.Errorf("%v: notelemetry build %+v, telemetry build opted out %+v", args, r, ref)
		}
	}
	if r := u.run("", nil, "telemetry", "status"); r.code != 0 || !strings.Contains(r.stdout, "compiled out") {
		t.Errorf("telemetry status: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(u.home, ".config")); !os.IsNotExist(err) {
		t.Errorf("notelemetry build created %s", filepath.Join(u.home, ".config"))
	}
	if _, err := os.Stat(filepath.Join(u.home, ".cache")); !os.IsNotExist(err) {
		t.Errorf("notelemetry build created %s", filepath.Join(u.home, ".cache"))
	}
	u.quiet(0)
	if n := u.sink.Connections(); n != 0 {
		t.Errorf("notelemetry build connected %d time(s)", n)
	}
	// The exporter and the SDK are not linked in at all.
	out, err := exec.Command("go", "tool", "nm", u.bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	withTelemetry, err := exec.Command("go", "tool", "nm", on.bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	// Not even the OpenTelemetry SDK or API, whose package initialisation
	// reads OTEL_* variables and may warn on the terminal.
	for _, pkg := range []string{"anontel/exporter.", "anontel/processor.", "anontel/identity.UserID",
		"anontel/internal/spool.", "go.opentelemetry.io/", "google.golang.org/protobuf/"} {
		if bytes.Contains(out, []byte(pkg)) {
			t.Errorf("notelemetry binary contains %s", pkg)
		}
		if !bytes.Contains(withTelemetry, []byte(pkg)) {
			t.Errorf("the check is void: the telemetry build has no %s either", pkg)
		}
	}
}

func TestE2ETelemetryCommand(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	st := u.run("", nil, "telemetry", "status")
	for _, want := range []string{"Telemetry: on (by default)", "Decided by: default", u.config, "Queued for upload", "PIPECTL_DISABLE_TELEMETRY"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.stdout)
		}
	}
	u.waitSpans(1)
	if r := u.run("", nil, "telemetry", "disable"); r.code != 0 || !strings.Contains(r.stdout, "disabled") {
		t.Fatalf("disable: %+v", r)
	}
	u.quiet(1) // the disable command itself is not sent: consent changed while it ran
	st = u.run("", nil, "telemetry", "status")
	if !strings.Contains(st.stdout, "Telemetry: off") || !strings.Contains(st.stdout, "Decided by: user") {
		t.Errorf("status after disable:\n%s", st.stdout)
	}
	st = u.run("", []string{"DO_NOT_TRACK=1"}, "telemetry", "enable")
	if !strings.Contains(st.stdout, "stays off") {
		t.Errorf("enable under DO_NOT_TRACK should say it stays off:\n%s", st.stdout)
	}
	u.quiet(1)
}

func TestE2EOfflineSpoolIsKeptAndDisableDeletesIt(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	// A collector that is down: the span stays queued.
	dead := "http://127.0.0.1:1"
	if r := u.run("", []string{"PIPECTL_TELEMETRY_ENDPOINT=" + dead}, "info"); r.code != 0 || r.stderr != "" {
		t.Fatalf("info with the collector down: %+v", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(u.spoolFiles()) != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// Give the uploader time to fail and leave the file.
	time.Sleep(500 * time.Millisecond)
	if files := u.spoolFiles(); len(files) != 1 {
		t.Fatalf("spool = %v, want the one span kept", files)
	}
	st := u.run("", nil, "telemetry", "status")
	if !strings.Contains(st.stdout, "Queued for upload: 1 invocation(s)") {
		t.Errorf("status does not show the queue:\n%s", st.stdout)
	}
	r := u.run("", nil, "telemetry", "disable")
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted") {
		t.Errorf("disable: %+v", r)
	}
	if files := u.spoolFiles(); len(files) != 0 {
		t.Errorf("spool after disable = %v", files)
	}
}

// A marker variable left in the environment cannot turn a command into a
// silent uploader: the command runs as usual, whatever consent says.
func TestE2EUploadMarkerCannotHijackACommand(t *testing.T) {
	u := newUser(t, "")
	marker := []string{"PIPECTL_TELEMETRY_UPLOAD=1", "DO_NOT_TRACK=1"}
	if r := u.run("", marker, "new", "--name", "proj", "--example", "no"); r.code != 0 {
		t.Fatalf("new with a stale marker: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(u.work, "proj", "pyproject.toml")); err != nil {
		t.Errorf("new did nothing: %v", err)
	}
	if r := u.run("", marker, "--bogus"); r.code == 0 || !strings.Contains(r.stderr, "unknown flag") {
		t.Errorf("invalid flag with a stale marker: %+v", r)
	}
	// With consent, the command is recorded and delivered as usual.
	u.firstRun()
	if r := u.run("", []string{"PIPECTL_TELEMETRY_UPLOAD=1"}, "info"); r.code != 0 {
		t.Fatalf("info with a stale marker: %+v", r)
	}
	u.waitSpans(1)
}

// The uploader decides on what can have changed since recording (the
// environment, the user's choice), never on a project it finds above the
// spool folder: a $HOME that is itself a project saying no must not
// silence the uploads of commands run elsewhere.
func TestE2EUploaderIgnoresAProjectAboveTheSpool(t *testing.T) {
	u := newUser(t, "")
	for name, data := range map[string]string{
		"pyproject.toml": "[tool.pipectl]\npackage_name = \"home\"\n",
		".telemetry":     "consent: false\n",
	} {
		if err := os.WriteFile(filepath.Join(u.home, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u.firstRun()
	if r := u.run("", nil, "info"); r.code != 0 {
		t.Fatalf("info: %+v", r)
	}
	u.waitSpans(1)
}

// A user who looks before deciding finds everything as it was: debug mode
// makes no id, writes no project id into the repository, and does not
// remember the notice.
func TestE2EDebugChangesNothing(t *testing.T) {
	u := newUser(t, "")
	u.newProject("proj")
	unchanged := func(before map[string]string, when string) {
		t.Helper()
		if after := tree(t, u.base()); !maps.Equal(before, after) {
			t.Errorf("%s: debug mode changed files:\nbefore %v\nafter  %v", when, before, after)
		}
	}
	before := tree(t, u.base())
	for i := 0; i < 2; i++ {
		r := u.run("proj", []string{"PIPECTL_TELEMETRY_DEBUG=1"}, "info")
		if r.code != 0 || !strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
			t.Fatalf("debug run %d before any real one: %+v", i, r)
		}
	}
	unchanged(before, "first runs")
	u.firstRun() // a real run: the notice is remembered now
	before = tree(t, u.base())
	r := u.run("proj", []string{"PIPECTL_TELEMETRY_DEBUG=1"}, "info")
	for _, want := range []string{"placeholders", `"enduser.pseudo.id"`, `"cli.project.id"`, "(placeholder:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("debug output lacks %q:\n%s", want, r.stderr)
		}
	}
	unchanged(before, "after the notice")
	u.quiet(0)
}

// Of many first runs at once, exactly one shows the notice; the first never
// sends, nor does any run that started before the notice was recorded
// (TestStartedBeforeTheNoticeSendsNothing pins that rule down). Runs that
// started after it are later runs and do send.
func TestE2EParallelFirstRuns(t *testing.T) {
	u := newUser(t, "")
	const n = 30
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = u.run("", nil, "info")
		}()
	}
	wg.Wait()
	notices := 0
	for _, r := range results {
		if strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d of %d first runs showed the notice, want 1", notices, n)
	}
	time.Sleep(time.Second)
	if got := len(u.sink.Spans()) + len(u.spoolFiles()); got >= n {
		t.Errorf("%d of %d first runs were recorded, the notice's own included", got, n)
	}
}
