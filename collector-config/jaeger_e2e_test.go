package jaegere2e

// End-to-end tests of otelcol.yaml and jaeger.yaml: a real Jaeger v2 built
// from this module's tool directive behind the real otelcol-anontel, started
// on free loopback ports, fed by a real pipectl run as a user would, and read
// back through Jaeger's HTTP query API and the collector's file export.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	jaegerPkg  = "github.com/jaegertracing/jaeger/cmd/jaeger"
	pipectlPkg = "./examples/pipectl"
	// pipectlVersion is the version pipectl reports as service.version.
	pipectlVersion = "0.3.0"
)

var (
	buildOnce  sync.Once
	buildDir   string
	jaegerBin  string
	pipectlBin string
	buildErr   error
	buildSkip  string // why the test is skipped, if the module proxy is out of reach
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	cleanupMu.Lock()
	for _, d := range cleanupDirs {
		os.RemoveAll(d)
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// binaries builds jaeger (this module) and pipectl (the parent module) once,
// side by side.
func binaries(t testing.TB) (jaeger, pipectl string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "jaeger-e2e-")
		if buildErr != nil {
			return
		}
		// A cold build of jaeger takes minutes: stop before go test's own
		// -timeout would panic, so the failure says what was slow.
		deadline := time.Now().Add(25 * time.Minute)
		if tt, isT := t.(interface{ Deadline() (time.Time, bool) }); !isT {
			// A benchmark has no deadline of its own.
		} else if d, ok := tt.Deadline(); ok && d.Add(-30*time.Second).Before(deadline) {
			deadline = d.Add(-30 * time.Second)
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		jaegerBin = filepath.Join(buildDir, "jaeger")
		pipectlBin = filepath.Join(buildDir, "pipectl")
		var wg sync.WaitGroup
		var jaegerOut, pipectlOut []byte
		var jaegerErr, pipectlErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "go", "build", "-o", jaegerBin, jaegerPkg)
			jaegerOut, jaegerErr = cmd.CombinedOutput()
		}()
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "go", "build", "-o", pipectlBin, pipectlPkg)
			cmd.Dir = ".."
			pipectlOut, pipectlErr = cmd.CombinedOutput()
		}()
		wg.Wait()
		switch {
		case jaegerErr != nil && proxyUnreachable(jaegerOut):
			buildSkip = fmt.Sprintf("cannot build jaeger: the Go module proxy is unreachable:\n%s", jaegerOut)
		case ctx.Err() != nil:
			buildErr = fmt.Errorf("building jaeger and pipectl did not finish by %v (a cold jaeger build takes minutes; run go test with -timeout 30m)", deadline.Format(time.TimeOnly))
		case jaegerErr != nil:
			buildErr = fmt.Errorf("go build %s: %v\n%s", jaegerPkg, jaegerErr, jaegerOut)
		case pipectlErr != nil:
			buildErr = fmt.Errorf("go build %s: %v\n%s", pipectlPkg, pipectlErr, pipectlOut)
		}
	})
	if buildSkip != "" {
		t.Skip(buildSkip)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return jaegerBin, pipectlBin
}

// proxyUnreachable reports whether go build failed while downloading modules
// over the network (as opposed to a compile error or a bad config).
func proxyUnreachable(out []byte) bool {
	s := string(out)
	if !strings.Contains(s, `Get "https://`) && !strings.Contains(s, "proxy") {
		return false
	}
	for _, sign := range []string{"dial tcp", "no such host", "i/o timeout", "connection refused",
		"network is unreachable", "TLS handshake timeout", "server misbehaving"} {
		if strings.Contains(s, sign) {
			return true
		}
	}
	return false
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var listeners []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range listeners {
		l.Close()
	}
	return ports
}

// jaeger is a running Jaeger started with jaeger.yaml.
type jaeger struct {
	otlpAddr, queryURL string // OTLP/gRPC host:port, query API base URL
	log                *lockedBuffer
}

var client = &http.Client{Timeout: 5 * time.Second}

