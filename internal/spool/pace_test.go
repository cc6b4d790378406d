//go:build unix

package spool

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/toolenv"
)

// TestUploaderStartsArePaced: commands within the interval start no
// uploader of their own; the one started first sends their spans when the
// interval is over and exits, and the first command after it starts the
// next one.
func TestUploaderStartsArePaced(t *testing.T) {
	// Long enough for the commands below on a loaded machine under -race.
	const interval = 10 * time.Second
	c := newCollector(t, answerOK)
	h := newHost(t, c.URL, toolenv.UploadInterval(testTool)+"="+interval.String(), envWork+"=1ms")
	rep, _ := h.run("cli", "paced-0")
	if !strings.Contains(rep.Log, "uploader started") {
		t.Fatalf("the first command started no uploader; log:\n%s", rep.Log)
	}
	// Until the uploader holds upload.wait, a command may start another
	// (which sends once and exits): the commands below come after.
	if !eventually(10*time.Second, func() bool { return waiting(h.spool) }) {
		t.Fatal("the uploader never took upload.wait")
	}
	want := []string{"paced-0#0"}
	logs := make([]string, 4)
	var wg sync.WaitGroup
	for i := range logs {
		want = append(want, fmt.Sprintf("paced-%d#0", i+1))
		wg.Go(func() {
			rep, _ := h.run("cli", fmt.Sprintf("paced-%d", i+1))
			logs[i] = rep.Log
		})
	}
	wg.Wait()
	for i, log := range logs {
		if strings.Contains(log, "uploader started") {
			t.Errorf("command %d within the interval started an uploader; log:\n%s", i+1, log)
		}
	}
	first := h.waitUploaders(1)[0]
	done := h.waitGone(first.Pid, interval+10*time.Second)
	if done.Err != "" || done.Sent != 5 {
		t.Errorf("the uploader: %+v, want all 5 files sent", done)
	}
	got := c.Accepted()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("collector got %v, want %v", got, want)
	}
	if ups := h.uploaders(); len(ups) != 1 {
		t.Errorf("%d uploaders started in one interval, want 1", len(ups))
	}
	if time.Duration(done.Elapsed)*time.Millisecond < interval/2 {
		t.Errorf("the uploader exited after %d ms: it did not wait for the interval", done.Elapsed)
	}

	// After the interval the next command starts an uploader again.
	rep, _ = h.run("cli", "after")
	if !strings.Contains(rep.Log, "uploader started") {
		t.Errorf("no uploader after the interval; log:\n%s", rep.Log)
	}
	h.waitUploaders(2)
}

// TestFullSpoolStartsAnUploaderSooner: a spool holding a request's worth
// of files starts an uploader even while one waits out its interval; that
// one sends everything and exits without waiting, and nothing is lost.
func TestFullSpoolStartsAnUploaderSooner(t *testing.T) {
	c := newCollector(t, answerOK)
	h := newHost(t, c.URL, toolenv.UploadInterval(testTool)+"=1h", envWork+"=1ms")
	// An uploader waiting out its interval, played by the test.
	if err := os.MkdirAll(h.spool, 0o700); err != nil {
		t.Fatal(err)
	}
	waiter, err := lockfile.TryLock(filepath.Join(h.spool, waitName))
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Unlock()
	rep, _ := h.run("cli", "alone")
	if strings.Contains(rep.Log, "uploader started") {
		t.Fatalf("an uploader started while one waits; log:\n%s", rep.Log)
	}
	now := time.Now()
	for i := range startFiles - 2 {
		writeTestFile(t, h.spool, fmt.Sprintf("waiting-%d", i), now)
	}
	rep, _ = h.run("cli", "fills")
	if !strings.Contains(rep.Log, "uploader started") {
		t.Fatalf("a full spool started no uploader; log:\n%s", rep.Log)
	}
	up := h.waitUploaders(1)[0]
	done := h.waitGone(up.Pid, 30*time.Second)
	if done.Err != "" || done.Sent != startFiles {
		t.Errorf("the uploader: %+v, want %d files sent", done, startFiles)
	}
	if n := len(c.Accepted()); n != startFiles {
		t.Errorf("collector accepted %d spans, want %d", n, startFiles)
	}
}

