//go:build linux

package main

// The performance figures of README.md: run with
//
//	USAGE_BENCH=1 nice go test -run TestPerformanceFigures -v -timeout 60m ./cmd/usage/
//
// They are measured, logged and never asserted (a benchmark, not a test).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/store"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

// tenMillion fills spans with n synthetic invocations inside DuckDB (no Go
// in the loop): 84 days in time order, users and projects with a skewed
// activity, the pipectl command mix, flags, failures, releases adopted
// with a lag, CI machines and explicit consent.
const tenMillion = `
INSERT INTO spans
WITH base AS (
	SELECT i, hash(i) AS h,
		TIMESTAMP '2026-08-31' + to_microseconds(CAST(i * (84 * 86400 * 1e6 / $n) AS BIGINT)) AS t,
		CAST(floor($users * pow((hash(i, 1) % 1000000) / 1e6, 2)) AS BIGINT) AS u,
		hash(i, 2) % 100 AS c,
		hash(i, 3) % 100 AS x
	FROM range($n) r(i)
), b AS (
	SELECT *, u % 7 AS plat, u % 4 AS lag,
		CAST(date_diff('day', TIMESTAMP '2026-08-31', t) / 7 AS BIGINT) AS wk,
		CASE WHEN c < 45 THEN 'run' WHEN c < 50 THEN 'pipeline list' WHEN c < 65 THEN 'info'
			WHEN c < 73 THEN 'catalog list' WHEN c < 80 THEN 'pipeline create' WHEN c < 88 THEN 'new'
			WHEN c < 95 THEN 'telemetry status' ELSE '' END AS cmd,
		(u * 3 + x % 3) % $projects AS proj
	FROM base
), a AS (
	SELECT *,
		CASE cmd
			WHEN 'run' THEN CASE x % 5 WHEN 0 THEN ['pipectl', 'run', '--runner', 'parallel']
				WHEN 1 THEN ['pipectl', 'run', '--runner=sequential'] WHEN 2 THEN ['pipectl', 'run', '--pipeline', '*****', '-e', '*****']
				ELSE ['pipectl', 'run'] END
			WHEN 'new' THEN CASE x % 4 WHEN 0 THEN ['pipectl', 'new', '--name', '*****', '--tools', 'lint,viz']
				WHEN 1 THEN ['pipectl', 'new', '--name', '*****', '--telemetry=no'] ELSE ['pipectl', 'new', '--name', '*****'] END
			WHEN '' THEN ['pipectl', '*****']
			ELSE list_concat(['pipectl'], string_split(cmd, ' ')) END AS args,
		CASE cmd
			WHEN 'run' THEN CASE x % 5 WHEN 0 THEN [{'name': '--runner', 'value': 'parallel'}]
				WHEN 1 THEN [{'name': '--runner', 'value': 'sequential'}]
				WHEN 2 THEN [{'name': '--pipeline', 'value': '*****'}, {'name': '-e', 'value': '*****'}]
				ELSE [] END
			WHEN 'new' THEN CASE x % 4 WHEN 0 THEN [{'name': '--name', 'value': '*****'}, {'name': '--tools', 'value': 'lint,viz'}]
				WHEN 1 THEN [{'name': '--name', 'value': '*****'}, {'name': '--telemetry', 'value': 'no'}]
				ELSE [{'name': '--name', 'value': '*****'}] END
			ELSE [] END AS fl,
		(cmd = 'run' AND x % 12 = 0) OR cmd = '' AS failed,
		cmd IN ('run', 'pipeline list', 'catalog list', 'pipeline create') AS in_project
	FROM b
)
SELECT 1, h, t, 'pipectl',
	CASE WHEN wk >= 9 + lag THEN '0.4.0' WHEN wk >= 6 + lag THEN '0.3.0' WHEN wk >= 3 + lag THEN '0.2.0' ELSE '0.1.0' END,
	'0.1.0', 'go', CASE WHEN u % 4 = 0 THEN 'go1.25.9' ELSE 'go1.26.8' END,
	['linux', 'linux', 'darwin', 'darwin', 'windows', 'linux', 'linux'][plat + 1],
	['amd64', 'amd64', 'arm64', 'arm64', 'amd64', 'arm64', 'amd64'][plat + 1],
	CASE WHEN cmd = '' THEN 'pipectl' ELSE 'pipectl ' || cmd END, cmd,
	CASE WHEN x = 99 THEN NULL ELSE u END,
	array_to_string(args, ' '), args, 'pipectl',
	CASE WHEN failed THEN 1 ELSE 0 END,
	CASE WHEN cmd = '' THEN 'main.usageError' WHEN failed THEN '*fs.PathError' END,
	u % 7 = 0, CASE WHEN u % 4 = 1 THEN 'explicit' ELSE 'implicit' END,
	CASE WHEN in_project THEN proj END,
	CASE WHEN in_project THEN 1 + proj % 9 + wk END,
	CASE WHEN in_project THEN 1 + proj % 6 + wk // 2 END,
	CASE WHEN in_project THEN 1 + proj % 3 END,
	CASE WHEN cmd = 'new' THEN CASE x % 4 WHEN 0 THEN ['lint', 'viz'] ELSE [] END END,
	CASE WHEN cmd = 'new' THEN x % 3 = 0 END,
	fl
FROM a;
INSERT INTO users SELECT u, substr(m, 1, 8) || '-' || substr(m, 9, 4) || '-4' || substr(m, 14, 3) || '-a' || substr(m, 18, 3) || '-' || substr(m, 21, 12)
	FROM (SELECT u, md5(u::VARCHAR) AS m FROM range($users) r(u));
INSERT INTO projects SELECT p, sha256(p::VARCHAR) || sha256('p' || p::VARCHAR) FROM range($projects) r(p);`

