package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A marker variable left in the environment cannot turn a command into a
// silent uploader: the command runs as usual, whatever consent says.
func TestE2EUploadMarkerCannotHijackACommand(t *testing.T) {
	u := newUser(t, "")
	marker := []string{"PIPECTL_TELEMETRY_UPLOAD=1", "DO_NOT_TRACK=1"}
	if r := u.run("", marker, "new", "--name", "proj", "--example", "no"); r.code != 0 {
		t.Fatalf("new with a stale marker: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(u.work, "proj", "pyproject.toml")); err != nil {
		t.Errorf("new did nothing: %v", err)
	}
	if r := u.run("", marker, "--bogus"); r.code == 0 || !strings.Contains(r.stderr, "unknown flag") {
		t.Errorf("invalid flag with a stale marker: %+v", r)
	}
	// With consent, the command is recorded and delivered as usual.
	u.firstRun()
	if r := u.run("", []string{"PIPECTL_TELEMETRY_UPLOAD=1"}, "info"); r.code != 0 {
		t.Fatalf("info with a stale marker: %+v", r)
	}
	u.waitSpans(1)
}

// The uploader decides on what can have changed since recording (the
// environment, the user's choice), never on a project it finds above the
// spool folder: a $HOME that is itself a project saying no must not
// silence the uploads of commands run elsewhere.
func TestE2EUploaderIgnoresAProjectAboveTheSpool(t *testing.T) {
	u := newUser(t, "")
	for name, data := range map[string]string{
		"pyproject.toml": "[tool.pipectl]\npackage_name = \"home\"\n",
		".telemetry":     "consent: false\n",
	} {
		if err := os.WriteFile(filepath.Join(u.home, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u.firstRun()
	if r := u.run("", nil, "info"); r.code != 0 {
		t.Fatalf("info: %+v", r)
	}
	u.waitSpans(1)
}

// A user who looks before deciding finds everything as it was: debug mode
// makes no id, writes no project id into the repository, and does not
// remember the notice.
func TestE2EDebugChangesNothing(t *testing.T) {
	u := newUser(t, "")
	u.newProject("proj")
	unchanged := func(before map[string]string, when string) {
		t.Helper()
		if after := tree(t, u.base()); !maps.Equal(before, after) {
			t.Errorf("%s: debug mode changed files:\nbefore %v\nafter  %v", when, before, after)
		}
	}
	before := tree(t, u.base())
	for i := 0; i < 2; i++ {
		r := u.run("proj", []string{"PIPECTL_TELEMETRY_DEBUG=1"}, "info")
		if r.code != 0 || !strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
			t.Fatalf("debug run %d before any real one: %+v", i, r)
		}
	}
	unchanged(before, "first runs")
	u.firstRun() // a real run: the notice is remembered now
	before = tree(t, u.base())
	r := u.run("proj", []string{"PIPECTL_TELEMETRY_DEBUG=1"}, "info")
	for _, want := range []string{"placeholders", `"enduser.pseudo.id"`, `"cli.project.id"`, "(placeholder:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("debug output lacks %q:\n%s", want, r.stderr)
		}
	}
	unchanged(before, "after the notice")
	u.quiet(0)
}

// Of many first runs at once, exactly one shows the notice; the first never
// sends, nor does any run that started before the notice was recorded
// (TestStartedBeforeTheNoticeSendsNothing pins that rule down). Runs that
// started after it are later runs and do send.
func TestE2EParallelFirstRuns(t *testing.T) {
	u := newUser(t, "")
	const n = 30
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = u.run("", nil, "info")
		}()
	}
	wg.Wait()
	notices := 0
	for _, r := range results {
		if strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d of %d first runs showed the notice, want 1", notices, n)
	}
	time.Sleep(time.Second)
	recorded := len(u.sink.Spans()) + len(u.spoolFiles())
	t.Logf("%d of %d parallel first runs recorded (forked after the notice was recorded)", recorded, n)
	if recorded >= n {
		t.Errorf("%d of %d first runs were recorded, the notice's own included", recorded, n)
	}
}

func TestE2EOfflineSpoolIsKeptAndDisableDeletesIt(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	// A collector that is down: the span stays queued.
	dead := "http://127.0.0.1:1"
	if r := u.run("", []string{"PIPECTL_TELEMETRY_ENDPOINT=" + dead}, "info"); r.code != 0 || r.stderr != "" {
		t.Fatalf("info with the collector down: %+v", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(u.spoolFiles()) != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// Give the uploader time to fail and leave the file.
	time.Sleep(500 * time.Millisecond)
	if files := u.spoolFiles(); len(files) != 1 {
		t.Fatalf("spool = %v, want the one span kept", files)
	}
	st := u.run("", nil, "telemetry", "status")
	if !strings.Contains(st.stdout, "Queued for upload: 1 invocation(s)") {
		t.Errorf("status does not show the queue:\n%s", st.stdout)
	}
	r := u.run("", nil, "telemetry", "disable")
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted") {
		t.Errorf("disable: %+v", r)
	}
	if files := u.spoolFiles(); len(files) != 0 {
		t.Errorf("spool after disable = %v", files)
	}
}

// A cloned repository's .telemetry saying yes is its author's choice, not
// the user's: the first run shows the notice and sends nothing, and later
// spans say the consent is implicit.
func TestE2EProjectYesIsNotTheUsersConsent(t *testing.T) {
	u := newUser(t, "")
	u.newProject("proj", "--telemetry", "yes")
	r := u.run("proj", nil, "info")
	if !strings.Contains(r.stderr, "pipectl collects anonymous usage data") {
		t.Fatalf("no notice in a project that says yes: %+v", r)
	}
	u.quiet(0)
	u.run("proj", nil, "info")
	if s := u.waitSpans(1)[0]; s.Attributes["cli.consent"] != "implicit" {
		t.Errorf("cli.consent = %v, want implicit", s.Attributes["cli.consent"])
	}
}
