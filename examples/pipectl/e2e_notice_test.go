package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestE2ENotice(t *testing.T) {
	u := newUser(t, "")
	quietRun := u.run("", []string{"DO_NOT_TRACK=1"}, "--version")
	first := u.run("", nil, "--version")
	if !strings.Contains(first.stderr, "PIPECTL_DISABLE_TELEMETRY") || !strings.Contains(first.stderr, "telemetry disable") {
		t.Errorf("first run's notice does not say how to opt out: %q", first.stderr)
	}
	if first.stdout != quietRun.stdout {
		t.Errorf("stdout differs with telemetry on: %q vs %q", first.stdout, quietRun.stdout)
	}
	u.quiet(0) // the first run sends nothing
	second := u.run("", nil, "--version")
	if second.stderr != "" || second.stdout != quietRun.stdout {
		t.Errorf("second run: %+v", second)
	}
	u.waitSpans(1)

	// Explicit consent: never a notice, and the span says explicit.
	v := newUser(t, "")
	if r := v.run("", nil, "telemetry", "enable"); r.code != 0 || strings.Contains(r.stderr, "anonymous usage data") {
		t.Fatalf("enable: %+v", r)
	}
	r := v.run("", nil, "info")
	if strings.Contains(r.stderr, "anonymous usage data") {
		t.Errorf("notice shown with explicit consent")
	}
	if s := v.waitSpans(1); s[len(s)-1].Attributes["cli.consent"] != "explicit" {
		t.Errorf("cli.consent = %v", s[len(s)-1].Attributes["cli.consent"])
	}
}

func TestE2ENewTelemetryNoStillSendsTheNewSpan(t *testing.T) {
	u := newUser(t, "")
	u.firstRun()
	if r := u.run("", nil, "new", "--name", "quiet", "--telemetry=no"); r.code != 0 {
		t.Fatalf("new: %+v", r)
	}
	spans := u.waitSpans(1)
	if spans[0].Name != "pipectl new" || spans[0].Attributes["process.command_line"] != "pipectl new --name ***** --telemetry no" {
		t.Errorf("new span: %q %v", spans[0].Name, spans[0].Attributes["process.command_line"])
	}
	data, err := os.ReadFile(filepath.Join(u.work, "quiet", ".telemetry"))
	if err != nil || strings.TrimSpace(string(data)) != "consent: false" {
		t.Fatalf(".telemetry = %q, %v", data, err)
	}
	gi, _ := os.ReadFile(filepath.Join(u.work, "quiet", ".gitignore"))
	if !slices.Contains(strings.Split(string(gi), "\n"), ".telemetry") {
		t.Errorf(".gitignore does not list .telemetry: %q", gi)
	}
	pyBefore, _ := os.ReadFile(filepath.Join(u.work, "quiet", "pyproject.toml"))
	u.run("quiet", nil, "info")
	u.run("quiet", nil, "catalog", "list")
	u.quiet(1)
	pyAfter, _ := os.ReadFile(filepath.Join(u.work, "quiet", "pyproject.toml"))
	if !bytes.Equal(pyBefore, pyAfter) {
		t.Errorf("pyproject.toml changed in a project without consent")
	}
	// Outside that project, telemetry is on again.
	u.run("", nil, "info")
	u.waitSpans(2)
}
