package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/otlpsink"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"greet", "-name", "Ada"}, 0, "hello, Ada\n"},
		{[]string{"greet", "-name=Ada", "-loud"}, 0, "HELLO, ADA\n"},
		{[]string{"greet", "-nope"}, 2, ""},
		{[]string{"wave"}, 2, ""},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code, _ := run(tc.args, &stdout, &stderr)
		if code != tc.wantCode || stdout.String() != tc.wantOut {
			t.Errorf("run(%q) = %d, %q; want %d, %q", tc.args, code, stdout.String(), tc.wantCode, tc.wantOut)
		}
	}
}

// TestTelemetry runs the built tool as a user would: the first run shows the
// notice, the second sends a span with the name masked.
func TestTelemetry(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "stdflag")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sink, err := otlpsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"STDFLAG_TELEMETRY_ENDPOINT=" + sink.URL,
		"STDFLAG_TELEMETRY_UPLOAD_INTERVAL=0", // an uploader per command: the test waits for each span
	}
	runBin := func(args ...string) (string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		return stdout.String(), stderr.String()
	}
	_, notice := runBin("greet", "-name", "Ada")
	if !strings.Contains(notice, "STDFLAG_DISABLE_TELEMETRY=1") || strings.Contains(notice, "telemetry disable") {
		t.Errorf("notice = %q (stdflag has no telemetry command to name)", notice)
	}
	out, errOut := runBin("greet", "-name", "Ada", "-loud")
	if out != "HELLO, ADA\n" || errOut != "" {
		t.Errorf("second run: %q %q", out, errOut)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(sink.Spans()) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	spans := sink.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	if s := spans[0]; s.Name != "stdflag greet" || s.Attributes["process.command_line"] != "stdflag greet -name ***** -loud" {
		t.Errorf("span %q, line %q", s.Name, s.Attributes["process.command_line"])
	}
	for _, body := range sink.Bodies() {
		if bytes.Contains(body, []byte("Ada")) {
			t.Errorf("the name was sent")
		}
	}
}
