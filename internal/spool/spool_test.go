package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/otlpwire"
)

func testConfig(t *testing.T) Config {
	return Config{Tool: "pipectl", Endpoint: "https://collector.example", SpoolDir: filepath.Join(t.TempDir(), "cache", "pipectl", "spool")}
}

func spoolNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := listSpool(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		n, err := spanNames(raw)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n...)
	}
	return names
}

func TestSpoolWritesOneFilePerInvocation(t *testing.T) {
	cfg := testConfig(t)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(cfg.SpoolDir)); !os.IsNotExist(err) {
		t.Fatalf("New touched the disk: %v", err)
	}
	ctx := context.Background()
	s.ExportSpans(ctx, stubSpans("a"))
	s.ExportSpans(ctx, stubSpans("b", "c"))
	if s.Written() {
		t.Fatal("Written before Shutdown")
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.Written() {
		t.Fatal("Written() = false after Shutdown with spans")
	}
	if err := s.ExportSpans(ctx, stubSpans("late")); err != nil {
		t.Fatalf("ExportSpans after Shutdown: %v", err)
	}
	s.Shutdown(ctx)
	files, _ := listSpool(cfg.SpoolDir, time.Now())
	if len(files) != 1 {
		t.Fatalf("%d spool files, want 1", len(files))
	}
	if got := spoolNames(t, cfg.SpoolDir); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("spooled %q", got)
	}
	if runtime.GOOS == "windows" {
		return
	}
	for path, want := range map[string]os.FileMode{
		cfg.SpoolDir:                               0o700,
		filepath.Dir(cfg.SpoolDir):                 0o700,
		filepath.Join(cfg.SpoolDir, files[0].name): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}

// TestLargeInvocationIsSplitIntoRequestSizedFiles: an invocation whose
// spans encode to more than a request holds is spooled as several files,
// each at most maxBatchBytes (but for a single span larger than that), so
// that no file is too large for a slow link to send within the attempt
// timeout; every span is kept.
func TestLargeInvocationIsSplitIntoRequestSizedFiles(t *testing.T) {
	tests := []struct {
		name      string
		spans     int
		bigAt     int // the index of one span larger than a request; -1: none
		wantFiles int // at least
	}{
		{"one small invocation", 3, -1, 1},
		{"1000 spans", 1000, -1, 2},
		{"1000 spans, one of them larger than a request", 1000, 500, 3},
		{"one span larger than a request", 1, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for i := range tc.spans {
				name := fmt.Sprintf("pipectl run node %04d %s", i, strings.Repeat("n", 60))
				if i == tc.bigAt {
					name += strings.Repeat("x", maxBatchBytes)
				}
				names = append(names, name)
			}
			s.ExportSpans(context.Background(), stubSpans(names...))
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			files, err := listSpool(cfg.SpoolDir, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(files) < tc.wantFiles {
				t.Errorf("%d spool files, want at least %d", len(files), tc.wantFiles)
			}
			over := 0
			for _, f := range files {
				if f.size > maxBatchBytes {
					over++
				}
			}
			if want := min(1, tc.bigAt+1); over != want {
				t.Errorf("%d files over %d bytes, want %d", over, maxBatchBytes, want)
			}
			got := spoolNames(t, cfg.SpoolDir)
			slices.Sort(got)
			if !slices.Equal(got, names) {
				t.Errorf("spooled %d spans, want the %d exported", len(got), len(names))
			}
		})
	}
}

func TestSpoolNothingRecordedWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	s, _ := New(cfg)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Written() {
		t.Error("Written() = true without spans")
	}
	if _, err := os.Stat(filepath.Dir(cfg.SpoolDir)); !os.IsNotExist(err) {
		t.Errorf("folder created without spans: %v", err)
	}
	// StartUploader after nothing was written starts nothing (it would
	// say so).
	var log bytes.Buffer
	cfg.Logger = debugLogger(&log)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Shutdown(context.Background())
	if err := s.StartUploader(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log.Bytes(), []byte("nothing written")) {
		t.Errorf("StartUploader log: %s", log.String())
	}
}

func TestSpoolMaxSpans(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxSpans = 2
	s, _ := New(cfg)
	s.ExportSpans(context.Background(), stubSpans("a"))
	s.ExportSpans(context.Background(), stubSpans("b", "c", "d"))
	s.Shutdown(context.Background())
	if got := spoolNames(t, cfg.SpoolDir); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("spooled %q, want the first 2", got)
	}
}

