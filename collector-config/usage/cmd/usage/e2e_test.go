package main

// End to end: the real pipectl, run as a user in a throw-away home, sends
// its spans over OTLP/HTTP on loopback; they land in a file export; `usage
// load` and `usage report` must show that session. Once with a loopback
// receiver that writes exactly what the file exporter writes, and once
// through the project's collector when it has been built (make collector).

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/anontel/anontel/collector-config/usage/report"
)

// repoRoot is the anontel module, four folders up from this package.
const repoRoot = "../../../.."

var (
	pipectlOnce sync.Once
	pipectlBin  string
	pipectlErr  error
)

// pipectl builds the example tool from the repository root once.
func pipectl(t *testing.T) string {
	t.Helper()
	pipectlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "usage-e2e-")
		if err != nil {
			pipectlErr = err
			return
		}
		pipectlBin = filepath.Join(dir, "pipectl")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", pipectlBin, "./examples/pipectl")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			pipectlErr = fmt.Errorf("go build ./examples/pipectl: %v\n%s", err, out)
		}
	})
	if pipectlErr != nil {
		t.Fatal(pipectlErr)
	}
	return pipectlBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pipectlBin != "" {
		os.RemoveAll(filepath.Dir(pipectlBin))
	}
	os.Exit(code)
}

// fileSink is an OTLP/HTTP receiver on loopback that appends each request
// to a file as the collector's file exporter does with format: json: the
// request re-encoded by pdata's JSON marshaler, one per line.
type fileSink struct {
	mu    sync.Mutex
	path  string
	spans int
}

func (s *fileSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, 4<<20)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// An ExportTraceServiceRequest has the wire shape of TracesData, so
	// pdata's trace unmarshalers read it as it is.
	var td ptrace.Traces
	if r.Header.Get("Content-Type") == "application/json" {
		td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
	} else {
		td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	line, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err == nil {
		err = s.append(append(line, '\n'), td.SpanCount())
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// An empty ExportTraceServiceResponse is zero bytes.
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// append writes and syncs before the 200: what is acknowledged is on disk.
func (s *fileSink) append(line []byte, spans int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		s.spans += spans
	}
	return err
}

func (s *fileSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spans
}

// pipectlUser runs pipectl as a user in a throw-away home, with only the
// environment a user would have (no CI variables) and the tool's endpoint.
type pipectlUser struct {
	t               *testing.T
	bin, home, work string
	env             []string
}

func newPipectlUser(t *testing.T, endpoint string) *pipectlUser {
	base := t.TempDir()
	u := &pipectlUser{t: t, bin: pipectl(t), home: filepath.Join(base, "home"), work: filepath.Join(base, "work")}
	for _, d := range []string{u.home, u.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + u.home,
		"XDG_CONFIG_HOME=" + filepath.Join(u.home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(u.home, ".cache"),
		"PIPECTL_TELEMETRY_ENDPOINT=" + endpoint,
		"PIPECTL_TELEMETRY_UPLOAD_INTERVAL=0", // an uploader per command: the test waits for each span
	}
	return u
}

func (u *pipectlUser) run(dir string, want int, args ...string) string {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, u.bin, args...)
	cmd.Dir = filepath.Join(u.work, dir)
	cmd.Env = u.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		u.t.Fatalf("pipectl %v: %v", args, err)
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		u.t.Fatalf("pipectl %v: exit %d, want %d\n%s", args, code, want, out.String())
	}
	return out.String()
}

// session is the scripted pipectl session; it returns how many spans it
// sends (the first run only shows the notice).
func (u *pipectlUser) session() int {
	if out := u.run("", 0, "--version"); !strings.Contains(out, "anonymous usage data") {
		u.t.Fatalf("the first run showed no notice:\n%s", out)
	}
	u.run("", 0, "new", "--name", "space", "--example", "yes", "--tools", "lint,viz")
	u.run("space", 0, "run", "--pipeline", "__default__", "--env", "local", "--runner", "parallel")
	u.run("space", 1, "run", "-p", "secret_pipeline_name")
	u.run("space", 0, "info")
	return 4
}

