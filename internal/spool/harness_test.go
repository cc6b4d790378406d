//go:build unix

package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/toolenv"
)

// host runs the fake CLI as a real process.
type host struct {
	t        testing.TB
	spool    string
	pids     string
	endpoint string
	env      []string   // extra settings
	extra    []*os.File // descriptors the fake CLI inherits, as from a shell
}

func newHost(t testing.TB, endpoint string, env ...string) *host {
	dir := t.TempDir()
	h := &host{t: t, spool: filepath.Join(dir, "cache", "spool"), pids: filepath.Join(dir, "pids"), endpoint: endpoint, env: env}
	if err := os.Mkdir(h.pids, 0o700); err != nil {
		t.Fatal(err)
	}
	return h
}

// hostileOTelEnv is a user's OpenTelemetry setup that must not touch the
// tool's telemetry, malformed on purpose: any parse error printed would
// show on stderr.
var hostileOTelEnv = []string{
	"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=::not a url",
	"OTEL_EXPORTER_OTLP_HEADERS=garbage",
	"OTEL_EXPORTER_OTLP_TIMEOUT=soon",
	"OTEL_EXPORTER_OTLP_CERTIFICATE=/nonexistent/ca.pem",
	"OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
	"OTEL_EXPORTER_OTLP_COMPRESSION=gzip",
}

func (h *host) environ(mode string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "PIPECTL_TEST_")
	})
	env = append(env,
		envMode+"="+mode,
		envSpool+"="+h.spool,
		envPids+"="+h.pids,
		toolenv.Endpoint(testTool)+"="+h.endpoint,
		toolenv.UploadInterval(testTool)+"=0",
	)
	env = append(env, hostileOTelEnv...)
	return append(env, h.env...)
}

// run runs one command and returns its report and wall time, failing the
// test if it printed anything on stderr.
func (h *host) run(mode, span string) (cliReport, time.Duration) {
	h.t.Helper()
	cmd := exec.Command(os.Args[0], span)
	cmd.Env = h.environ(mode)
	cmd.ExtraFiles = h.extra
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	// Run returns when the pipes close: an uploader that kept them would
	// show up as a long wall time.
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		h.t.Fatalf("fake CLI: %v; stderr: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		h.t.Errorf("the command printed on stderr: %q", stderr.String())
	}
	var rep cliReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		h.t.Fatalf("fake CLI report %q: %v", stdout.String(), err)
	}
	return rep, wall
}

// uploaders returns the uploader children that have started so far.
func (h *host) uploaders() []uploaderStart {
	h.t.Helper()
	entries, _ := os.ReadDir(h.pids)
	var out []uploaderStart
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".start") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(h.pids, e.Name()))
		if err != nil {
			continue
		}
		var s uploaderStart
		if json.Unmarshal(b, &s) == nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out
}

// waitUploaders waits until n uploader children have started.
func (h *host) waitUploaders(n int) []uploaderStart {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ups := h.uploaders()
		if len(ups) >= n {
			return ups
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d uploader(s) started, want %d", len(ups), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGone waits for the uploader pid to exit, failing the test if it
// outlives bound, and returns what it reported.
func (h *host) waitGone(pid int, bound time.Duration) uploaderDone {
	h.t.Helper()
	deadline := time.Now().Add(bound)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			killProcess(pid)
			h.t.Fatalf("uploader %d still running after %s", pid, bound)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var d uploaderDone
	b, err := os.ReadFile(filepath.Join(h.pids, strconv.Itoa(pid)+".done"))
	if err != nil {
		h.t.Fatalf("uploader %d exited without reporting: %v", pid, err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		h.t.Fatal(err)
	}
	return d
}

// spooled returns the span names in the spool, oldest file first.
func (h *host) spooled() []string {
	h.t.Helper()
	files, err := listSpool(h.spool, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(h.spool, f.name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			h.t.Fatal(err)
		}
		n, err := spanNames(raw)
		if err != nil {
			h.t.Fatalf("spool file %s: %v", f.name, err)
		}
		names = append(names, n...)
	}
	return names
}

// baseline returns the median wall time of the command without telemetry.
func (h *host) baseline(runs int) time.Duration {
	h.t.Helper()
	var walls []time.Duration
	for range runs {
		_, wall := h.run("plain", "")
		walls = append(walls, wall)
	}
	slices.Sort(walls)
	return walls[len(walls)/2]
}

// osProcess is an uploader process started directly by a test.
type osProcess struct {
	pid int
	cmd *exec.Cmd
}

func startUploaderProcess(t *testing.T, h *host) *osProcess {
	t.Helper()
	token, err := newToken(h.spool)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(h.environ(""), toolenv.Upload(testTool)+"="+token)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &osProcess{pid: cmd.Process.Pid, cmd: cmd}
}

func (p *osProcess) wait(t *testing.T) {
	t.Helper()
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("uploader %d: %v", p.pid, err)
	}
}
