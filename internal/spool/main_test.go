//go:build unix

package spool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/anontel/anontel/exporter"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The test binary doubles as the tool under test ("fake CLI") and as its
// uploader child, selected by environment variables, so that fault tests
// run real processes.
const (
	testTool    = "pipectl-test"
	envMode     = "XT_MODE"     // cli | plain | idle | direct
	envSpool    = "XT_SPOOL"    // spool folder
	envPids     = "XT_PIDS"     // folder where uploader children report
	envSpans    = "XT_NSPANS"   // number of spans to record (default 1)
	envDeadline = "XT_DEADLINE" // Config.UploadDeadline
	envAttempt  = "XT_ATTEMPT"  // Config.AttemptTimeout
	envBackoff  = "XT_BACKOFF"  // Config.FailureBackoff
	envRetryMax = "XT_RETRYMAX" // exporter.Config.RetryMaxTime, in direct mode
	envWork     = "XT_WORK"     // how long the command itself works (default 10ms)
	envBatch    = "XT_BATCH"    // Config.batchFiles
)

// cliReport is what the fake CLI prints on stdout.
type cliReport struct {
	TelemetryMicros int64  `json:"telemetry_us"` // pipeline build + span + shutdown + StartUploader, the command's own work excluded
	ShutdownMicros  int64  `json:"shutdown_us"`  // TracerProvider.Shutdown: encoding and writing the spool file
	StartMicros     int64  `json:"start_us"`     // StartUploader: spool check and fork/exec
	Written         bool   `json:"written"`
	StartErr        string `json:"start_err,omitempty"`
	Log             string `json:"log"` // the debug log
}

// uploaderStart is what an uploader child records when it starts.
type uploaderStart struct {
	Pid  int      `json:"pid"`
	Args []string `json:"args"`
	Env  []string `json:"env"`
}

// uploaderDone is what an uploader child records when it ends.
type uploaderDone struct {
	UploadResult
	Err     string `json:"err"`
	Elapsed int64  `json:"elapsed_ms"`
}

func TestMain(m *testing.M) {
	setSubreaper()
	cfg := configFromEnv(nil)
	if ClaimUpload(cfg) {
		ReleaseInherited()
		os.Exit(runUploader(cfg))
	}
	if mode := os.Getenv(envMode); mode != "" {
		os.Exit(runFakeCLI(mode))
	}
	os.Exit(m.Run())
}

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

func envDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}

func configFromEnv(logger *slog.Logger) Config {
	return Config{
		Tool:           testTool,
		Endpoint:       "https://collector.invalid", // tests override it with PIPECTL_TEST_TELEMETRY_ENDPOINT
		SpoolDir:       os.Getenv(envSpool),
		Logger:         logger,
		UploadDeadline: envDuration(envDeadline),
		AttemptTimeout: envDuration(envAttempt),
		FailureBackoff: envDuration(envBackoff),
		batchFiles:     envInt(envBatch),
	}
}

func runUploader(cfg Config) int {
	start := time.Now()
	dir := os.Getenv(envPids)
	pid := os.Getpid()
	if dir != "" {
		b, _ := json.Marshal(uploaderStart{Pid: pid, Args: os.Args, Env: os.Environ()})
		os.WriteFile(filepath.Join(dir, strconv.Itoa(pid)+".start"), b, 0o600)
	}
	res, err := Serve(context.Background(), cfg, func() bool { return true })
	if dir != "" {
		d := uploaderDone{UploadResult: res, Elapsed: time.Since(start).Milliseconds()}
		if err != nil {
			d.Err = err.Error()
		}
		b, _ := json.Marshal(d)
		os.WriteFile(filepath.Join(dir, strconv.Itoa(pid)+".done"), b, 0o600)
	}
	return 0
}

func runFakeCLI(mode string) int {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := configFromEnv(logger)
	// The span name comes as an argument, like the data a real command
	// records: the uploader child must not inherit it.
	var name string
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	n, _ := strconv.Atoi(os.Getenv(envSpans))
	n = max(n, 1)
	var rep cliReport
	work := 10 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv(envWork)); err == nil {
		work = d
	}
	start := time.Now()
	var workTime time.Duration
	switch mode {
	case "plain":
		// The same command without telemetry: the baseline.
		time.Sleep(work)
		workTime = work
	case "cli", "idle":
		spool, err := New(cfg)
		if err != nil {
			fmt.Fprintln(os.Stdout, `{"start_err":"`+err.Error()+`"}`)
			return 1
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spool))
		time.Sleep(work)
		workTime = work
		if mode == "cli" {
			tr := tp.Tracer("fakecli")
			for i := range n {
				_, span := tr.Start(context.Background(), fmt.Sprintf("%s#%d", name, i))
				span.End()
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		t0 := time.Now()
		tp.Shutdown(ctx)
		rep.ShutdownMicros = time.Since(t0).Microseconds()
		cancel()
		rep.Written = spool.Written()
		if rep.Written {
			t0 = time.Now()
			if err := spool.StartUploader(); err != nil {
				rep.StartErr = err.Error()
			}
			rep.StartMicros = time.Since(t0).Microseconds()
		}
	case "direct":
		exp, err := exporter.NewDirect(context.Background(), exporter.Config{
			Tool: cfg.Tool, Endpoint: cfg.Endpoint, Logger: cfg.Logger,
			AttemptTimeout: cfg.AttemptTimeout, RetryMaxTime: envDuration(envRetryMax),
		})
		if err != nil {
			rep.StartErr = err.Error()
			break
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
		tr := tp.Tracer("fakecli")
		for i := range n {
			_, span := tr.Start(context.Background(), fmt.Sprintf("%s#%d", name, i))
			span.End()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		tp.Shutdown(ctx)
		cancel()
	}
	rep.TelemetryMicros = (time.Since(start) - workTime).Microseconds()
	rep.Log = log.String()
	b, _ := json.Marshal(rep)
	os.Stdout.Write(append(b, '\n'))
	return 0
}
