//go:build !notelemetry

package instrument

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readCalls returns how many read system calls this process made so far.
func readCalls(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "syscr:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no syscr in /proc/self/io")
	return 0
}

// TestConsentFilesReadOncePerInvocation: a recorded invocation reads
// telemetry.toml once, although it decides consent at its start and again
// at its end and takes the user id from it; it reads the file again only
// when the file changed in between (here: replaced by the same content).
func TestConsentFilesReadOncePerInvocation(t *testing.T) {
	dir := home(t)
	content := []byte("[telemetry]\nconsent = true\nnotice_shown = '2020-01-01T00:00:00Z'\nuuid = '93a0b240-099b-47a2-9919-28f6bce8b60b'\n")
	user := userFile(t, dir, string(content))
	// Written long ago, as a user's is: a file modified just before it is
	// read is read again each time (see readlimit.Cache).
	old := time.Now().Add(-time.Hour)
	os.Chtimes(user, old, old)
	var stderr bytes.Buffer
	cfg := testConfig([]string{"run", "-p", "x"}, &stderr, env("TOOL_TELEMETRY_UPLOAD_INTERVAL", "1h"))
	holdUploadWait(t, cfg)
	run := func(between func()) (reads int) {
		before := readCalls(t)
		tel := Start(cfg)
		inv := tel.Begin(context.Background())
		between()
		inv.End(0, nil)
		tel.Shutdown()
		if !tel.gate.Enabled() {
			t.Fatal("consent is off")
		}
		return readCalls(t) - before
	}
	run(func() {}) // makes the ids
	unchanged := run(func() {})
	changed := run(func() {
		tmp := user + ".new"
		os.WriteFile(tmp, content, 0o600)
		os.Chtimes(tmp, old.Add(time.Minute), old.Add(time.Minute))
		os.Rename(tmp, user)
	})
	// One read of the file is 2 calls (the data, then the end of file).
	if changed-unchanged != 2 {
		t.Errorf("read calls: %d with telemetry.toml unchanged, %d when it changed during the command; want 2 more (one read more)", unchanged, changed)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// TestOptedOutCommandReadsNothing: with an opt-out in the environment, a
// command reads no file at all (not telemetry.toml, not the project's, not
// /proc), however many are there to read.
func TestOptedOutCommandReadsNothing(t *testing.T) {
	dir := home(t)
	userFile(t, dir, "[telemetry]\nconsent = true\n")
	var stderr bytes.Buffer
	cfg := projectCommand(t, dir, &stderr, env("DO_NOT_TRACK", "1"))
	// The real lookup of the process's start, which TestMain replaces.
	saved := startedAt
	startedAt = processStart
	defer func() { startedAt = saved }()
	measure := func(f func()) int {
		before := readCalls(t)
		f()
		return readCalls(t) - before
	}
	nothing := measure(func() {}) // readCalls' own reads
	command := measure(func() { runCommand(cfg) })
	if command != nothing {
		t.Errorf("an opted-out command made %d read calls", command-nothing)
	}
}