func TestNewNeedsEndpoint(t *testing.T) {
	cfg := testConfig(t)
	cfg.Endpoint = ""
	cfg.LookupEnv = func(string) (string, bool) { return "", false }
	if _, err := New(cfg); !errors.Is(err, otlphttp.ErrNoEndpoint) {
		t.Errorf("New without endpoint: %v", err)
	}
}

func TestDefaultSpoolDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CACHE_HOME is Linux's")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	s, err := New(Config{Tool: "pipectl", Endpoint: "https://collector.example"})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cache, "pipectl", "spool")
	if filepath.Dir(s.Dir()) != root || len(filepath.Base(s.Dir())) != 16 {
		t.Errorf("Dir() = %q, want a folder per endpoint in %q", s.Dir(), root)
	}
	if dir, err := Dir(Config{Tool: "pipectl", Endpoint: "https://collector.example"}); err != nil || dir != s.Dir() {
		t.Errorf("SpoolDir = %q, %v; want %q", dir, err, s.Dir())
	}
	if dir, err := Dir(Config{Tool: "pipectl", Endpoint: "https://other.example"}); err != nil || dir == s.Dir() || filepath.Dir(dir) != root {
		t.Errorf("SpoolDir of another endpoint = %q, %v", dir, err)
	}
	if _, err := Dir(Config{Tool: "pipectl"}); err == nil {
		t.Error("SpoolDir without an endpoint succeeded")
	}
	if _, err := New(Config{Tool: "../evil", Endpoint: "https://collector.example"}); err == nil {
		t.Error("a tool name with a path separator was accepted")
	}
}

func TestSpoolCaps(t *testing.T) {
	now := time.Now()
	size := func() int64 {
		b, _ := otlpwire.Encode(context.Background(), stubSpans("f0"))
		return int64(len(b))
	}()
	tests := []struct {
		name  string
		cfg   Config
		ages  []time.Duration // one file per age, named f0, f1, ...
		wantK []string
	}{
		{name: "within caps", ages: []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour}, wantK: []string{"f0", "f1", "f2"}},
		{name: "max files drops oldest", cfg: Config{MaxFiles: 2}, ages: []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour}, wantK: []string{"f2", "f1"}},
		{name: "max bytes drops oldest", cfg: Config{MaxBytes: 2*size + 1}, ages: []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour}, wantK: []string{"f1", "f2"}},
		{name: "max age", cfg: Config{MaxAge: 24 * time.Hour}, ages: []time.Duration{25 * time.Hour, 23 * time.Hour}, wantK: []string{"f1"}},
		{name: "default max age is a week", ages: []time.Duration{8 * 24 * time.Hour, 6 * 24 * time.Hour}, wantK: []string{"f1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			for i, age := range tc.ages {
				writeTestFile(t, dir, "f"+string(rune('0'+i)), now.Add(-age))
			}
			kept, size, err := trimSpool(tc.cfg, dir, now, Config{}.logger())
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != len(tc.wantK) {
				t.Errorf("trimSpool kept %d files, want %d", len(kept), len(tc.wantK))
			}
			var onDisk int64
			for _, f := range kept {
				fi, err := os.Stat(filepath.Join(dir, f.name))
				if err != nil {
					t.Fatal(err)
				}
				onDisk += fi.Size()
			}
			if size != onDisk {
				t.Errorf("trimSpool says the kept files hold %d bytes; on disk they hold %d", size, onDisk)
			}
			if got := spoolNames(t, dir); !slices.Equal(got, tc.wantK) {
				t.Errorf("spool holds %q, want %q (oldest first)", got, tc.wantK)
			}
		})
	}
}