// checkSession loads the export and checks the report shows the session.
func checkSession(t *testing.T, db string, u *pipectlUser) {
	t.Helper()
	code, out, stderr := usage(t, "report", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Invocations != 4 || r.Users != 1 || r.Projects.Projects != 1 {
		t.Errorf("report: %d invocations, %d users, %d projects; want 4, 1, 1", r.Invocations, r.Users, r.Projects.Projects)
	}
	cmds := map[string]report.Command{}
	for _, c := range r.Commands {
		cmds[c.Command] = c
	}
	if cmds["run"].Invocations != 2 || cmds["run"].Failures != 1 || cmds["run"].TopError == "" ||
		cmds["new"].Invocations != 1 || cmds["info"].Invocations != 1 || len(cmds) != 3 {
		t.Errorf("commands %+v, want run ×2 (one failed), new, info", r.Commands)
	}
	values := map[string]int64{}
	for _, v := range r.FlagValues {
		values[v.Command+" "+v.Flag+" "+v.Value] = v.Uses
	}
	for _, want := range []string{"run --runner parallel", "run --pipeline *****", "run -p *****", "new --tools lint", "new --tools viz", "new --example yes"} {
		if values[want] != 1 {
			t.Errorf("flag value %q counted %d times, want 1 (all: %v)", want, values[want], values)
		}
	}
	if r.New.Invocations != 1 || r.New.Example != 1 || len(r.New.Tools) != 2 {
		t.Errorf("new: %+v", r.New)
	}
	if len(r.CI) != 1 || r.CI[0].Value != "interactive" || len(r.Consent) != 1 || r.Consent[0].Value != "implicit" {
		t.Errorf("ci %+v consent %+v", r.CI, r.Consent)
	}
	if len(r.Versions) != 1 || r.Versions[0].Share != 1 {
		t.Errorf("versions %+v", r.Versions)
	}
	// The user counted is the id in the user's telemetry.toml.
	cfg, err := os.ReadFile(filepath.Join(u.home, ".config", "pipectl", "telemetry.toml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = usage(t, "sql", "--db", db, "SELECT DISTINCT enduser_pseudo_id FROM invocations")
	id := strings.TrimSpace(strings.TrimPrefix(out, "enduser_pseudo_id"))
	if code != 0 || len(id) != 36 || !strings.Contains(string(cfg), id) {
		t.Errorf("the user id %q is not the one in telemetry.toml:\n%s", id, cfg)
	}
	if code, out, _ := usage(t, "report", "--db", db); code != 0 || !strings.Contains(out, "pipectl") || !strings.Contains(out, "run") {
		t.Errorf("text report:\n%s", out)
	}
	// Nothing of the user's arguments reached the database.
	raw, _ := os.ReadFile(db)
	for _, leak := range []string{"secret_pipeline_name", "__default__", u.home} {
		if bytes.Contains(raw, []byte(leak)) {
			t.Errorf("the database holds %q", leak)
		}
	}
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestEndToEndLoopbackFileExport(t *testing.T) {
	dir := t.TempDir()
	sink := &fileSink{path: filepath.Join(dir, "spans.jsonl")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sink)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	u := newPipectlUser(t, srv.URL)
	want := u.session()
	waitFor(t, 30*time.Second, "pipectl's spans at the receiver", func() bool { return sink.count() >= want })
	if n := sink.count(); n != want {
		t.Errorf("the receiver got %d spans, want %d", n, want)
	}
	db := filepath.Join(dir, "usage.duckdb")
	if code, _, stderr := usage(t, "load", "--db", db, sink.path); code != 0 || !strings.Contains(stderr, "4 spans loaded") {
		t.Fatalf("load: exit %d\n%s", code, stderr)
	}
	checkSession(t, db, u)
}

// TestEndToEndCollector runs the session through the project's collector
// (collector-config/bin/otelcol-anontel with collector-config/otelcol.yaml,
// from `make collector`) and loads its real file export.
func TestEndToEndCollector(t *testing.T) {
	bin, _ := filepath.Abs("../../../bin/otelcol-anontel")
	config, _ := filepath.Abs("../../../otelcol.yaml")
	for _, p := range []string{bin, config} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" && os.Getenv("USAGE_E2E_COLLECTOR") == "required" {
				t.Fatalf("%s is missing (make collector)", p)
			}
			t.Skipf("no collector here (%s missing; `make collector` builds it): the end-to-end test through the collector is skipped", p)
		}
	}
	dir := t.TempDir()
	ports := freePorts(t, 3)
	export := filepath.Join(dir, "data", "spans.jsonl")
	os.MkdirAll(filepath.Dir(export), 0o755)
	cmd := exec.Command(bin, "--config", config)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("COLLECTOR_OTLP_HTTP=127.0.0.1:%d", ports[0]),
		fmt.Sprintf("COLLECTOR_HEALTH=127.0.0.1:%d", ports[1]),
		fmt.Sprintf("COLLECTOR_JAEGER_OTLP=127.0.0.1:%d", ports[2]), // nobody listens: Jaeger is not under test
		"COLLECTOR_FILE="+export,
	)
	var log bytes.Buffer
	var logMu sync.Mutex
	cmd.Stdout, cmd.Stderr = lockedWriter{&log, &logMu}, lockedWriter{&log, &logMu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("collector log:\n%s", log.String())
			logMu.Unlock()
		}
	})
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	waitFor(t, 30*time.Second, "the collector's OTLP/HTTP receiver", func() bool {
		resp, err := http.Post(endpoint+"/v1/traces", "application/json", strings.NewReader("{}"))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	u := newPipectlUser(t, endpoint)
	want := u.session()
	db := filepath.Join(dir, "usage.duckdb")
	// Load as the collector writes: incrementally, until the session is in.
	waitFor(t, 60*time.Second, "the session in the collector's file export", func() bool {
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(export), "spans*"))
		if len(files) == 0 {
			return false
		}
		usage(t, append([]string{"load", "--db", db}, files...)...)
		_, out, _ := usage(t, "sql", "--db", db, "SELECT count(*) AS n FROM invocations")
		return strings.TrimSpace(strings.TrimPrefix(out, "n")) == fmt.Sprint(want)
	})
	checkSession(t, db, u)
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
