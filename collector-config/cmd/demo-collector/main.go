// Command demo-collector shows the receiving side working on one machine:
// it builds (the first time) and starts otelcol-anontel and Jaeger on
// loopback, runs a scripted pipectl session through them, prints the traces
// read back from Jaeger's HTTP API and the line count of the collector's
// file export, and stops everything it started, also on Ctrl-C.
//
//	make demo-collector            (from the repository root)
//	go run ./cmd/demo-collector    (from collector-config/)
//
// With -keep-running it leaves the collector and Jaeger up until Ctrl-C, so
// that the Jaeger UI can be opened.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Loopback listeners, the configs' defaults.
const (
	collectorOTLP = "127.0.0.1:4318"
	collectorHlth = "127.0.0.1:13133"
	jaegerOTLP    = "127.0.0.1:4317"
	jaegerQuery   = "127.0.0.1:16686"
	jaegerGRPC    = "127.0.0.1:16685"
)

func main() {
	keep := flag.Bool("keep-running", false, "leave the collector and Jaeger running until Ctrl-C")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *keep, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo-collector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, keep bool, out io.Writer) error {
	if _, err := os.Stat("otelcol.yaml"); err != nil {
		return errors.New("run it from collector-config/ (or `make demo-collector` from the repository root)")
	}
	for _, addr := range []string{collectorOTLP, collectorHlth, jaegerOTLP, jaegerQuery, jaegerGRPC} {
		if l, err := net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("%s is in use: stop what listens there first: %w", addr, err)
		} else {
			l.Close()
		}
	}
	tmp, err := os.MkdirTemp("", "anontel-demo-collector-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin, err := filepath.Abs("bin")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "== building otelcol-anontel, Jaeger and pipectl (the first time takes minutes)")
	builds := []struct{ dir, out, pkg string }{
		{"otelcol", filepath.Join(bin, "otelcol-anontel"), "."},
		{".", filepath.Join(bin, "jaeger"), "github.com/jaegertracing/jaeger/cmd/jaeger"},
		{"..", filepath.Join(tmp, "pipectl"), "./examples/pipectl"},
	}
	for _, b := range builds {
		start := time.Now()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = b.dir, out, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", b.pkg, err)
		}
		fmt.Fprintf(out, "   %s (%v)\n", b.out, time.Since(start).Round(time.Second))
	}

	data, err := filepath.Abs(filepath.Join("data", "demo"))
	if err != nil {
		return err
	}
	if err := os.RemoveAll(data); err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	file := filepath.Join(data, "spans.jsonl.zst")

	var procs []*exec.Cmd
	defer func() {
		for _, p := range slices.Backward(procs) {
			p.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				p.Process.Kill()
				<-done
			}
		}
		fmt.Fprintln(out, "== stopped the collector and Jaeger")
	}()
	startProc := func(name string, args []string, env []string) error {
		logf, err := os.Create(filepath.Join(data, name+".log"))
		if err != nil {
			return err
		}
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = logf, logf
		// Its own process group: Ctrl-C in the terminal reaches only the
		// demo, which then stops the children in order.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
		return nil
	}
	if err := startProc("jaeger", []string{"--config", "jaeger.yaml"}, nil); err != nil {
		return err
	}
	if err := startProc("otelcol-anontel", []string{"--config", "otelcol.yaml", "--feature-gates=exporter.file.nativeCompression"},
		[]string{"COLLECTOR_FILE=" + file, "COLLECTOR_QUEUE_DIR=" + filepath.Join(data, "queue")}); err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+jaegerQuery+"/api/services", 60*time.Second); err != nil {
		return fmt.Errorf("jaeger: %w (log: %s)", err, filepath.Join(data, "jaeger.log"))
	}
	if err := waitHTTP(ctx, "http://"+collectorHlth, 60*time.Second); err != nil {
		return fmt.Errorf("collector: %w (log: %s)", err, filepath.Join(data, "otelcol-anontel.log"))
	}
	fmt.Fprintf(out, "== collector on http://%s (OTLP/HTTP), Jaeger UI and API on http://%s\n", collectorOTLP, jaegerQuery)

	// A throw-away user of pipectl.
	home := filepath.Join(tmp, "home")
	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"PIPECTL_TELEMETRY_ENDPOINT=http://" + collectorOTLP,
		"PIPECTL_TELEMETRY_UPLOAD_INTERVAL=0"} // send after every command, so the demo shows each span at once
	steps := []struct {
		dir  string
		args []string
	}{
		{"", []string{"--version"}}, // the first run only shows the notice
		{"", []string{"new", "--name", "space", "--example", "yes", "--tools", "lint,viz"}},
		{"space", []string{"run", "--pipeline", "__default__", "--env", "local", "--runner", "parallel"}},
		{"space", []string{"run", "-p", "secret_pipeline_name"}},
		{"space", []string{"info"}},
	}
	for _, s := range steps {
		fmt.Fprintf(out, "$ pipectl %s\n", strings.Join(s.args, " "))
		cmd := exec.CommandContext(ctx, filepath.Join(tmp, "pipectl"), s.args...)
		cmd.Dir, cmd.Env = filepath.Join(work, s.dir), env
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return err
		}
		for line := range strings.SplitSeq(strings.TrimRight(buf.String(), "\n"), "\n") {
			fmt.Fprintln(out, "   ", line)
		}
	}

	fmt.Fprintln(out, "== traces in Jaeger (GET /api/traces?service=pipectl)")
	const want = 4
	var spans []jspan
	deadline := time.Now().Add(30 * time.Second)
	for len(spans) < want && time.Now().Before(deadline) && ctx.Err() == nil {
		spans, err = jaegerSpans(ctx)
		if err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
	slices.SortFunc(spans, func(a, b jspan) int { return a.StartTime - b.StartTime })
	for _, s := range spans {
		fmt.Fprintf(out, "span %q\n", s.OperationName)
		slices.SortFunc(s.Tags, func(a, b jtag) int { return strings.Compare(a.Key, b.Key) })
		for _, tg := range s.Tags {
			fmt.Fprintf(out, "  %-28s %v\n", tg.Key, tg.Value)
		}
	}
	if len(spans) < want {
		return fmt.Errorf("jaeger holds %d spans after 30 s, want %d", len(spans), want)
	}
	lines, err := countLines(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "== file export %s: %d lines (one OTLP/JSON request each; read it with `zstdcat`)\n", file, lines)
	fmt.Fprintf(out, "== logs in %s\n", data)
	if keep {
		fmt.Fprintf(out, "== open http://%s (Jaeger UI) or send spans to http://%s; Ctrl-C stops both\n", jaegerQuery, collectorOTLP)
		<-ctx.Done()
	}
	return nil
}

func waitHTTP(ctx context.Context, url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %v", url, d)
}

type jtag struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type jspan struct {
	OperationName string `json:"operationName"`
	StartTime     int    `json:"startTime"`
	Tags          []jtag `json:"tags"`
}

func jaegerSpans(ctx context.Context) ([]jspan, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+jaegerQuery+"/api/traces?service=pipectl&limit=20", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data []struct {
			Spans []jspan `json:"spans"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("jaeger API: %w", err)
	}
	var spans []jspan
	for _, tr := range r.Data {
		spans = append(spans, tr.Spans...)
	}
	return spans, nil
}

// countLines counts the JSON lines in the zstd-compressed file export.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec, err := zstd.NewReader(f)
	if err != nil {
		return 0, err
	}
	defer dec.Close()
	sc := bufio.NewScanner(dec)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return n, err
	}
	return n, nil
}
