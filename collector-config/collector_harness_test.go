package jaegere2e

// Harness for the tests of otelcol.yaml: the real otelcol-anontel binary
// (built from ./otelcol, the builder's generated module) started on free
// loopback ports with a throw-away data folder, a hand-made OTLP/HTTP client,
// and a reader of the collector's file export.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// featureGates makes the file exporter write a standard zstd stream of JSON
// lines (see otelcol.yaml).
const featureGates = "--feature-gates=exporter.file.nativeCompression"

var (
	collectorOnce sync.Once
	collectorBin  string
	collectorErr  error
)

// otelcolBinary builds otelcol-anontel from ./otelcol once (or takes
// $OTELCOL_ANONTEL_BIN). A cold build takes minutes; later ones come from the
// build cache.
func otelcolBinary(t testing.TB) string {
	t.Helper()
	collectorOnce.Do(func() {
		// A binary built by make collector, for benchmark runs.
		if bin := os.Getenv("OTELCOL_ANONTEL_BIN"); bin != "" {
			collectorBin, collectorErr = filepath.Abs(bin)
			return
		}
		dir, err := os.MkdirTemp("", "otelcol-anontel-")
		if err != nil {
			collectorErr = err
			return
		}
		registerCleanupDir(dir)
		collectorBin = filepath.Join(dir, "otelcol-anontel")
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", collectorBin, ".")
		cmd.Dir = "otelcol"
		if out, err := cmd.CombinedOutput(); err != nil {
			if proxyUnreachable(out) {
				collectorErr = errSkip{fmt.Sprintf("cannot build otelcol-anontel: the Go module proxy is unreachable:\n%s", out)}
				return
			}
			collectorErr = fmt.Errorf("go build ./otelcol: %v\n%s", err, out)
		}
	})
	var skip errSkip
	if errors.As(collectorErr, &skip) {
		t.Skip(skip.why)
	}
	if collectorErr != nil {
		t.Fatal(collectorErr)
	}
	return collectorBin
}

type errSkip struct{ why string }

func (e errSkip) Error() string { return e.why }

var (
	cleanupMu   sync.Mutex
	cleanupDirs []string
)

// registerCleanupDir removes dir when the test binary exits (TestMain).
func registerCleanupDir(dir string) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanupDirs = append(cleanupDirs, dir)
}

// collector is a running otelcol-anontel with otelcol.yaml.
type collector struct {
	t         testing.TB
	bin       string
	env       []string
	otlpURL   string
	healthURL string
	dir       string // its data folder: file export and queue
	log       *lockedBuffer
	cmd       *exec.Cmd
	exited    chan error
}

type collectorOpts struct {
	// jaegerOTLP is Jaeger's OTLP/gRPC address; empty means a free port
	// where nothing listens (the Jaeger queue then only grows on disk).
	jaegerOTLP string
	// memLimitMiB overrides COLLECTOR_MEMORY_LIMIT_MIB.
	memLimitMiB int
	// extraEnv is appended to the collector's environment.
	extraEnv []string
}

func startCollector(t testing.TB, o collectorOpts) *collector {
	t.Helper()
	bin := otelcolBinary(t)
	p := freePorts(t, 3)
	if o.jaegerOTLP == "" {
		o.jaegerOTLP = fmt.Sprintf("127.0.0.1:%d", p[2])
	}
	dir := t.TempDir()
	c := &collector{
		t:         t,
		bin:       bin,
		otlpURL:   fmt.Sprintf("http://127.0.0.1:%d", p[0]),
		healthURL: fmt.Sprintf("http://127.0.0.1:%d", p[1]),
		dir:       dir,
		log:       &lockedBuffer{},
	}
	c.env = append(os.Environ(),
		fmt.Sprintf("COLLECTOR_OTLP_HTTP=127.0.0.1:%d", p[0]),
		fmt.Sprintf("COLLECTOR_HEALTH=127.0.0.1:%d", p[1]),
		"COLLECTOR_JAEGER_OTLP="+o.jaegerOTLP,
		"COLLECTOR_FILE="+filepath.Join(dir, "spans.jsonl.zst"),
		"COLLECTOR_QUEUE_DIR="+filepath.Join(dir, "queue"),
	)
	if o.memLimitMiB > 0 {
		c.env = append(c.env, fmt.Sprintf("COLLECTOR_MEMORY_LIMIT_MIB=%d", o.memLimitMiB),
			fmt.Sprintf("COLLECTOR_MEMORY_SPIKE_MIB=%d", o.memLimitMiB/4))
	}
	c.env = append(c.env, o.extraEnv...)
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("collector log:\n%s", c.log)
		}
	})
	c.start()
	return c
}

// start runs the binary and waits until the health check and the receiver
// answer.
func (c *collector) start() {
	c.t.Helper()
	config, err := filepath.Abs("otelcol.yaml")
	if err != nil {
		c.t.Fatal(err)
	}
	c.cmd = exec.Command(c.bin, "--config", config, featureGates)
	c.cmd.Env = c.env
	c.cmd.Dir = c.dir
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan error, 1)
	c.exited = exited
	go func() { exited <- c.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			c.t.Fatalf("collector exited at startup: %v\n%s", err, c.log)
		default:
		}
		if c.ready() {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("collector not ready after 30s:\n%s", c.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *collector) ready() bool {
	resp, err := client.Get(c.healthURL)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	// An empty request: the receiver is listening.
	resp, err = client.Post(c.otlpURL+"/v1/traces", "application/json", strings.NewReader("{}"))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// alive reports whether the process is still running.
func (c *collector) alive() bool {
	select {
	case err := <-c.exited:
		c.exited <- err
		return false
	default:
		return true
	}
}

// stop ends the process with SIGTERM (SIGKILL after 15 s); a no-op if it
// has already exited.
func (c *collector) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	if c.alive() {
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-c.exited:
			c.exited <- err
		case <-time.After(15 * time.Second):
			c.cmd.Process.Kill()
			c.exited <- <-c.exited
		}
	}
}