// runMeasured runs a command and returns its wall time and peak RSS, and
// logs its CPU time (the machine is shared: wall time alone misleads).
func runMeasured(t *testing.T, name string, args ...string) (time.Duration, int64) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Fields(string(b))[0]
	}
	t.Logf("  %s %s: wall %v, cpu %v (user+sys), load average %s", filepath.Base(name), args[0], wall.Round(time.Millisecond), cpu.Round(time.Millisecond), load)
	return wall, ru.Maxrss * 1024
}

func TestPerformanceFigures(t *testing.T) {
	if os.Getenv("USAGE_BENCH") == "" {
		t.Skip("a benchmark: set USAGE_BENCH=1 to measure the README's figures")
	}
	n, _ := strconv.Atoi(os.Getenv("USAGE_BENCH_N"))
	if n == 0 {
		n = 10_000_000
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "usage")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("machine: %d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cpuModel())

	// Load: spans/s from file exports of the generator's realistic spans.
	if os.Getenv("USAGE_BENCH_SKIP_LOAD") == "" {
		cfg := synth.Demo()
		cfg.Users, cfg.Projects = 3000, 1000
		ev := synth.Generate(cfg)
		for _, opts := range []exportfile.Options{{Format: "json"}, {Format: "proto"}, {Format: "proto", Compression: "zstd"}} {
			f := filepath.Join(dir, fmt.Sprintf("spans-%s-%s", opts.Format, opts.Compression))
			out, err := os.Create(f)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := exportfile.NewWriter(out, opts)
			if err := synth.Write(w, ev, cfg.Tool, 1000); err != nil {
				t.Fatal(err)
			}
			w.Close()
			out.Close()
			fi, _ := os.Stat(f)
			db := filepath.Join(dir, "load-"+filepath.Base(f)+".duckdb")
			wall, rss := runMeasured(t, bin, "load", "--db", db, f)
			t.Logf("load %s/%s: %d spans (%.0f MB file) in %v: %.0f spans/s, peak RSS %.0f MiB",
				opts.Format, opts.Compression, len(ev), float64(fi.Size())/1e6, wall.Round(time.Millisecond),
				float64(len(ev))/wall.Seconds(), float64(rss)/(1<<20))
		}
	}

	// Report over n invocations made inside DuckDB.
	dbPath := filepath.Join(dir, "big.duckdb")
	if p := os.Getenv("USAGE_BENCH_DB"); p != "" {
		dbPath = p // keep it for later runs
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Logf("reusing %s", dbPath)
	} else {
		db, err := store.Open(context.Background(), dbPath)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		q := tenMillion
		for k, v := range map[string]string{"$n": strconv.Itoa(n), "$users": strconv.Itoa(n / 100), "$projects": strconv.Itoa(n / 300)} {
			q = strings.ReplaceAll(q, k, v)
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		t.Logf("generated %d invocations inside DuckDB in %v", n, time.Since(start).Round(time.Second))
	}
	fi, _ := os.Stat(dbPath)
	t.Logf("database %.0f MB: %.1f bytes per invocation", float64(fi.Size())/1e6, float64(fi.Size())/float64(n))
	for i := range 3 {
		wall, rss := runMeasured(t, bin, "report", "--db", dbPath, "--format", "json")
		t.Logf("report #%d over %d invocations: %v, peak RSS %.0f MiB", i+1, n, wall.Round(time.Millisecond), float64(rss)/(1<<20))
	}
	wall, rss := runMeasured(t, bin, "report", "--db", dbPath, "--html", filepath.Join(dir, "big.html"))
	t.Logf("report --html over %d invocations: %v, peak RSS %.0f MiB", n, wall.Round(time.Millisecond), float64(rss)/(1<<20))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