func TestSpoolCapsOnWrite(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxFiles = 2
	for _, name := range []string{"first", "second", "third"} {
		s, _ := New(cfg)
		s.ExportSpans(context.Background(), stubSpans(name))
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // distinct names on coarse clocks
	}
	if got := spoolNames(t, cfg.SpoolDir); !slices.Equal(got, []string{"second", "third"}) {
		t.Errorf("spool holds %q, want the newest two", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestQueuedAndClear(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := Config{Tool: "tool", Endpoint: "http://127.0.0.1:9", SpoolDir: dir}
	if n, size, err := Queued(cfg); n != 0 || size != 0 || err != nil {
		t.Fatalf("Queued of a missing spool = %d, %d, %v", n, size, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Queued created the spool folder")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("%020d-1-%d%s", now.Add(time.Duration(i)).UnixNano(), i, spoolExt)
		if err := os.WriteFile(filepath.Join(dir, name), []byte("abcd"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keep := []string{"upload.lock", "notes.txt", "." + "x" + spoolExt + ".tmp-1"}
	for _, name := range keep {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600)
	}
	if n, size, err := Queued(cfg); n != 3 || size != 12 || err != nil {
		t.Errorf("Queued = %d, %d, %v; want 3, 12", n, size, err)
	}
	if n, err := Clear(cfg); n != 3 || err != nil {
		t.Errorf("Clear = %d, %v; want 3", n, err)
	}
	if n, _, _ := Queued(cfg); n != 0 {
		t.Errorf("Queued after Clear = %d", n)
	}
	for _, name := range keep[:2] {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("Clear removed %s", name)
		}
	}
}

// Spans recorded for one collector are never sent to another: a team that
// routes the tool to its own collector does not leak its queue to the
// vendor's default on the next run without the variable.
func TestSpoolIsBoundToItsEndpoint(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	srv := newCollector(t, answerOK)
	team := Config{Tool: "pipectl", Endpoint: srv.URL}
	vendor := Config{Tool: "pipectl", Endpoint: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)}
	teamDir, _ := Dir(team)
	writeTestFile(t, teamDir, "team-span", time.Now())
	if res, err := Upload(context.Background(), vendor); err != nil || res.Sent != 0 {
		t.Fatalf("vendor upload = %+v, %v; want nothing sent", res, err)
	}
	if n, _, _ := Queued(vendor); n != 1 {
		t.Errorf("Queued = %d, want the team's file still queued", n)
	}
	if res, err := Upload(context.Background(), team); err != nil || res.Sent != 1 {
		t.Fatalf("team upload = %+v, %v; want 1 sent", res, err)
	}
	// team and vendor name the same listener: only the team's upload
	// may have reached it.
	if got := srv.Received(); len(got) != 1 || got[0] != "team-span" {
		t.Errorf("collector received %q, want the team's span once", got)
	}
}

// An endpoint that is never used again does not keep its spool forever.
func TestUploadSweepsOldSpoolsOfOtherEndpoints(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	old := Config{Tool: "pipectl", Endpoint: "https://old.example"}
	cur := Config{Tool: "pipectl", Endpoint: "https://127.0.0.1:1"}
	oldDir, _ := Dir(old)
	writeTestFile(t, oldDir, "stale", time.Now().Add(-8*24*time.Hour))
	writeTestFile(t, oldDir, "fresh", time.Now())
	Upload(context.Background(), cur)
	if names := spoolNames(t, oldDir); !slices.Equal(names, []string{"fresh"}) {
		t.Errorf("old endpoint's spool = %v, want the stale file dropped and the fresh one kept", names)
	}
}

// Written must not wait behind a spool write that the SDK gave up on (a
// stalled file system holds the mutex): Shutdown stays bounded.
func TestWrittenDoesNotWaitForAWrite(t *testing.T) {
	s, err := New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock() // a write in progress
	defer s.mu.Unlock()
	done := make(chan bool)
	go func() { done <- s.Written() }()
	select {
	case w := <-done:
		if w {
			t.Error("Written before anything was written")
		}
	case <-time.After(5 * time.Second): // a deadlock bound, not a speed goal
		t.Fatal("Written waited for the spool's mutex")
	}
}

// The sweep of other endpoints' spools removes spool files only: the lock
// file and the folder stay, so no two processes can hold "the" lock on
// different files.
func TestSweepKeepsOtherSpoolsLock(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	old := Config{Tool: "pipectl", Endpoint: "https://old.example"}
	oldDir, _ := Dir(old)
	writeTestFile(t, oldDir, "stale", time.Now().Add(-8*24*time.Hour))
	lockFile := filepath.Join(oldDir, lockName)
	if err := os.WriteFile(lockFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	Upload(context.Background(), Config{Tool: "pipectl", Endpoint: "https://127.0.0.1:1"})
	if names := spoolNames(t, oldDir); len(names) != 0 {
		t.Errorf("stale file kept: %v", names)
	}
	if _, err := os.Stat(lockFile); err != nil {
		t.Errorf("the other spool's lock file was removed: %v", err)
	}
}
