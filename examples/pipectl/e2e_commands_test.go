package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestE2ENoTelemetryBuild(t *testing.T) {
	u := newUser(t, "notelemetry")
	on := newUser(t, "")
	for _, args := range [][]string{{"--version"}, {"info"}, {"new", "--name", "proj"}} {
		r := u.run("", nil, args...)
		ref := on.run("", []string{"DO_NOT_TRACK=1"}, args...)
		if r.code != ref.code || r.stdout != strings.ReplaceAll(ref.stdout, on.work, u.work) || r.stderr != "" {
			t.Errorf("%v: notelemetry build %+v, telemetry build opted out %+v", args, r, ref)
		}
	}
	if r := u.run("", nil, "telemetry", "status"); r.code != 0 || !strings.Contains(r.stdout, "compiled out") {
		t.Errorf("telemetry status: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(u.home, ".config")); !os.IsNotExist(err) {
		t.Errorf("notelemetry build created %s", filepath.Join(u.home, ".config"))
	}
	if _, err := os.Stat(filepath.Join(u.home, ".cache")); !os.IsNotExist(err) {
		t.Errorf("notelemetry build created %s", filepath.Join(u.home, ".cache"))
	}
	u.quiet(0)
	if n := u.sink.Connections(); n != 0 {
		t.Errorf("notelemetry build connected %d time(s)", n)
	}
	// The exporter and the SDK are not linked in at all.
	out, err := exec.Command("go", "tool", "nm", u.bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	withTelemetry, err := exec.Command("go", "tool", "nm", on.bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	// Not even the OpenTelemetry SDK or API, whose package initialisation
	// reads OTEL_* variables and may warn on the terminal.
	for _, pkg := range []string{"anontel/exporter.", "anontel/processor.", "anontel/identity.UserID",
		"anontel/internal/spool.", "go.opentelemetry.io/"} {
		if bytes.Contains(out, []byte(pkg)) {
			t.Errorf("notelemetry binary contains %s", pkg)
		}
		if !bytes.Contains(withTelemetry, []byte(pkg)) {
			t.Errorf("the check is void: the telemetry build has no %s either", pkg)
		}
	}
	// The telemetry build has no protobuf runtime either (see
	// TestDefaultBuildHasNoProtobuf).
	for _, pkg := range noProtobuf {
		if bytes.Contains(withTelemetry, []byte(pkg)) {
			t.Errorf("the telemetry binary contains %s", pkg)
		}
	}
	// Nor code that cost size for little (the README's Cost section): a gzip
	// writer (41 KB; requests go uncompressed) and go-toml's encoder (94
	// KB; tomledit quotes the two kinds of value it writes).
	for _, sym := range []string{"compress/gzip.(*Writer)", "go-toml/v2.(*Encoder)"} {
		if bytes.Contains(withTelemetry, []byte(sym)) {
			t.Errorf("the telemetry binary contains %s", sym)
		}
	}
}

// noProtobuf are the packages a tool must not link: the protobuf runtime,
// whose package initialisation cost every command 1.5-2 ms (one of them
// reads the executable), the generated OTLP types that need it, and the
// SDK's OTLP exporters built on them. internal/otlpwire writes the wire
// format instead.
var noProtobuf = []string{"google.golang.org/protobuf/", "go.opentelemetry.io/proto/", "go.opentelemetry.io/otel/exporters/"}

// TestDefaultBuildHasNoProtobuf: no package a tool or a program with its
// own provider imports from this module depends on noProtobuf, in either
// build.
func TestDefaultBuildHasNoProtobuf(t *testing.T) {
	for _, tags := range []string{"", "notelemetry"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", tags, ".", "../stdflag",
			"../../instrument/...", "../../exporter/...", "../../processor/...", "../../consent/...", "../../identity/...")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		if !bytes.Contains(out, []byte("go.opentelemetry.io/otel/sdk/trace\n")) && tags == "" {
			t.Fatalf("the check is void: the list lacks the SDK:\n%s", out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			for _, bad := range noProtobuf {
				if strings.HasPrefix(pkg, bad) {
					t.Errorf("tags %q: depends on %s", tags, pkg)
				}
			}
		}
	}
}

func TestE2ETelemetryCommand(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	st := u.run("", nil, "telemetry", "status")
	for _, want := range []string{"Telemetry: on (by default)", "Decided by: default", u.config, "Queued for upload", "PIPECTL_DISABLE_TELEMETRY"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.stdout)
		}
	}
	u.waitSpans(1)
	if r := u.run("", nil, "telemetry", "disable"); r.code != 0 || !strings.Contains(r.stdout, "disabled") {
		t.Fatalf("disable: %+v", r)
	}
	u.quiet(1) // the disable command itself is not sent: consent changed while it ran
	st = u.run("", nil, "telemetry", "status")
	if !strings.Contains(st.stdout, "Telemetry: off") || !strings.Contains(st.stdout, "Decided by: user") {
		t.Errorf("status after disable:\n%s", st.stdout)
	}
	st = u.run("", []string{"DO_NOT_TRACK=1"}, "telemetry", "enable")
	if !strings.Contains(st.stdout, "stays off") {
		t.Errorf("enable under DO_NOT_TRACK should say it stays off:\n%s", st.stdout)
	}
	u.quiet(1)
}

func TestE2EDebugPrintsAndSendsNothing(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	r := u.run("", []string{"PIPECTL_TELEMETRY_DEBUG=1"}, "run", "--pipeline", "secret-pipe")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (outside a project)", r.code)
	}
	for _, want := range []string{`"resourceSpans"`, `"pipectl run"`, `"pipectl run --pipeline *****"`, `"enduser.pseudo.id"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("debug output lacks %s:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "secret-pipe") && !strings.HasPrefix(r.stderr, "Error") {
		// The tool's own error line quotes it; the JSON must not.
		if i := strings.Index(r.stderr, `"resourceSpans"`); strings.Contains(r.stderr[i:], "secret-pipe") {
			t.Errorf("debug JSON contains the raw value")
		}
	}
	if r.stdout != "" {
		t.Errorf("debug output went to stdout: %q", r.stdout)
	}
	off := u.run("", []string{"PIPECTL_TELEMETRY_DEBUG=1", "DO_NOT_TRACK=1"}, "info")
	if !strings.Contains(off.stderr, "telemetry: nothing would be sent (DO_NOT_TRACK is set)") {
		t.Errorf("debug with consent off: %q", off.stderr)
	}
	u.quiet(0)
	if files := u.spoolFiles(); len(files) != 0 {
		t.Errorf("debug mode spooled %v", files)
	}
}

func TestE2EUsageErrorsAreRecordedMasked(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	cases := []struct {
		args     []string
		wantLine string
		secrets  []string
	}{
		{[]string{"run", "--api-key=sk-live-4f9a"}, "pipectl run *****", []string{"sk-live-4f9a", "api-key"}},
		{[]string{"frobnicate", "topsecretword"}, "pipectl ***** *****", []string{"frobnicate", "topsecretword"}},
		{[]string{"run", "--runner", "warp-speed-secret"}, "pipectl run --runner *****", []string{"warp-speed-secret"}},
		{[]string{"new", "--name", "x", "--tools", "lint,hidden-tool-secret"}, "pipectl new --name ***** --tools lint,*****", []string{"hidden-tool-secret"}},
		{[]string{"--help", "password123"}, "pipectl --help *****", []string{"password123"}},
	}
	for i, tc := range cases {
		r := u.run("", nil, tc.args...)
		if r.code != 1 && tc.args[0] != "--help" {
			t.Errorf("%v: exit %d", tc.args, r.code)
		}
		s := u.waitSpans(i + 1)[i]
		if s.Attributes["process.command_line"] != tc.wantLine {
			t.Errorf("%v: command line %q, want %q", tc.args, s.Attributes["process.command_line"], tc.wantLine)
		}
		if r.code == 1 && (s.StatusCode.String() != "STATUS_CODE_ERROR" || s.Attributes["error.type"] == nil || s.Attributes["process.exit.code"] != int64(1)) {
			t.Errorf("%v: status %v error.type %v exit %v", tc.args, s.StatusCode, s.Attributes["error.type"], s.Attributes["process.exit.code"])
		}
		for _, secret := range tc.secrets {
			for _, body := range u.sink.Bodies() {
				if bytes.Contains(body, []byte(secret)) {
					t.Errorf("%v: %q was sent", tc.args, secret)
				}
			}
		}
	}
}