func startJaeger(t testing.TB) *jaeger {
	t.Helper()
	bin, _ := binaries(t)
	config, err := filepath.Abs("jaeger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := freePorts(t, 3)
	j := &jaeger{
		otlpAddr: fmt.Sprintf("127.0.0.1:%d", p[0]),
		queryURL: fmt.Sprintf("http://127.0.0.1:%d", p[1]),
		log:      &lockedBuffer{},
	}
	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("JAEGER_OTLP_GRPC_PORT=%d", p[0]),
		fmt.Sprintf("JAEGER_QUERY_HTTP_PORT=%d", p[1]),
		fmt.Sprintf("JAEGER_QUERY_GRPC_PORT=%d", p[2]),
	)
	cmd.Stdout, cmd.Stderr = j.log, j.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("jaeger log:\n%s", j.log)
		}
	})

	// Extensions (the query API) start before the pipelines (the receiver):
	// wait for both.
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("jaeger exited at startup: %v\n%s", err, j.log)
		default:
		}
		if j.ready() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger not ready after 30s:\n%s", j.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (j *jaeger) ready() bool {
	resp, err := client.Get(j.queryURL + "/api/services")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	conn, err := net.DialTimeout("tcp", j.otlpAddr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// get fetches a query API path and returns the raw body.
func (j *jaeger) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := client.Get(j.queryURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", path, resp.Status, err, body)
	}
	return body
}

func (j *jaeger) services(t *testing.T) []string {
	t.Helper()
	var r struct{ Data []string }
	if err := json.Unmarshal(j.get(t, "/api/services"), &r); err != nil {
		t.Fatal(err)
	}
	return r.Data
}

// Jaeger's query API (api/v1 JSON) shapes.
type tag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type span struct {
	OperationName string `json:"operationName"`
	ProcessID     string `json:"processID"`
	Tags          []tag  `json:"tags"`
	process       process
}

type process struct {
	ServiceName string `json:"serviceName"`
	Tags        []tag  `json:"tags"`
}

type tracesResponse struct {
	Data []struct {
		Spans     []span             `json:"spans"`
		Processes map[string]process `json:"processes"`
	} `json:"data"`
}

// tagMap flattens tags; numbers decode as float64.
func tagMap(tags []tag) map[string]any {
	m := map[string]any{}
	for _, tg := range tags {
		m[tg.Key] = tg.Value
	}
	return m
}

