//go:build unix

package spool

import (
	"context"
	"io"

	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/gofrs/flock"

	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDirectProcess runs NewDirect in a real process under a
// BatchSpanProcessor: Retry-After is honoured, failures are logged, and
// nothing is printed on stderr (host.run fails the test otherwise).
func TestDirectProcess(t *testing.T) {
	cases := []struct {
		name      string
		answer    func(n int) otlpsink.Answer
		refused   bool
		retryMax  time.Duration
		delivered bool
		logHas    string
	}{
		{
			name: "503 Retry-After 1 then 200",
			answer: func(n int) otlpsink.Answer {
				if n == 1 {
					return otlpsink.Answer{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": []string{"1"}}}
				}
				return otlpsink.Answer{Status: http.StatusOK}
			},
			retryMax: 10 * time.Second, delivered: true,
		},
		{
			name: "Retry-After beyond the retry budget",
			answer: func(int) otlpsink.Answer {
				return otlpsink.Answer{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": []string{"60"}}}
			},
			retryMax: 5 * time.Second, logHas: "giving up",
		},
		{
			name:     "400",
			answer:   func(int) otlpsink.Answer { return otlpsink.Answer{Status: http.StatusBadRequest} },
			retryMax: 5 * time.Second, logHas: "400",
		},
		{
			name: "connection refused", refused: true,
			retryMax: 2 * time.Second, logHas: "connection refused",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c *otlpsink.Sink
			endpoint := refusedURL(t)
			if !tc.refused {
				c = newCollector(t, tc.answer)
				endpoint = c.URL
			}
			h := newHost(t, endpoint, envRetryMax+"="+tc.retryMax.String(), envAttempt+"=1s")
			start := time.Now()
			rep, _ := h.run("direct", "direct")
			t.Logf("process ran %v", time.Since(start).Round(time.Millisecond))
			if rep.StartErr != "" {
				t.Fatal(rep.StartErr)
			}
			if tc.logHas != "" && !strings.Contains(rep.Log, tc.logHas) {
				t.Errorf("debug log lacks %q:\n%s", tc.logHas, rep.Log)
			}
			if c != nil {
				if got := c.Accepted(); tc.delivered != slices.Equal(got, []string{"direct#0"}) {
					t.Errorf("accepted %q, want delivered %v", got, tc.delivered)
				}
			}
			if _, err := os.Stat(h.spool); !os.IsNotExist(err) {
				t.Errorf("the direct exporter touched the spool folder: %v", err)
			}
		})
	}
}

// A command that finds an uploader at work starts no second one, and what it
// spooled is still delivered by the one at work.
func TestNoSecondUploaderWhileOneWorks(t *testing.T) {
	c := newCollector(t, answerOK)
	h := newHost(t, c.URL)
	if err := os.MkdirAll(h.spool, 0o700); err != nil {
		t.Fatal(err)
	}
	// Stand in for an uploader holding the lock.
	lock := flock.New(filepath.Join(h.spool, lockName))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	rep, _ := h.run("cli", "while-one-works")
	if !rep.Written {
		t.Fatal("the command wrote no spool file")
	}
	time.Sleep(300 * time.Millisecond)
	if ups := h.uploaders(); len(ups) != 0 {
		t.Errorf("an uploader was started while one was at work: %+v", ups)
	}
	lock.Unlock()
	// The one at work looks again after letting go: here, a direct Upload.
	res, err := Upload(context.Background(), Config{Tool: testTool, Endpoint: c.URL, SpoolDir: h.spool})
	if err != nil || res.Sent != 1 {
		t.Errorf("Upload = %+v, %v; want the command's file sent", res, err)
	}
}

// The uploader holds none of the caller's descriptors: a script that runs
// the tool under `9>lock` or reads its pipe is not kept waiting by the
// uploader, which may work for seconds after the command returned.
func TestUploaderHoldsNoInheritedDescriptor(t *testing.T) {
	h := newHost(t, blackhole(t), envDeadline+"=8s", envAttempt+"=8s")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h.extra = []*os.File{w} // fd 3 of the command, not close-on-exec
	h.run("cli", "held")
	w.Close()
	up := h.waitUploaders(1)[0]
	eof := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		eof <- err
	}()
	select {
	case <-eof:
		if processGone(up.Pid) {
			t.Fatal("the uploader ended before the check could tell")
		}
	case <-time.After(6 * time.Second):
		t.Error("the uploader still holds the command's inherited pipe")
	}
	killProcess(up.Pid)
}
