// Command demo is the main job a new user runs: it builds the example tool
// pipectl, starts an OTLP/HTTP receiver on loopback, uses pipectl the way a
// user would in a throw-away home folder, and prints the spans that
// arrived. It needs only Go.
//
//	go run ./examples/demo
//
// With -endpoint it sends to a collector of your own (for example one that
// forwards to Jaeger) instead of the built-in receiver.
package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/otlpsink"
)

func main() {
	endpoint := flag.String("endpoint", "", "collector base URL (default: a receiver on loopback started by the demo)")
	keep := flag.Bool("keep", false, "keep the demo's temporary folder")
	flag.Parse()
	if err := run(*endpoint, *keep, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type step struct {
	say  string
	dir  string // relative to the work folder
	env  []string
	args []string
}

func run(endpoint string, keep bool, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "anontel-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(out, "demo folder:", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin := filepath.Join(tmp, "bin", "pipectl")
	fmt.Fprintln(out, "== building pipectl")
	build := exec.Command("go", "build", "-o", bin, "./examples/pipectl")
	build.Stdout, build.Stderr = out, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build (run the demo from the repository root): %w", err)
	}

	var sink *otlpsink.Sink
	if endpoint == "" {
		sink, err = otlpsink.Start("")
		if err != nil {
			return err
		}
		defer sink.Close()
		endpoint = sink.URL
		fmt.Fprintln(out, "== OTLP/HTTP receiver listening on", endpoint)
	}

	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	// A throw-away user: its own config and cache folders.
	base := append(cleanEnv(),
		"HOME="+filepath.Join(tmp, "home"),
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "home", ".config"),
		"XDG_CACHE_HOME="+filepath.Join(tmp, "home", ".cache"),
		"PIPECTL_TELEMETRY_ENDPOINT="+endpoint,
		"PIPECTL_TELEMETRY_UPLOAD_INTERVAL=0", // send after every command, so the demo shows each span at once
	)
	steps := []step{
		{say: "first run: the notice is shown once, nothing is sent", args: []string{"--version"}},
		{say: "create a project", args: []string{"new", "--name", "spaceflights", "--tools", "lint,test,viz", "--example", "yes"}},
		{say: "run its pipeline (the values are masked)", dir: "spaceflights", args: []string{"run", "--pipeline", "__default__", "--env", "local", "--runner", "parallel"}},
		{say: "a failing run: unknown pipeline", dir: "spaceflights", args: []string{"run", "-p", "no_such_pipeline"}},
		{say: "a usage error: unknown flag", dir: "spaceflights", args: []string{"run", "--api-key=sk-live-123"}},
		{say: "what would be sent, without sending", dir: "spaceflights", env: []string{"PIPECTL_TELEMETRY_DEBUG=1"}, args: []string{"catalog", "list"}},
		{say: "opted out with DO_NOT_TRACK: nothing is recorded", dir: "spaceflights", env: []string{"DO_NOT_TRACK=1"}, args: []string{"info"}},
		{say: "status", dir: "spaceflights", args: []string{"telemetry", "status"}},
	}
	for _, s := range steps {
		fmt.Fprintf(out, "\n== %s\n$ %spipectl %s\n", s.say, envPrefix(s.env), strings.Join(s.args, " "))
		cmd := exec.Command(bin, s.args...)
		cmd.Dir = filepath.Join(work, s.dir)
		cmd.Env = append(append([]string(nil), base...), s.env...)
		w := indent(out)
		cmd.Stdout, cmd.Stderr = w, w
		start := time.Now()
		err := cmd.Run()
		fmt.Fprintf(out, "   (exit %d, %s)\n", cmd.ProcessState.ExitCode(), time.Since(start).Round(time.Millisecond))
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				return err
			}
		}
	}
	if sink == nil {
		fmt.Fprintln(out, "\nSpans were sent to", endpoint)
		return nil
	}
	// The uploader is a detached child: give it a moment.
	want := 5 // new, run, failing run, usage error, telemetry status
	deadline := time.Now().Add(15 * time.Second)
	for len(sink.Spans()) < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	spans := sink.Spans()
	fmt.Fprintf(out, "\n== the receiver got %d span(s)\n", len(spans))
	for _, s := range spans {
		printSpan(out, s)
	}
	if len(spans) < want {
		return fmt.Errorf("expected %d spans, got %d", want, len(spans))
	}
	return nil
}

func printSpan(out io.Writer, s otlpsink.Span) {
	fmt.Fprintf(out, "\nspan %q  status=%s\n", s.Name, strings.TrimPrefix(s.StatusCode.String(), "STATUS_CODE_"))
	for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
		fmt.Fprintf(out, "  %-28s %v\n", k, s.Attributes[k])
	}
	for _, e := range s.Events {
		fmt.Fprintf(out, "  event %s %v\n", e.Name, e.Attributes)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Resource)) {
		fmt.Fprintf(out, "  resource %-19s %v\n", k, s.Resource[k])
	}
}

// cleanEnv drops the caller's telemetry settings so the demo shows the
// defaults.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "DO_NOT_TRACK", strings.HasPrefix(name, "PIPECTL_"),
			name == "HOME", name == "XDG_CONFIG_HOME", name == "XDG_CACHE_HOME":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func envPrefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(env, " ") + " "
}

type indentWriter struct {
	w   io.Writer
	bol bool
}

func indent(w io.Writer) io.Writer { return &indentWriter{w: w, bol: true} }

func (iw *indentWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if iw.bol {
			if _, err := iw.w.Write([]byte("   ")); err != nil {
				return 0, err
			}
		}
		if _, err := iw.w.Write([]byte{b}); err != nil {
			return 0, err
		}
		iw.bol = b == '\n'
	}
	return len(p), nil
}