// waitSpans polls Jaeger until service has at least n spans and returns them
// with the raw JSON they came in.
func (j *jaeger) waitSpans(t *testing.T, service string, n int) ([]span, []byte) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := j.get(t, "/api/traces?service="+service+"&limit=50")
		var r tracesResponse
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("traces: %v\n%s", err, body)
		}
		var spans []span
		for _, tr := range r.Data {
			for _, s := range tr.Spans {
				s.process = tr.Processes[s.ProcessID]
				spans = append(spans, s)
			}
		}
		if len(spans) >= n {
			return spans, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger holds %d span(s) of %q after 30s, want %d:\n%s", len(spans), service, n, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// user runs pipectl as a real user would, in a throw-away home.
type user struct {
	t    *testing.T
	bin  string
	home string
	work string
	env  []string
}

func newUser(t *testing.T, bin, endpoint string) *user {
	base := t.TempDir()
	u := &user{t: t, bin: bin, home: filepath.Join(base, "home"), work: filepath.Join(base, "work")}
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

type result struct {
	code           int
	stdout, stderr string
}

func (u *user) run(dir string, args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, u.bin, args...)
	cmd.Dir = filepath.Join(u.work, dir)
	cmd.Env = u.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		u.t.Fatalf("pipectl %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// TestJaegerStoresPipectlSpans: pipectl -> otelcol-anontel -> Jaeger and
// the file export; every documented field arrives intact in both.
func TestJaegerStoresPipectlSpans(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, collectorOpts{jaegerOTLP: j.otlpAddr})
	_, bin := binaries(t)
	u := newUser(t, bin, c.otlpURL)

	if r := u.run("", "--version"); r.code != 0 || !strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
		t.Fatalf("first run showed no notice: %+v", r)
	}
	if r := u.run("", "new", "--name", "space", "--example", "yes", "--tools", "lint,viz"); r.code != 0 {
		t.Fatalf("new: %+v", r)
	}
	if r := u.run("space", "run", "--pipeline", "__default__", "--env", "local", "--runner", "parallel"); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	if r := u.run("space", "run", "-p", "secret_pipeline_name"); r.code != 1 {
		t.Fatalf("run of an unknown pipeline: exit %d, want 1: %+v", r.code, r)
	}

	spans, body := j.waitSpans(t, "pipectl", 3)
	if !slices.Contains(j.services(t), "pipectl") {
		t.Errorf("services %v lack pipectl", j.services(t))
	}
	// Exactly three: the first run (--version) sent nothing.
	if len(spans) != 3 {
		t.Errorf("got %d spans, want 3 (new, run, failed run)", len(spans))
	}
	byLine := map[string]map[string]any{}
	for _, s := range spans {
		tags := tagMap(s.Tags)
		line, _ := tags["process.command_line"].(string)
		t.Logf("span %q tags %v process %v", s.OperationName, tags, tagMap(s.process.Tags))
		byLine[line] = tags

		if id, _ := tags["enduser.pseudo.id"].(string); id == "" {
			t.Errorf("%s: no enduser.pseudo.id", line)
		} else if cfg, err := os.ReadFile(filepath.Join(u.home, ".config", "pipectl", "telemetry.toml")); err != nil || !strings.Contains(string(cfg), id) {
			t.Errorf("%s: enduser.pseudo.id %s is not the id in telemetry.toml (%v)", line, id, err)
		}
		res := tagMap(s.process.Tags)
		if s.process.ServiceName != "pipectl" || res["service.version"] != pipectlVersion || res["telemetry.distro.name"] != "anontel" {
			t.Errorf("%s: process %s tags %v", line, s.process.ServiceName, res)
		}
		for _, k := range forbidden {
			if _, ok := tags[k]; ok {
				t.Errorf("%s: span carries %s", line, k)
			}
			if _, ok := res[k]; ok {
				t.Errorf("%s: process carries %s", line, k)
			}
		}
	}

	newTags, ok := byLine["pipectl new --name ***** --example yes --tools lint,viz"]
	if !ok {
		t.Errorf("no span with the masked new command line; have %v", keys(byLine))
	}
	okRun, ok := byLine["pipectl run --pipeline ***** --env ***** --runner parallel"]
	if !ok {
		t.Errorf("no span with the masked run command line; have %v", keys(byLine))
	}
	failedRun, ok := byLine["pipectl run -p *****"]
	if !ok {
		t.Errorf("no span with the masked failed run command line; have %v", keys(byLine))
	}
	names := map[string]int{}
	for _, s := range spans {
		names[s.OperationName]++
	}
	if names["pipectl new"] != 1 || names["pipectl run"] != 2 {
		t.Errorf("span names %v, want pipectl new once and pipectl run twice", names)
	}
	if newTags != nil && newTags["cli.new.example_pipeline"] != true {
		t.Errorf("new: cli.new.example_pipeline = %v", newTags["cli.new.example_pipeline"])
	}
	if okRun != nil {
		// JSON numbers: int64 tags decode as float64.
		for k, v := range map[string]float64{"cli.project.datasets": 6, "cli.project.nodes": 4, "cli.project.pipelines": 3, "process.exit.code": 0} {
			if okRun[k] != v {
				t.Errorf("run: %s = %v, want %v", k, okRun[k], v)
			}
		}
		if id, _ := okRun["cli.project.id"].(string); len(id) != 128 {
			t.Errorf("run: cli.project.id = %v, want 128 hex chars", okRun["cli.project.id"])
		}
		if okRun["error"] == true || okRun["otel.status_code"] == "ERROR" {
			t.Errorf("successful run is marked as an error: %v", okRun)
		}
	}
	if failedRun != nil {
		if failedRun["process.exit.code"] != float64(1) || failedRun["error"] != true || failedRun["otel.status_code"] != "ERROR" || failedRun["error.type"] == nil {
			t.Errorf("failed run: exit %v error %v status %v error.type %v", failedRun["process.exit.code"], failedRun["error"], failedRun["otel.status_code"], failedRun["error.type"])
		}
	}

	needles := []string{"secret_pipeline_name", u.home, u.work, filepath.Dir(u.home)}
	if host, _ := os.Hostname(); len(host) >= 4 {
		needles = append(needles, host)
	}
	for _, n := range needles {
		if bytes.Contains(body, []byte(n)) {
			t.Errorf("jaeger's JSON contains %q", n)
		}
	}
	checkFileExport(t, c, needles)
}

// checkFileExport checks that the three pipectl spans of
// TestJaegerStoresPipectlSpans are in the collector's file export with every
// documented field intact, and nothing from needles.
func checkFileExport(t *testing.T, c *collector, needles []string) {
	t.Helper()
	var spans []flatSpan
	var raw []byte
	waitFor(t, 10*time.Second, "3 spans in the file export", func() bool {
		td, r := c.exported(t)
		spans, raw = spansOf(td), r
		return len(spans) >= 3
	})
	if len(spans) != 3 {
		t.Errorf("file export holds %d spans, want 3", len(spans))
	}
	resKeys := []string{"host.arch", "os.type", "process.runtime.name", "process.runtime.version",
		"service.name", "service.version", "telemetry.distro.name", "telemetry.distro.version"}
	common := []string{"cli.ci", "cli.consent", "enduser.pseudo.id", "process.command_args",
		"process.command_line", "process.executable.name", "process.exit.code", "process.pid"}
	want := map[string]struct {
		keys  []string
		args  []any
		event bool
	}{
		"pipectl new --name ***** --example yes --tools lint,viz": {
			keys: append([]string{"cli.new.example_pipeline", "cli.new.tools"}, common...),
			args: []any{"pipectl", "new", "--name", "*****", "--example", "yes", "--tools", "lint,viz"},
		},
		"pipectl run --pipeline ***** --env ***** --runner parallel": {
			keys: append([]string{"cli.project.datasets", "cli.project.id", "cli.project.nodes", "cli.project.pipelines"}, common...),
			args: []any{"pipectl", "run", "--pipeline", "*****", "--env", "*****", "--runner", "parallel"},
		},
		"pipectl run -p *****": {
			keys:  append([]string{"cli.project.datasets", "cli.project.id", "cli.project.nodes", "cli.project.pipelines", "error.type"}, common...),
			args:  []any{"pipectl", "run", "-p", "*****"},
			event: true,
		},
	}
	for _, fs := range spans {
		attrs := fs.span.Attributes().AsRaw()
		line, _ := attrs["process.command_line"].(string)
		w, ok := want[line]
		if !ok {
			t.Errorf("file export: unexpected span %q %v", fs.span.Name(), attrs)
			continue
		}
		if got := slices.Sorted(maps.Keys(attrs)); !slices.Equal(got, slices.Sorted(slices.Values(w.keys))) {
			t.Errorf("%s: file export keys %v, want %v", line, got, slices.Sorted(slices.Values(w.keys)))
		}
		if !reflect.DeepEqual(attrs["process.command_args"], w.args) {
			t.Errorf("%s: process.command_args %v, want %v", line, attrs["process.command_args"], w.args)
		}
		if got := slices.Sorted(maps.Keys(fs.res.AsRaw())); !slices.Equal(got, resKeys) {
			t.Errorf("%s: resource keys %v, want %v", line, got, resKeys)
		}
		if w.event {
			ev := fs.span.Events()
			if ev.Len() != 1 || ev.At(0).Name() != "exception" || ev.At(0).Attributes().Len() != 1 {
				t.Errorf("%s: events %v, want one exception event with its type only", line, ev)
			} else if typ, _ := ev.At(0).Attributes().Get("exception.type"); typ.Str() == "" || attrs["error.type"] == "" {
				t.Errorf("%s: exception.type %q, error.type %v", line, typ.Str(), attrs["error.type"])
			}
		} else if fs.span.Events().Len() != 0 {
			t.Errorf("%s: %d events, want none", line, fs.span.Events().Len())
		}
	}
	for _, n := range needles {
		if bytes.Contains(raw, []byte(n)) {
			t.Errorf("the file export contains %q", n)
		}
	}
}

// forbidden are attribute keys jaeger.yaml must never let into storage.
var forbidden = []string{"client.address", "host.name", "user.name", "process.owner", "process.executable.path", "process.command"}

func keys(m map[string]map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// lockedBuffer collects a child's output, written from exec's copy goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
