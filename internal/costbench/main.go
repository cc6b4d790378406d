package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/anontel/anontel/internal/spool"
)

func main() {
	runs := flag.Int("runs", 200, "alternating runs per case and build")
	micro := flag.Bool("micro", true, "also run the in-process benchmarks")
	flag.Parse()
	if err := run(*runs, *micro, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "costbench:", err)
		os.Exit(1)
	}
}

// build is one variant of pipectl.
type build struct {
	name, tags string
	bin        string
	stripped   int64
}

func run(runs int, micro bool, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "costbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The references are notelemetry builds that link what the telemetry
	// build must: net/http and TLS to upload, the OpenTelemetry SDK to
	// record spans, and both. Run in place of the telemetry build, they
	// show the floor of any design that does that work in the tool's own
	// binary.
	builds := []*build{
		{name: "telemetry"},
		{name: "notelemetry", tags: "notelemetry"},
		{name: "notelemetry+net/http", tags: "notelemetry costbench_nethttp"},
		{name: "notelemetry+OTel SDK", tags: "notelemetry costbench_otelsdk"},
		{name: "notelemetry+OTel SDK+net/http", tags: "notelemetry costbench_otelsdk costbench_nethttp"},
	}
	for _, b := range builds {
		b.bin = filepath.Join(tmp, strings.ReplaceAll(b.name, "/", "_"))
		if err := goBuild(b.bin, b.tags, false); err != nil {
			return err
		}
		strippedBin := b.bin + ".stripped"
		if err := goBuild(strippedBin, b.tags, true); err != nil {
			return err
		}
		fi, err := os.Stat(strippedBin)
		if err != nil {
			return err
		}
		b.stripped = fi.Size()
	}
	on, off := builds[0], builds[1]

	sink, err := otlpsink.Start("")
	if err != nil {
		return err
	}
	defer sink.Close()
	refused, err := closedPort()
	if err != nil {
		return err
	}
	hole, err := blackhole()
	if err != nil {
		return err
	}
	defer hole.Close()

	cases := []benchCase{
		{name: "consent off (DO_NOT_TRACK)", env: []string{"DO_NOT_TRACK=1"}, endpoint: sink.URL},
		{name: "first run (notice, nothing sent)", endpoint: sink.URL, fresh: true},
		{name: "on, collector up", endpoint: sink.URL, noticed: true},
		{name: "on, connection refused", endpoint: refused, noticed: true},
		{name: "on, collector never answers", endpoint: "http://" + hole.Addr().String(), noticed: true},
		{name: "on, in back-off", endpoint: sink.URL, noticed: true, backoff: true},
		{name: "on, collector up, an uploader per command", endpoint: sink.URL, noticed: true, settle: true,
			env: []string{"PIPECTL_TELEMETRY_UPLOAD_INTERVAL=0"}},
		// What linking alone costs a start: the floor of any tool that
		// uploads over HTTPS, or records spans with the SDK, in its own
		// binary.
		{name: "reference: notelemetry+net/http in the telemetry column", endpoint: sink.URL, noticed: true, reference: builds[2]},
		{name: "reference: notelemetry+OTel SDK in the telemetry column", endpoint: sink.URL, noticed: true, reference: builds[3]},
		{name: "reference: notelemetry+OTel SDK+net/http in the telemetry column", endpoint: sink.URL, noticed: true, reference: builds[4]},
	}
	fmt.Fprintf(out, "Machine: %s, %d CPUs, %s %s/%s; %d alternating runs of `pipectl info` per case and build.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runs)
	fmt.Fprintln(out, "| case | notelemetry median (p25–p75) | telemetry median (p25–p75) | added | ratio |")
	fmt.Fprintln(out, "|---|---|---|---|---|")
	for _, c := range cases {
		bin := on.bin
		if c.reference != nil {
			bin = c.reference.bin
		}
		tOn, tOff, err := c.measure(tmp, bin, off.bin, runs)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		mOn, mOff := median(tOn), median(tOff)
		fmt.Fprintf(out, "| %s | %s (%s–%s) | %s (%s–%s) | %+.2f ms | %.2f× |\n", c.name,
			ms(mOff), ms(pct(tOff, 25)), ms(pct(tOff, 75)), ms(mOn), ms(pct(tOn, 25)), ms(pct(tOn, 75)),
			float64(mOn-mOff)/1e6, float64(mOn)/float64(mOff))
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| binary (stripped, -s -w) | size | telemetry build over it |")
	fmt.Fprintln(out, "|---|---|---|")
	for _, b := range builds {
		fmt.Fprintf(out, "| %s | %.2f MB | %+.2f MB |\n", b.name, mb(b.stripped), mb(on.stripped-b.stripped))
	}
	if micro {
		fmt.Fprintln(out)
		return microBenchmarks(out)
	}
	return nil
}

func goBuild(bin, tags string, strip bool) error {
	args := []string{"build", "-trimpath", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	if strip {
		args = append(args, "-ldflags=-s -w")
	}
	cmd := exec.Command("go", append(args, "./examples/pipectl")...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s (run from the repository root): %w", strings.Join(args, " "), err)
	}
	return nil
}

// benchCase is one consent and collector state.
type benchCase struct {
	name     string
	env      []string
	endpoint string
	fresh    bool // a new home before each run: the first run
	noticed  bool // the notice was shown before
	backoff  bool // an upload failed recently: no uploader starts
	// settle waits after each run until its uploader has sent the spool,
	// so that no uploader competes with the next run (of either build).
	settle bool
	// reference, when set, runs in place of the telemetry build.
	reference *build
}

// measure runs the two builds alternately and returns their wall times.
// Each build has one home for the whole case, warmed by a first run (the
// ids are made, the spool folder exists), as a user's is; the first-run
// case gets a new home before each run.
func (c benchCase) measure(tmp, on, off string, runs int) (tOn, tOff []time.Duration, err error) {
	homes := map[string]string{}
	newHome := func() (string, error) {
		home, err := os.MkdirTemp(tmp, "home-")
		if err != nil {
			return "", err
		}
		return home, c.prepare(home)
	}
	defer func() {
		for _, home := range homes {
			stopUploaders(home) // one may wait out its minute: not into the next case
			os.RemoveAll(home)
		}
	}()
	for i := -1; i < runs; i++ {
		for _, bin := range []string{on, off} {
			home := homes[bin]
			if home == "" || c.fresh {
				if home != "" {
					os.RemoveAll(home)
				}
				if home, err = newHome(); err != nil {
					return nil, nil, err
				}
				homes[bin] = home
			}
			env := append([]string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + home,
				"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
				"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
				"PIPECTL_TELEMETRY_ENDPOINT=" + c.endpoint,
			}, c.env...)
			cmd := exec.Command(bin, "info")
			cmd.Env, cmd.Dir = env, home
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return nil, nil, err
			}
			d := time.Since(start)
			if c.settle && bin == on {
				waitSpoolSent(home, c.endpoint)
			}
			switch {
			case i < 0: // the warm-up run
			case bin == on:
				tOn = append(tOn, d)
			default:
				tOff = append(tOff, d)
			}
		}
	}
	return tOn, tOff, nil
}

// prepare sets up a home for one run.
func (c benchCase) prepare(home string) error {
	dir := filepath.Join(home, ".config", "pipectl")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if c.noticed {
		if err := os.WriteFile(filepath.Join(dir, "telemetry.toml"), []byte("[telemetry]\nnotice_shown = 2026-01-01\n"), 0o600); err != nil {
			return err
		}
	}
	if c.backoff {
		return writeBackoff(home, c.endpoint)
	}
	return nil
}

// waitSpoolSent waits, for at most 5 s, until the spool of endpoint in
// home holds no file and no uploader holds its lock.
func waitSpoolSent(home, endpoint string) {
	dir, err := spoolDirIn(home, endpoint)
	if err != nil {
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.otlp"))
		if len(files) > 0 {
			continue
		}
		if held, err := lockfile.TryLock(filepath.Join(dir, "upload.lock")); err == nil {
			held.Unlock()
			return
		}
	}
}

// stopUploaders kills the processes whose working directory is in home:
// uploaders (their folder is the spool) still waiting out their interval.
// Linux only; elsewhere they finish on their own.
func stopUploaders(home string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && strings.HasPrefix(cwd, home+string(filepath.Separator)) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	}
}

// spoolDirIn returns pipectl's spool folder for endpoint in home, as the
// runs see it (their XDG_CACHE_HOME).
func spoolDirIn(home, endpoint string) (string, error) {
	os.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	return spool.Dir(spool.Config{Tool: "pipectl", Endpoint: endpoint})
}

// writeBackoff marks the spool of endpoint in home as backing off for an
// hour, as a failed upload does.
func writeBackoff(home, endpoint string) error {
	dir, err := spoolDirIn(home, endpoint)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	until := time.Now().Add(time.Hour).Unix()
	return os.WriteFile(filepath.Join(dir, "upload.next"), []byte(fmt.Sprintf("%d\n", until)), 0o600)
}

func median(ds []time.Duration) time.Duration { return pct(ds, 50) }

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
func mb(n int64) float64        { return float64(n) / 1e6 }

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// closedPort returns a loopback URL where nothing listens.
func closedPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr, nil
}

// blackhole accepts connections and never answers.
func blackhole() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	return ln, nil
}
