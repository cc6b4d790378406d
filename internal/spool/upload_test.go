package spool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/otlpsink"
)

// loopback starts the fake collector answering with answer; got lists
// the span names of every request it received.
func loopback(t *testing.T, answer func(int) otlpsink.Answer) (c *otlpsink.Sink, got func() []string) {
	t.Helper()
	c = newCollector(t, answer)
	return c, c.Received
}

// status answers code with the given header pairs.
func status(code int, header ...string) func(int) otlpsink.Answer {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return func(int) otlpsink.Answer { return otlpsink.Answer{Status: code, Header: h} }
}

func TestUpload(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(int) otlpsink.Answer
		corrupt   bool // add a corrupt file first
		want      UploadResult
		errHas    string
		left      []string // span names still spooled
		backoffAt time.Duration
	}{
		{name: "200 sends all, oldest first", answer: status(200), want: UploadResult{Sent: 3}},
		{name: "204", answer: status(204), want: UploadResult{Sent: 3}},
		{name: "400 drops", answer: status(400), want: UploadResult{Dropped: 3}},
		{name: "413 drops", answer: status(413), want: UploadResult{Dropped: 3}},
		{name: "408 keeps", answer: status(408), want: UploadResult{Kept: 3}, errHas: "408", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "429 Retry-After keeps", answer: status(429, "Retry-After", "30"), want: UploadResult{Kept: 3}, errHas: "429", left: []string{"a", "b", "c"}, backoffAt: 30 * time.Second},
		{name: "500 keeps", answer: status(500), want: UploadResult{Kept: 3}, errHas: "500", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "captive portal keeps", answer: status(200, "Content-Type", "text/html; charset=utf-8"), want: UploadResult{Kept: 3}, errHas: "captive portal", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "any other 2xx content keeps", answer: status(200, "Content-Type", "Text/HTML"), want: UploadResult{Kept: 3}, errHas: "captive portal", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "2xx text/plain keeps", answer: status(204, "Content-Type", "text/plain"), want: UploadResult{Kept: 3}, errHas: "captive portal", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "2xx JSON sends", answer: status(200, "Content-Type", "application/json"), want: UploadResult{Sent: 3}},
		{name: "403 of a proxy keeps", answer: status(403), want: UploadResult{Kept: 3}, errHas: "403", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "404 keeps", answer: status(404), want: UploadResult{Kept: 3}, errHas: "404", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "407 keeps", answer: status(407), want: UploadResult{Kept: 3}, errHas: "407", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "redirect keeps", answer: status(302, "Location", "http://127.0.0.1:1/"), want: UploadResult{Kept: 3}, errHas: "302", left: []string{"a", "b", "c"}, backoffAt: DefaultFailureBackoff},
		{name: "corrupt file dropped", answer: status(200), corrupt: true, want: UploadResult{Sent: 3, Dropped: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := loopback(t, tc.answer)
			cfg := testConfig(t)
			cfg.Endpoint = srv.URL
			now := time.Now()
			if tc.corrupt {
				if err := writeSpoolFile(cfg, cfg.SpoolDir, []byte("not a protobuf request \xff\xff"), now.Add(-time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			for i, name := range []string{"a", "b", "c"} {
				writeTestFile(t, cfg.SpoolDir, name, now.Add(time.Duration(i-3)*time.Minute))
			}
			res, err := Upload(context.Background(), cfg)
			if res != tc.want {
				t.Errorf("Upload = %+v, want %+v", res, tc.want)
			}
			if tc.errHas == "" && err != nil || err != nil && !strings.Contains(err.Error(), tc.errHas) || tc.errHas != "" && err == nil {
				t.Errorf("Upload error %v, want one containing %q", err, tc.errHas)
			}
			// One request holds the three files; a rejected one is sent
			// again file by file, so that only what is refused is dropped.
			wantGot := []string{"a", "b", "c"}
			if tc.want.Dropped == 3 {
				wantGot = append(wantGot, "a", "b", "c")
			}
			if g := got(); !slices.Equal(g, wantGot) {
				t.Errorf("collector got %q, want %q", g, wantGot)
			}
			if left := spoolNames(t, cfg.SpoolDir); !slices.Equal(left, tc.left) {
				t.Errorf("left in the spool %q, want %q", left, tc.left)
			}
			until, ok := readBackoff(cfg.SpoolDir)
			if ok != (tc.backoffAt > 0) {
				t.Fatalf("back-off recorded = %v, want %v", ok, tc.backoffAt > 0)
			}
			if ok && (until.Before(now.Add(tc.backoffAt-2*time.Second)) || until.After(time.Now().Add(tc.backoffAt+time.Second))) {
				t.Errorf("back-off until %v, want about now+%v", until, tc.backoffAt)
			}
		})
	}
}

func TestUploadHonoursBackoff(t *testing.T) {
	srv, got := loopback(t, status(200))
	cfg := testConfig(t)
	cfg.Endpoint = srv.URL
	writeTestFile(t, cfg.SpoolDir, "a", time.Now())
	u := &uploader{cfg: cfg, dir: cfg.SpoolDir, log: cfg.logger()}
	u.backOff(&otlphttp.UnavailableError{Msg: "test", RetryAfter: time.Minute})

	res, err := Upload(context.Background(), cfg)
	if err == nil || res != (UploadResult{Kept: 1}) || len(got()) != 0 {
		t.Errorf("Upload during back-off = %+v, %v; collector got %q", res, err, got())
	}
	// A command that records starts no uploader either.
	var log strings.Builder
	cfg.Logger = debugLogger(&log)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.ExportSpans(context.Background(), stubSpans("b"))
	s.Shutdown(context.Background())
	if err := s.StartUploader(); err != nil || !strings.Contains(log.String(), "backing off") {
		t.Errorf("StartUploader during back-off: %v; log %s", err, log.String())
	}
	// A success clears it.
	clearBackoff(cfg.SpoolDir)
	if res, err := Upload(context.Background(), cfg); err != nil || res.Sent != 2 {
		t.Fatalf("Upload = %+v, %v", res, err)
	}
	if _, ok := readBackoff(cfg.SpoolDir); ok {
		t.Error("back-off still recorded after a success")
	}
}

func TestUploadNoSpool(t *testing.T) {
	cfg := testConfig(t)
	res, err := Upload(context.Background(), cfg)
	if err != nil || res != (UploadResult{}) {
		t.Errorf("Upload without a spool = %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Dir(cfg.SpoolDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Upload created the spool folder: %v", err)
	}
}

func TestUploadLockedReturnsAtOnce(t *testing.T) {
	srv, got := loopback(t, status(200))
	cfg := testConfig(t)
	cfg.Endpoint = srv.URL
	writeTestFile(t, cfg.SpoolDir, "a", time.Now())
	lockFile := filepath.Join(cfg.SpoolDir, lockName)
	// A lock held through another open file description, as another
	// process would.
	other := newTestLock(t, lockFile)
	defer other.Unlock()
	res, err := Upload(context.Background(), cfg)
	if !errors.Is(err, ErrUploadInProgress) || res != (UploadResult{}) || len(got()) != 0 {
		t.Errorf("Upload while locked = %+v, %v; collector got %q", res, err, got())
	}
}

// A burst of commands is kept whole and sent in a few requests; beyond the
// caps the oldest files go first (the loss rule of the package doc).
// TestBatchLen: a request takes the oldest files up to maxBatchBytes or
// maxFiles, and always at least one file, however large.
func TestBatchLen(t *testing.T) {
	const kib = 1 << 10
	tests := []struct {
		name  string
		sizes []int64
		max   int
		want  int
	}{
		{"all fit", []int64{kib, kib, kib}, 200, 3},
		{"bytes bound", []int64{20 * kib, 20 * kib, 20 * kib}, 200, 2},
		{"exactly the cap", []int64{24 * kib, 24 * kib, 1}, 200, 2},
		{"files bound", []int64{1, 1, 1, 1}, 3, 3},
		{"a large file goes alone", []int64{100 * kib, 1}, 200, 1},
		{"a large file waits for the next request", []int64{1, 100 * kib}, 200, 1},
	}
	for _, tc := range tests {
		var files []spoolFile
		for i, size := range tc.sizes {
			files = append(files, spoolFile{name: fmt.Sprint(i), size: size})
		}
		if got := batchLen(files, tc.max); got != tc.want {
			t.Errorf("%s: batchLen = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestUploadBurst(t *testing.T) {
	srv, got := loopback(t, status(200))
	cfg := testConfig(t)
	cfg.Endpoint = srv.URL
	now := time.Now()
	var want []string
	for i := range 348 {
		name := fmt.Sprintf("burst-%03d", i)
		writeTestFile(t, cfg.SpoolDir, name, now.Add(time.Duration(i-348)*time.Millisecond))
		want = append(want, name)
	}
	res, err := Upload(context.Background(), cfg)
	if err != nil || res != (UploadResult{Sent: 348}) {
		t.Fatalf("Upload = %+v, %v; want all 348 sent", res, err)
	}
	if g := got(); !slices.Equal(g, want) {
		t.Errorf("collector got %d spans, want the 348 in order", len(g))
	}
	if n := srv.Requests(); n != 2 {
		t.Errorf("%d requests, want 2 (%d files at most in one)", n, maxBatchFiles)
	}

	// Over the file cap, the oldest are dropped first.
	cfg.MaxFiles = 300
	for i := range 310 {
		writeTestFile(t, cfg.SpoolDir, fmt.Sprintf("over-%03d", i), now.Add(time.Duration(i-310)*time.Millisecond))
	}
	files, _, err := trimSpool(cfg, cfg.SpoolDir, time.Now(), cfg.logger())
	if err != nil || len(files) != 300 {
		t.Fatalf("trim kept %d files, %v; want 300", len(files), err)
	}
	if left := spoolNames(t, cfg.SpoolDir); left[0] != "over-010" {
		t.Errorf("oldest kept %q, want over-010", left[0])
	}
}
