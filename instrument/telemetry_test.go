//go:build !notelemetry

package instrument

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/identity"
	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/mask"
	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/anontel/anontel/internal/spool"
	"github.com/anontel/anontel/internal/toolenv"
)

// home points the user folders at a fresh temporary folder.
func home(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	tb.Setenv("HOME", dir)
	tb.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	tb.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	return dir
}

// userFile writes the tool's telemetry.toml in home dir and returns its path.
func userFile(tb testing.TB, dir, content string) string {
	tb.Helper()
	config := filepath.Join(dir, "config", "tool")
	os.MkdirAll(config, 0o700)
	path := filepath.Join(config, "telemetry.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// projectCommand makes a project (pyproject.toml with [tool.tool]) in dir
// and returns the config of `tool run -p x` run two folders below its root.
func projectCommand(tb testing.TB, dir string, stderr *bytes.Buffer, lookup func(string) (string, bool)) Config {
	tb.Helper()
	project := filepath.Join(dir, "a", "b", "c")
	os.MkdirAll(project, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "a", "pyproject.toml"), []byte("[tool.tool]\npackage_name = \"p\"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg := testConfig([]string{"run", "-p", "x"}, stderr, lookup)
	cfg.WorkDir = project
	cfg.Project.Name = "pyproject.toml"
	cfg.Project.Table = "tool.tool"
	return cfg
}

// runCommand is one command's telemetry: Start, its span, and Shutdown.
func runCommand(cfg Config) {
	tel := Start(cfg)
	inv := tel.Begin(context.Background())
	inv.End(0, nil)
	tel.Shutdown()
}

// env is a LookupEnv over a fixed map.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var tree = Command{
	Commands: []Command{
		{Name: "run", Flags: []Flag{
			{Name: "pipeline", Shorthand: "p", TakesValue: true},
			{Name: "runner", TakesValue: true, Allowed: []string{"sequential", "parallel"}},
		}},
		{Name: "new", Flags: []Flag{{Name: "name", TakesValue: true}}},
		{Name: "telemetry", Commands: []Command{{Name: "status"}}},
	},
}

func testConfig(args []string, stderr *bytes.Buffer, lookup func(string) (string, bool)) Config {
	return Config{
		Tool:      "tool",
		Version:   "1.2.3",
		Endpoint:  "http://127.0.0.1:9",
		Root:      tree,
		Args:      args,
		Stderr:    stderr,
		LookupEnv: lookup,
	}
}

// debugSpans decodes the OTLP JSON that debug mode prints.
func debugSpans(t *testing.T, out string) []otlpsink.Span {
	t.Helper()
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("no JSON in debug output %q", out)
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := protojson.Unmarshal([]byte(out[i:]), &req); err != nil {
		t.Fatalf("debug output is not OTLP JSON: %v\n%s", err, out)
	}
	return otlpsink.Flatten(&req)
}

// files lists everything below dir.
func files(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestConsentOffBuildsNothing(t *testing.T) {
	for _, lookup := range []func(string) (string, bool){
		env("DO_NOT_TRACK", ""),
		env("TOOL_DISABLE_TELEMETRY", "0"),
		env("DO_NOT_TRACK", "1", "TOOL_TELEMETRY_DEBUG", "1"),
	} {
		dir := home(t)
		var stderr bytes.Buffer
		tel := Start(testConfig([]string{"run", "-p", "secret"}, &stderr, lookup))
		inv := tel.Begin(context.Background())
		SetAttributes(inv.Context(), NewProjectChoices([]string{"lint"}, nil, true)...)
		inv.End(1, errors.New("boom secret"))
		tel.Shutdown()
		if tel.Recording() {
			t.Errorf("recording with consent off")
		}
		if got := files(dir); len(got) != 0 {
			t.Errorf("consent off created %v", got)
		}
		if debug, _ := lookup("TOOL_TELEMETRY_DEBUG"); debug == "1" {
			if !strings.Contains(stderr.String(), "telemetry: nothing would be sent (DO_NOT_TRACK is set)") {
				t.Errorf("debug with consent off printed %q", stderr.String())
			}
		} else if stderr.Len() != 0 {
			t.Errorf("consent off printed %q", stderr.String())
		}
	}
}

func TestInvocationSpan(t *testing.T) {
	dir := home(t)
	project := filepath.Join(dir, "proj")
	os.MkdirAll(filepath.Join(project, "sub"), 0o755)
	os.WriteFile(filepath.Join(project, "pyproject.toml"), []byte("[tool.tool]\npackage_name = \"pkg\"\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "config", "tool"), 0o700)
	os.WriteFile(filepath.Join(dir, "config", "tool", "telemetry.toml"), []byte("[telemetry]\nconsent = true\n"), 0o600)

	tests := []struct {
		name      string
		args      []string
		code      int
		err       error
		wd        string
		newTools  []string
		wantName  string
		wantLine  string
		wantError string // error.type
	}{
		{name: "success in project", args: []string{"run", "--pipeline=ds", "--runner", "parallel"}, wd: filepath.Join(project, "sub"),
			wantName: "tool run", wantLine: "tool run --pipeline ***** --runner parallel"},
		{name: "plain error", args: []string{"run", "-p", "missing-pipeline"}, code: 1, err: fmt.Errorf("pipeline %q not found", "missing-pipeline"),
			wantName: "tool run", wantLine: "tool run -p *****", wantError: "_OTHER"},
		{name: "typed error", args: []string{"run", "--bad=x"}, code: 2, err: &fs.PathError{Op: "open", Path: "/home/secret-user/x", Err: fs.ErrNotExist},
			wantName: "tool run", wantLine: "tool run *****", wantError: "*fs.PathError"},
		{name: "exit code without error", args: []string{"frob"}, code: 3,
			wantName: "tool", wantLine: "tool *****", wantError: "3"},
		{name: "new with tools", args: []string{"new", "--name", "my-proj"}, newTools: []string{"lint", "secret-tool"},
			wantName: "tool new", wantLine: "tool new --name *****"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg := testConfig(tc.args, &stderr, env("TOOL_TELEMETRY_DEBUG", "1", "CI", "true"))
			cfg.WorkDir = tc.wd
			if tc.wd == "" {
				cfg.WorkDir = dir
			}
			cfg.Project = identity.ProjectFile{Name: "pyproject.toml", Table: "tool.tool", PackageNameKey: "package_name", IDTable: "tool.tool_telemetry", IDKey: "project_id"}
			cfg.ProjectAttributes = func(root string) ([]Attr, error) {
				if root != project {
					t.Errorf("stats of %s, want %s", root, project)
				}
				return ProjectCounts(5, 7, 2), nil
			}
			tel := Start(cfg)
			inv := tel.Begin(context.Background())
			if tc.newTools != nil {
				SetAttributes(inv.Context(), NewProjectChoices(tc.newTools, []string{"lint", "test"}, true)...)
			}
			inv.End(tc.code, tc.err)
			tel.Shutdown()
			spans := debugSpans(t, stderr.String())
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			if s.Name != tc.wantName || s.Attributes["process.command_line"] != tc.wantLine {
				t.Errorf("name %q line %q", s.Name, s.Attributes["process.command_line"])
			}
			if got := s.Attributes["process.exit.code"]; got != int64(tc.code) {
				t.Errorf("exit code %v", got)
			}
			if (tc.code != 0) != (s.StatusCode.String() == "STATUS_CODE_ERROR") {
				t.Errorf("status %v for exit code %d", s.StatusCode, tc.code)
			}
			if got, _ := s.Attributes["error.type"].(string); got != tc.wantError {
				t.Errorf("error.type %q, want %q", got, tc.wantError)
			}
			if s.Attributes["cli.ci"] != true || s.Attributes["cli.consent"] != "explicit" {
				t.Errorf("cli.ci %v cli.consent %v", s.Attributes["cli.ci"], s.Attributes["cli.consent"])
			}
			// Debug mode shows placeholders and makes no id.
			if id, _ := s.Attributes["enduser.pseudo.id"].(string); id != debugUserID {
				t.Errorf("enduser.pseudo.id %q, want the placeholder", id)
			}
			inProject := tc.wd != ""
			if id, _ := s.Attributes["cli.project.id"].(string); inProject != (id == debugProjectID) {
				t.Errorf("cli.project.id %q (in project: %v)", id, inProject)
			}
			if data, _ := os.ReadFile(filepath.Join(project, "pyproject.toml")); string(data) != "[tool.tool]\npackage_name = \"pkg\"\n" {
				t.Errorf("debug mode changed pyproject.toml:\n%s", data)
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "config", "tool", "telemetry.toml")); strings.Contains(string(data), "uuid") {
				t.Errorf("debug mode made a user id:\n%s", data)
			}
			if inProject && (s.Attributes["cli.project.datasets"] != int64(5) || s.Attributes["cli.project.nodes"] != int64(7) || s.Attributes["cli.project.pipelines"] != int64(2)) {
				t.Errorf("stats %v", s.Attributes)
			}
			if tc.newTools != nil {
				if got := s.Attributes["cli.new.tools"].([]string); !slices.Equal(got, []string{"lint", mask.Placeholder}) {
					t.Errorf("cli.new.tools %q", got)
				}
				if s.Attributes["cli.new.example_pipeline"] != true {
					t.Errorf("cli.new.example_pipeline %v", s.Attributes["cli.new.example_pipeline"])
				}
			}
			if tc.err != nil {
				// The exception's type is kept; its message, which can hold
				// paths and values nothing knows to mask, is not sent.
				if len(s.Events) != 1 || s.Events[0].Name != "exception" ||
					s.Events[0].Attributes["exception.type"] != fmt.Sprintf("%T", tc.err) {
					t.Errorf("events %+v", s.Events)
				} else if _, ok := s.Events[0].Attributes["exception.message"]; ok {
					t.Errorf("exception.message sent: %v", s.Events[0].Attributes)
				}
			} else if len(s.Events) != 0 {
				t.Errorf("events without an error: %+v", s.Events)
			}
			for _, secret := range []string{"my-proj", "missing-pipeline", "secret-tool", dir} {
				if i := strings.Index(stderr.String(), "{"); strings.Contains(stderr.String()[i:], secret) {
					t.Errorf("debug output carries %q", secret)
				}
			}
			if s.Resource["service.name"] != "tool" || s.Resource["service.version"] != "1.2.3" || s.Resource["os.type"] != runtime.GOOS {
				t.Errorf("resource %v", s.Resource)
			}
		})
	}
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		code int
		err  error
		want string
	}{
		{1, errors.New("x"), "_OTHER"},
		{1, fmt.Errorf("wrap: %w", errors.New("x")), "_OTHER"},
		{1, fmt.Errorf("wrap: %w", &fs.PathError{Op: "open", Path: "p", Err: fs.ErrNotExist}), "*fs.PathError"},
		{1, errors.Join(errors.New("a"), errors.New("b")), "_OTHER"},
		{4, nil, "4"},
	}
	for _, tc := range tests {
		if got := errorType(tc.code, tc.err); got != tc.want {
			t.Errorf("errorType(%d, %v) = %q, want %q", tc.code, tc.err, got, tc.want)
		}
	}
}

func TestIsCI(t *testing.T) {
	tests := []struct {
		env  []string
		want bool
	}{
		{nil, false},
		{[]string{"CI", "true"}, true},
		{[]string{"CI", "TRUE"}, true},
		{[]string{"CI", "1"}, false}, // Kedro checks CI == "true" only
		{[]string{"GITHUB_ACTION", "x"}, true},
		{[]string{"GITLAB_CI", ""}, false},
		{[]string{"BUILDKITE", "true"}, true},
	}
	for _, tc := range tests {
		if got := isCI(env(tc.env...)); got != tc.want {
			t.Errorf("isCI(%v) = %v, want %v", tc.env, got, tc.want)
		}
		// In CI each command starts its uploader: the machine may be gone
		// before an uploader waiting out its minute would send.
		perCommand := newTelemetry(Config{Tool: "tool", LookupEnv: env(tc.env...)}).spoolCfg.UploadInterval < 0
		if perCommand != tc.want {
			t.Errorf("%v: an uploader per command = %v, want %v", tc.env, perCommand, tc.want)
		}
	}
}

// notFirstRun records that the notice was shown, as a previous run would.
func notFirstRun(t *testing.T, dir string) {
	t.Helper()
	userFile(t, dir, "[telemetry]\nnotice_shown = \"2026-01-01\"\n")
}

func TestTheUsersOpenTelemetryEnvironmentDoesNotApply(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		recording bool
	}{
		{"resource attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "host.name=laptop,user.name=alice", "OTEL_SERVICE_NAME": "mine"}, true},
		{"sampler off and limits", map[string]string{"OTEL_TRACES_SAMPLER": "always_off", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "1", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "2"}, true},
		{"malformed resource attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "broken"}, false},
		{"malformed escape", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "a=%zz"}, false},
		{"unknown sampler", map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, false},
		{"bad sampler argument", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			notFirstRun(t, home(t))
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			// The SDK reports parse errors through the global logger, which
			// writes to the process's stderr: capture it.
			r, w, _ := os.Pipe()
			saved := os.Stderr
			os.Stderr = w
			var stderr bytes.Buffer
			tel := Start(testConfig([]string{"run"}, &stderr, env("TOOL_TELEMETRY_DEBUG", "1")))
			tel.Begin(context.Background()).End(0, nil)
			tel.Shutdown()
			os.Stderr = saved
			w.Close()
			leaked, _ := io.ReadAll(r)
			if len(leaked) != 0 {
				t.Errorf("printed on stderr: %q", leaked)
			}
			if tel.Recording() != tc.recording {
				t.Fatalf("recording = %v, want %v", tel.Recording(), tc.recording)
			}
			if !tc.recording {
				if !strings.Contains(stderr.String(), "telemetry: nothing would be sent (instrument: OTEL_") {
					t.Errorf("debug mode does not say why nothing is sent: %q", stderr.String())
				}
				return
			}
			s := debugSpans(t, stderr.String())[0]
			if len(s.Resource) != 10 || s.Resource["service.name"] != "tool" || s.Resource["host.name"] != nil {
				t.Errorf("resource = %v", s.Resource)
			}
			if s.Attributes["process.command_line"] != "tool run" || s.Attributes["cli.consent"] == nil {
				t.Errorf("attributes = %v", s.Attributes)
			}
		})
	}
}

func TestOwnValuesAreNotScrubbed(t *testing.T) {
	dir := home(t)
	notFirstRun(t, dir)
	var stderr bytes.Buffer
	// Learn the user id first.
	tel := Start(testConfig([]string{"run"}, &stderr, env("TOOL_TELEMETRY_DEBUG", "1")))
	tel.Begin(context.Background()).End(0, nil)
	tel.Shutdown()
	id := debugSpans(t, stderr.String())[0].Attributes["enduser.pseudo.id"].(string)

	stderr.Reset()
	args := []string{"run", "-p", id[:4], "--runner", "implicit", runtime.GOOS, "_OTHER", "exit"}
	tel = Start(testConfig(args, &stderr, env("TOOL_TELEMETRY_DEBUG", "1")))
	tel.Begin(context.Background()).End(1, errors.New("x"))
	tel.Shutdown()
	s := debugSpans(t, stderr.String())[0]
	want := map[string]any{
		"enduser.pseudo.id": id, "cli.consent": "implicit", "error.type": "_OTHER",
		"process.exit.code": int64(1), "process.command_line": "tool run -p ***** --runner ***** ***** ***** *****",
	}
	for k, v := range want {
		if s.Attributes[k] != v {
			t.Errorf("%s = %v, want %v", k, s.Attributes[k], v)
		}
	}
	if s.Resource["os.type"] != runtime.GOOS || s.StatusMsg != "" {
		t.Errorf("os.type %v, status message %q", s.Resource["os.type"], s.StatusMsg)
	}
}

func TestShellCompletionIsNotAUse(t *testing.T) {
	dir := home(t)
	for _, args := range [][]string{{"__complete", "run", "--pipe"}, {"__completeNoDesc", "r"}} {
		var stderr bytes.Buffer
		tel := Start(testConfig(args, &stderr, env()))
		tel.Begin(context.Background()).End(0, nil)
		tel.Shutdown()
		if tel.Recording() || stderr.Len() != 0 {
			t.Errorf("%v: recording %v, printed %q", args, tel.Recording(), stderr.String())
		}
	}
	if got := files(dir); len(got) != 0 {
		t.Errorf("completion created %v (not even the notice is owed)", got)
	}
}

// DO_NOT_TRACK decides before any file is read: not even the project is
// looked for (its pyproject.toml would be opened up the tree).
func TestEnvironmentOptOutLooksForNoProject(t *testing.T) {
	dir := home(t)
	os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[tool.tool]\n"), 0o644)
	for _, tc := range []struct {
		lookup      func(string) (string, bool)
		wantProject bool
	}{
		{env("DO_NOT_TRACK", "1"), false},
		{env("TOOL_DISABLE_TELEMETRY", ""), false},
		{env(), true},
	} {
		cfg := testConfig(nil, &bytes.Buffer{}, tc.lookup)
		cfg.WorkDir = dir
		cfg.Project = identity.ProjectFile{Name: "pyproject.toml", Table: "tool.tool"}
		tel := newTelemetry(cfg)
		tel.decide()
		if got := tel.project != ""; got != tc.wantProject {
			t.Errorf("project found = %v, want %v", got, tc.wantProject)
		}
	}
}

// A command line of thousands of arguments (a glob) is cut on the span: it
// is masked all the same, and costs the layers after it nothing more.
func TestLongCommandLineIsCut(t *testing.T) {
	notFirstRun(t, home(t))
	args := []string{"run"}
	for i := range 5000 {
		args = append(args, fmt.Sprintf("customer_%04d.csv", i))
	}
	var stderr bytes.Buffer
	tel := Start(testConfig(args, &stderr, env("TOOL_TELEMETRY_DEBUG", "1")))
	tel.Begin(context.Background()).End(0, nil)
	tel.Shutdown()
	spans := debugSpans(t, stderr.String())
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	got, _ := spans[0].Attributes["process.command_args"].([]string)
	if len(got) != maxRecordedArgs || got[0] != "tool" || got[1] != "run" || got[len(got)-1] != mask.Placeholder {
		t.Errorf("command_args: %d tokens, first %q, last %q", len(got), got[:2], got[len(got)-1])
	}
	if line, _ := spans[0].Attributes["process.command_line"].(string); line != strings.Join(got, " ") {
		t.Errorf("command_line does not match command_args")
	}
	if strings.Contains(stderr.String(), "customer_") {
		t.Error("a raw argument was recorded")
	}
}

// "telemetry disable" run by another process while a command runs is seen
// when the command ends: no id is made, nothing is recorded.
func TestDisableWhileACommandRuns(t *testing.T) {
	dir := home(t)
	notFirstRun(t, dir)
	var stderr bytes.Buffer
	tel := Start(testConfig([]string{"run"}, &stderr, env()))
	if !tel.Recording() {
		t.Fatal("not recording")
	}
	inv := tel.Begin(context.Background())
	userFile := filepath.Join(dir, "config", "tool", "telemetry.toml")
	if err := consent.SaveUserChoice(userFile, false); err != nil { // the other process
		t.Fatal(err)
	}
	inv.End(0, nil)
	tel.Shutdown()
	if data, _ := os.ReadFile(userFile); strings.Contains(string(data), "uuid") {
		t.Errorf("an id was made after telemetry disable:\n%s", data)
	}
	for _, f := range files(dir) {
		if strings.HasSuffix(f, ".otlp") {
			t.Errorf("recorded after telemetry disable: %s", f)
		}
	}
}

func TestMain(m *testing.M) {
	// A test that records may start an uploader: this binary, with a spawn
	// token for one of the tools of these tests. It must not run the tests
	// again.
	for _, tool := range []string{"tool", "pipectl"} {
		if v := os.Getenv(toolenv.Upload(tool)); len(v) == 32 && strings.Trim(v, "0123456789abcdef") == "" {
			os.Exit(0)
		}
	}
	// Every Telemetry of these tests lives in one process: each starts
	// when Start is called, as separate commands would.
	startedAt = func(now time.Time) time.Time { return now }
	os.Exit(m.Run())
}

// processStart reads when the kernel started this process: before now,
// and not before the test binary was built, whenever it is asked (Start
// asks for it well after it began, only when the notice rule needs it).
func TestProcessStart(t *testing.T) {
	now := time.Now()
	got := processStart(now)
	if got.After(now) || now.Sub(got) > time.Hour {
		t.Errorf("processStart = %v, now %v", got, now)
	}
	if runtime.GOOS == "linux" {
		if late := processStart(now.Add(-time.Hour)); late.Sub(got).Abs() > time.Second {
			t.Errorf("processStart depends on when Start began: %v, then %v", got, late)
		}
	}
}

// holdUploadWait plays, until the test ends, the uploader that waits out
// its interval for cfg's spool, so that no command of the test starts one
// (it would be the test binary). It returns the spool folder.
func holdUploadWait(tb testing.TB, cfg Config) string {
	tb.Helper()
	dir, err := spool.Dir(spool.Config{Tool: cfg.Tool, Endpoint: cfg.Endpoint, LookupEnv: cfg.LookupEnv})
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	waiter, err := lockfile.TryLock(filepath.Join(dir, "upload.wait"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { waiter.Unlock() })
	return dir
}
