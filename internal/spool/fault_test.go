//go:build unix

package spool

import (
	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/anontel/anontel/internal/toolenv"

	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFaults runs the fake CLI as a real process against each collector
// fault, then its real detached uploader, and checks what was delivered,
// what stays spooled, that the uploader exits by its deadline, and that
// nothing reached the terminal. It logs the command's wall time against
// the same command without telemetry.
func TestFaults(t *testing.T) {
	retryAfter120 := http.Header{"Retry-After": []string{"120"}}
	cases := []struct {
		name     string
		endpoint func(t *testing.T) (string, *otlpsink.Sink)
		deadline time.Duration // Config.UploadDeadline
		attempt  time.Duration // Config.AttemptTimeout

		sent, dropped, kept int    // the uploader's result
		errHas              string // in the uploader's error; "" = no error
		delivered           bool   // the span reached the collector (2xx)
		received            bool   // the span reached the collector at all
		spooled             bool   // the span is still in the spool
		backoff             bool   // a back-off was recorded
	}{
		{
			name:     "collector up",
			endpoint: func(t *testing.T) (string, *otlpsink.Sink) { c := newCollector(t, answerOK); return c.URL, c },
			deadline: 5 * time.Second, attempt: 2 * time.Second,
			sent: 1, delivered: true, received: true,
		},
		{
			name:     "connection refused",
			endpoint: func(t *testing.T) (string, *otlpsink.Sink) { return refusedURL(t), nil },
			deadline: 5 * time.Second, attempt: 2 * time.Second,
			kept: 1, errHas: "connection refused", spooled: true, backoff: true,
		},
		{
			name:     "accepts and never answers",
			endpoint: func(t *testing.T) (string, *otlpsink.Sink) { return blackhole(t), nil },
			// The attempt timeout is longer than the deadline: the
			// deadline alone must stop the uploader.
			deadline: 2 * time.Second, attempt: 30 * time.Second,
			kept: 1, errHas: "deadline", spooled: true, backoff: true,
		},
		{
			name: "503 with Retry-After",
			endpoint: func(t *testing.T) (string, *otlpsink.Sink) {
				c := newCollector(t, func(int) otlpsink.Answer {
					return otlpsink.Answer{Status: http.StatusServiceUnavailable, Header: retryAfter120}
				})
				return c.URL, c
			},
			deadline: 5 * time.Second, attempt: 2 * time.Second,
			kept: 1, errHas: "503", received: true, spooled: true, backoff: true,
		},
		{
			name: "400",
			endpoint: func(t *testing.T) (string, *otlpsink.Sink) {
				c := newCollector(t, func(int) otlpsink.Answer { return otlpsink.Answer{Status: http.StatusBadRequest} })
				return c.URL, c
			},
			deadline: 5 * time.Second, attempt: 2 * time.Second,
			dropped: 1, received: true,
		},
		{
			name: "slow answer",
			endpoint: func(t *testing.T) (string, *otlpsink.Sink) {
				c := newCollector(t, func(int) otlpsink.Answer {
					return otlpsink.Answer{Status: http.StatusOK, Delay: 1500 * time.Millisecond}
				})
				return c.URL, c
			},
			deadline: 5 * time.Second, attempt: 3 * time.Second,
			sent: 1, delivered: true, received: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			endpoint, c := tc.endpoint(t)
			h := newHost(t, endpoint,
				envDeadline+"="+tc.deadline.String(),
				envAttempt+"="+tc.attempt.String())
			base := h.baseline(3)

			span := "secret-" + strings.ReplaceAll(tc.name, " ", "-")
			rep, wall := h.run("cli", span)
			if !rep.Written || rep.StartErr != "" {
				t.Fatalf("command: written=%v start error %q; log:\n%s", rep.Written, rep.StartErr, rep.Log)
			}
			ups := h.waitUploaders(1)
			up := ups[0]
			done := h.waitGone(up.Pid, tc.deadline+2*time.Second)
			t.Logf("host wall %v (without telemetry %v, %+v); telemetry in-process %dµs (spool write %dµs, StartUploader %dµs); uploader ran %dms",
				wall.Round(time.Microsecond), base.Round(time.Microsecond), (wall - base).Round(time.Microsecond),
				rep.TelemetryMicros, rep.ShutdownMicros, rep.StartMicros, done.Elapsed)

			checkChildStart(t, up, span)
			if got := done.UploadResult; got != (UploadResult{Sent: tc.sent, Dropped: tc.dropped, Kept: tc.kept}) {
				t.Errorf("upload result %+v, want sent %d dropped %d kept %d", got, tc.sent, tc.dropped, tc.kept)
			}
			if tc.errHas == "" && done.Err != "" || !strings.Contains(done.Err, tc.errHas) {
				t.Errorf("upload error %q, want one containing %q", done.Err, tc.errHas)
			}
			want := []string{span + "#0"}
			if c != nil {
				if got := c.Accepted(); tc.delivered != slices.Equal(got, want) || !tc.delivered && len(got) > 0 {
					t.Errorf("collector accepted %q, delivered want %v", got, tc.delivered)
				}
				if got := c.Received(); tc.received != slices.Contains(got, want[0]) {
					t.Errorf("collector received %q, want received %v", got, tc.received)
				}
			}
			if got := h.spooled(); tc.spooled != slices.Equal(got, want) || !tc.spooled && len(got) > 0 {
				t.Errorf("spooled %q, want spooled %v", got, tc.spooled)
			}
			if _, ok := readBackoff(h.spool); ok != tc.backoff {
				t.Errorf("back-off recorded = %v, want %v", ok, tc.backoff)
			}
			if !tc.backoff {
				return
			}
			// While backing off, the next command starts no uploader and
			// its span joins the spool.
			rep, _ = h.run("cli", span+"-next")
			if !strings.Contains(rep.Log, "backing off") || strings.Contains(rep.Log, "uploader started") {
				t.Errorf("second command during back-off; log:\n%s", rep.Log)
			}
			if got := h.spooled(); !slices.Equal(got, []string{span + "#0", span + "-next#0"}) {
				t.Errorf("spooled after second command %q", got)
			}
			if n := len(h.uploaders()); n != 1 {
				t.Errorf("%d uploaders started, want 1", n)
			}
		})
	}
}