// kill ends the process with SIGKILL, as a crash would.
func (c *collector) kill() {
	c.cmd.Process.Kill()
	c.exited <- <-c.exited
}

// rssKiB reads the process's current and peak resident set size.
func (c *collector) rssKiB() (cur, peak int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		var v int64
		if n, _ := fmt.Sscanf(line, "VmRSS: %d kB", &v); n == 1 {
			cur = v
		}
		if n, _ := fmt.Sscanf(line, "VmHWM: %d kB", &v); n == 1 {
			peak = v
		}
	}
	return cur, peak
}

// cpuTime is the CPU time (user + system) the process has used so far.
func (c *collector) cpuTime() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name in parentheses; utime and stime are the
	// 14th and 15th fields, in clock ticks (100 a second on Linux).
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// post sends one OTLP/HTTP request and returns the status and Retry-After.
func (c *collector) post(body []byte, contentType string, gzipped bool) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, c.otlpURL+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", contentType)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// exported reads every span in the collector's file export (all rotated
// files), decompressing the zstd stream. A frame still being written at the
// end is ignored.
func (c *collector) exported(t testing.TB) (ptrace.Traces, []byte) {
	t.Helper()
	return readFileExport(t, c.dir)
}

func readFileExport(t testing.TB, dir string) (ptrace.Traces, []byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "spans*.zst"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	all := ptrace.NewTraces()
	var raw bytes.Buffer
	var um ptrace.JSONUnmarshaler
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := zstd.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(dec)
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) == 0 {
				continue
			}
			raw.Write(line)
			raw.WriteByte('\n')
			td, err := um.UnmarshalTraces(line)
			if err != nil {
				t.Fatalf("%s: a line is not OTLP JSON: %v\n%s", f, err, line)
			}
			td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
		}
		if err := sc.Err(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%s: %v", f, err)
		}
		dec.Close()
	}
	return all, raw.Bytes()
}

// spansOf flattens traces into spans with their resources.
type flatSpan struct {
	res  pcommon.Map
	span ptrace.Span
}

func spansOf(td ptrace.Traces) []flatSpan {
	var out []flatSpan
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				out = append(out, flatSpan{rs.Resource().Attributes(), s})
			}
		}
	}
	return out
}

// spanSpec describes one span of a hand-made request, with its resource.
type spanSpec struct {
	name    string
	res     map[string]any
	attrs   map[string]any
	events  []eventSpec
	traceID pcommon.TraceID
	spanID  pcommon.SpanID
}

type eventSpec struct {
	name  string
	attrs map[string]any
}

// invocation returns a realistic anontel invocation span of pipectl with
// the given trace id.
func invocation(traceID pcommon.TraceID) spanSpec {
	return spanSpec{
		name: "pipectl run",
		res: map[string]any{
			"service.name": "pipectl", "service.version": "0.3.0",
			"telemetry.distro.name": "anontel", "telemetry.distro.version": "0.1.0",
			"process.runtime.name": "go", "process.runtime.version": "go1.26.8",
			"os.type": "linux", "host.arch": "amd64",
		},
		attrs: map[string]any{
			"enduser.pseudo.id":       "d5ee0753-c5db-426b-81d7-524ca3aa7453",
			"process.command_line":    "pipectl run --pipeline ***** --env ***** --runner parallel",
			"process.command_args":    []any{"pipectl", "run", "--pipeline", "*****", "--env", "*****", "--runner", "parallel"},
			"cli.project.id":          strings.Repeat("9c", 64),
			"cli.project.datasets":    int64(6),
			"cli.project.nodes":       int64(4),
			"cli.project.pipelines":   int64(3),
			"process.executable.name": "pipectl",
			"process.exit.code":       int64(0),
			"process.pid":             int64(3140),
			"cli.ci":                  false,
			"cli.consent":             "implicit",
		},
		traceID: traceID,
		spanID:  pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
	}
}

// traces builds one OTLP request from specs, one resource each.
func traces(specs ...spanSpec) ptrace.Traces {
	td := ptrace.NewTraces()
	now := time.Now()
	for _, sp := range specs {
		rs := td.ResourceSpans().AppendEmpty()
		putAll(rs.Resource().Attributes(), sp.res)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("github.com/anontel/anontel/instrument")
		ss.Scope().SetVersion("0.1.0")
		s := ss.Spans().AppendEmpty()
		s.SetName(sp.name)
		s.SetKind(ptrace.SpanKindInternal)
		s.SetTraceID(sp.traceID)
		s.SetSpanID(sp.spanID)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Millisecond)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		putAll(s.Attributes(), sp.attrs)
		for _, ev := range sp.events {
			e := s.Events().AppendEmpty()
			e.SetName(ev.name)
			e.SetTimestamp(pcommon.NewTimestampFromTime(now))
			putAll(e.Attributes(), ev.attrs)
		}
	}
	return td
}

func putAll(m pcommon.Map, attrs map[string]any) {
	if err := m.FromRaw(attrs); err != nil {
		panic(err)
	}
}

func protoBody(td ptrace.Traces) []byte {
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		panic(err)
	}
	return b
}

func jsonBody(td ptrace.Traces) []byte {
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return b
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// traceIDOf makes distinct trace ids from a counter.
func traceIDOf(prefix byte, n uint64) pcommon.TraceID {
	var id pcommon.TraceID
	id[0] = prefix
	for i := range 8 {
		id[15-i] = byte(n >> (8 * i))
	}
	return id
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