// TestDeadUploaderStrandsNothing: when the uploader waiting out its
// interval dies (a reboot, the end of a container), the next command
// starts another, which sends what the dead one would have.
func TestDeadUploaderStrandsNothing(t *testing.T) {
	c := newCollector(t, answerOK)
	h := newHost(t, c.URL, toolenv.UploadInterval(testTool)+"=1h", envWork+"=1ms")
	h.run("cli", "first")
	first := h.waitUploaders(1)[0]
	if !eventually(10*time.Second, func() bool { return len(c.Accepted()) > 0 }) {
		t.Fatal("the first span was not delivered")
	}
	if !eventually(10*time.Second, func() bool { return waiting(h.spool) }) {
		t.Fatal("the uploader never took upload.wait")
	}
	rep, _ := h.run("cli", "second") // the waiting uploader will send it
	if strings.Contains(rep.Log, "uploader started") {
		t.Errorf("an uploader started while one waits; log:\n%s", rep.Log)
	}
	killProcess(first.Pid)
	if !eventually(10*time.Second, func() bool { return processGone(first.Pid) }) {
		t.Fatal("the killed uploader is still there")
	}
	rep, _ = h.run("cli", "third")
	if !strings.Contains(rep.Log, "uploader started") {
		t.Fatalf("no uploader after the waiting one died; log:\n%s", rep.Log)
	}
	next := h.waitUploaders(2)[1]
	defer killProcess(next.Pid)
	want := []string{"first#0", "second#0", "third#0"}
	var got []string
	if !eventually(10*time.Second, func() bool {
		got = c.Accepted()
		slices.Sort(got)
		return slices.Equal(got, want)
	}) {
		t.Fatalf("collector got %v, want %v", got, want)
	}
}

func TestUploadInterval(t *testing.T) {
	for _, tc := range []struct {
		cfg  time.Duration
		env  string // "" means unset
		want time.Duration
	}{
		{0, "", DefaultUploadInterval},
		{-1, "", 0},
		{5 * time.Second, "", 5 * time.Second},
		{0, "0", 0},
		{time.Hour, "0s", 0},
		{0, "-3s", 0},
		{0, " 30s ", 30 * time.Second},
		{7 * time.Second, "soon", 7 * time.Second},
		{0, "1000h", MaxUploadInterval},
		{48 * time.Hour, "", MaxUploadInterval},
	} {
		cfg := Config{Tool: testTool, UploadInterval: tc.cfg, LookupEnv: func(name string) (string, bool) {
			if name == toolenv.UploadInterval(testTool) && tc.env != "" {
				return tc.env, true
			}
			return "", false
		}}
		if got := cfg.uploadInterval(); got != tc.want {
			t.Errorf("Config %v, env %q: %v, want %v", tc.cfg, tc.env, got, tc.want)
		}
	}
}

// TestPlantedFIFOsDoNotHang: a FIFO in place of upload.wait or upload.next
// (planted, or left by anything running as the user) neither blocks the
// command nor keeps its span from being sent.
func TestPlantedFIFOsDoNotHang(t *testing.T) {
	for _, name := range []string{waitName, backoffName} {
		c := newCollector(t, answerOK)
		h := newHost(t, c.URL, toolenv.UploadInterval(testTool)+"=1m", envWork+"=1ms")
		if err := os.MkdirAll(h.spool, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(h.spool, name), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0], name)
		cmd.Env = h.environ("cli")
		start := time.Now()
		err := cmd.Run()
		hung := ctx.Err() != nil
		cancel()
		if hung {
			t.Fatalf("%s is a FIFO: the command hung for %v: %v", name, time.Since(start).Round(time.Millisecond), err)
		}
		up := h.waitUploaders(1)[0]
		if !eventually(10*time.Second, func() bool { return len(c.Accepted()) > 0 }) {
			t.Fatalf("%s is a FIFO: the span was not sent", name)
		}
		killProcess(up.Pid)
	}
}

// TestPlantedWaitLockKeepsPace: upload.wait planted as a symbolic link, or
// as a second name of upload.lock, is replaced by the uploader (what it
// points to is left alone), so pacing goes on: the next command starts no
// uploader of its own.
func TestPlantedWaitLockKeepsPace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(h *host, wait string) error
	}{
		{"symbolic link", func(h *host, wait string) error {
			return os.Symlink(filepath.Join(filepath.Dir(h.spool), "elsewhere"), wait)
		}},
		{"hard link to upload.lock", func(h *host, wait string) error {
			lock := filepath.Join(h.spool, lockName)
			if err := os.WriteFile(lock, nil, 0o600); err != nil {
				return err
			}
			return os.Link(lock, wait)
		}},
	} {
		c := newCollector(t, answerOK)
		h := newHost(t, c.URL, toolenv.UploadInterval(testTool)+"=1h", envWork+"=1ms")
		if err := os.MkdirAll(h.spool, 0o700); err != nil {
			t.Fatal(err)
		}
		elsewhere := filepath.Join(filepath.Dir(h.spool), "elsewhere")
		if err := os.WriteFile(elsewhere, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := tc.plant(h, filepath.Join(h.spool, waitName)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		h.run("cli", "first")
		up := h.waitUploaders(1)[0]
		if !eventually(10*time.Second, func() bool { return waiting(h.spool) && len(c.Accepted()) > 0 }) {
			t.Fatalf("%s: the uploader did not send and wait: sent %v", tc.name, c.Accepted())
		}
		rep, _ := h.run("cli", "second")
		if strings.Contains(rep.Log, "uploader started") {
			t.Errorf("%s: pacing is off; log:\n%s", tc.name, rep.Log)
		}
		if data, err := os.ReadFile(elsewhere); string(data) != "keep" || err != nil {
			t.Errorf("%s: the link's target changed: %q, %v", tc.name, data, err)
		}
		killProcess(up.Pid)
	}
}