// checkChildStart checks that the uploader child got no payload: no
// argument and no span name in its environment, only the marker added.
func checkChildStart(t *testing.T, up uploaderStart, span string) {
	t.Helper()
	if len(up.Args) != 1 {
		t.Errorf("uploader argv %q, want the executable alone", up.Args)
	}
	marker := toolenv.Upload(testTool) + "="
	if n := slices.IndexFunc(up.Env, func(kv string) bool { return strings.HasPrefix(kv, marker) }); n < 0 || len(up.Env[n]) != len(marker)+2*tokenBytes {
		t.Errorf("uploader environment lacks %s<token>", marker)
	}
	for _, kv := range append(slices.Clone(up.Args), up.Env...) {
		if strings.Contains(kv, span) {
			t.Errorf("uploader argv/env carries span data: %q", kv)
		}
	}
}

// TestOfflineThenOnline records commands while the collector is down,
// lets it fail mid-stream, then brings it back: every span recorded
// offline is delivered, none accepted twice.
func TestOfflineThenOnline(t *testing.T) {
	c := newCollector(t, answerOK)
	c.Close()
	const deadline = 3 * time.Second
	h := newHost(t, c.URL,
		envDeadline+"="+deadline.String(),
		envAttempt+"=1s",
		envBackoff+"=-1s", // no back-off: every command starts an uploader
		envBatch+"=1",     // a request per file, so that one can fail midway
		envSpans+"=2")

	var want []string
	run := func(span string) uploaderDone {
		t.Helper()
		before := len(h.uploaders())
		rep, wall := h.run("cli", span)
		want = append(want, span+"#0", span+"#1")
		ups := h.waitUploaders(before + 1)
		done := h.waitGone(ups[len(ups)-1].Pid, deadline+2*time.Second)
		t.Logf("%s: host wall %v, telemetry in-process %dµs, uploader %+v in %dms (%s)",
			span, wall.Round(time.Microsecond), rep.TelemetryMicros, done.UploadResult, done.Elapsed, done.Err)
		return done
	}

	for i := range 4 {
		d := run("offline-" + string(rune('a'+i)))
		if d.Sent != 0 || d.Kept != i+1 {
			t.Errorf("offline upload %d: %+v, want nothing sent, %d kept", i, d.UploadResult, i+1)
		}
	}
	if got := h.spooled(); len(got) != 8 {
		t.Fatalf("spooled offline: %q", got)
	}

	// Back up, but the connection drops after two requests.
	c.SetAnswer(func(n int) otlpsink.Answer {
		if n <= 2 {
			return otlpsink.Answer{Status: http.StatusOK}
		}
		return otlpsink.Answer{Status: 0}
	})
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	d := run("flaky")
	if d.Sent != 2 || d.Kept != 3 || d.Err == "" {
		t.Errorf("flaky upload: %+v %q, want 2 sent, 3 kept and an error", d.UploadResult, d.Err)
	}

	c.SetAnswer(answerOK)
	d = run("online")
	if d.Sent != 4 || d.Kept != 0 || d.Err != "" {
		t.Errorf("online upload: %+v %q, want 4 sent, none kept", d.UploadResult, d.Err)
	}
	got := c.Accepted()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("accepted %q\nwant     %q", got, want)
	}
	if left := h.spooled(); len(left) != 0 {
		t.Errorf("still spooled: %q", left)
	}
}

// TestOneUploaderAtATime starts two uploader processes on the same spool:
// the second returns at once and nothing is sent twice.
func TestOneUploaderAtATime(t *testing.T) {
	c := newCollector(t, func(int) otlpsink.Answer {
		return otlpsink.Answer{Status: http.StatusOK, Delay: 100 * time.Millisecond}
	})
	// A request per file keeps the first uploader at work for a second.
	h := newHost(t, c.URL, envDeadline+"=20s", envBatch+"=1")
	const files = 10
	var want []string
	for i := range files {
		name := "queued-" + string(rune('a'+i))
		want = append(want, name)
		writeTestFile(t, h.spool, name, time.Now())
	}

	var procs []*osProcess
	for range 2 {
		procs = append(procs, startUploaderProcess(t, h))
	}
	var results []uploaderDone
	for _, p := range procs {
		p.wait(t)
		results = append(results, h.waitGone(p.pid, 20*time.Second))
	}
	var sent, busy int
	for _, r := range results {
		sent += r.Sent
		if r.Err == ErrUploadInProgress.Error() {
			busy++
			if r.Sent != 0 {
				t.Errorf("the refused uploader sent %d files", r.Sent)
			}
		}
	}
	if busy != 1 || sent != files {
		t.Errorf("results %+v: want one refused uploader and %d files sent", results, files)
	}
	got := c.Received()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("collector received %q, want each of %q once", got, want)
	}
}

// TestNoChildWhenNothingRecorded: a command that records nothing writes
// nothing and starts no uploader.
func TestNoChildWhenNothingRecorded(t *testing.T) {
	c := newCollector(t, answerOK)
	h := newHost(t, c.URL)
	rep, _ := h.run("idle", "")
	if rep.Written {
		t.Error("a command without spans wrote a spool file")
	}
	if _, err := os.Stat(filepath.Dir(h.spool)); !os.IsNotExist(err) {
		t.Errorf("spool folder created: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // an uploader would have reported by now
	if ups := h.uploaders(); len(ups) != 0 {
		t.Errorf("uploaders started: %+v", ups)
	}
	if len(c.Received()) != 0 {
		t.Error("the collector was contacted")
	}
}
