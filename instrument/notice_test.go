//go:build !notelemetry

package instrument

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstRunShowsNoticeAndSendsNothing(t *testing.T) {
	home(t)
	lookup := env("TOOL_TELEMETRY_DEBUG", "1")
	var first bytes.Buffer
	// Debug mode does not remember the notice: a real first run does.
	Start(testConfig([]string{"run"}, &first, lookup))
	if !strings.Contains(first.String(), "tool collects anonymous usage data") {
		t.Errorf("debug first run: %q", first.String())
	}
	first.Reset()
	lookup = env()
	tel := Start(testConfig([]string{"run"}, &first, lookup))
	if tel.Recording() {
		t.Error("first run records")
	}
	tel.Begin(context.Background()).End(0, nil)
	tel.Shutdown()
	if !strings.Contains(first.String(), "tool collects anonymous usage data") ||
		!strings.Contains(first.String(), "run 'tool telemetry disable'") ||
		!strings.Contains(first.String(), "TOOL_DISABLE_TELEMETRY=1") {
		t.Errorf("notice = %q", first.String())
	}
	if strings.Contains(first.String(), "resourceSpans") {
		t.Errorf("first run printed a span")
	}
	var second bytes.Buffer
	tel = Start(testConfig([]string{"run"}, &second, env("TOOL_TELEMETRY_DEBUG", "1")))
	tel.Begin(context.Background()).End(0, nil)
	tel.Shutdown()
	if strings.Contains(second.String(), "anonymous usage data") || !tel.Recording() && !strings.Contains(second.String(), "resourceSpans") {
		t.Errorf("second run: %q", second.String())
	}
	if len(debugSpans(t, second.String())) != 1 {
		t.Errorf("second run did not record one span")
	}
}

func TestNoticeOnlyNamesCommandsTheToolHas(t *testing.T) {
	home(t)
	var stderr bytes.Buffer
	cfg := testConfig(nil, &stderr, env())
	cfg.Root = Command{}
	Start(cfg)
	if strings.Contains(stderr.String(), "telemetry disable") || !strings.Contains(stderr.String(), "TOOL_DISABLE_TELEMETRY=1") {
		t.Errorf("notice of a tool without a telemetry command: %q", stderr.String())
	}
}

func TestTelemetryCommandIsNotAnsweredWithTheNotice(t *testing.T) {
	home(t)
	var stderr bytes.Buffer
	Start(testConfig([]string{"telemetry", "status"}, &stderr, env()))
	if stderr.Len() != 0 {
		t.Errorf("telemetry status printed %q", stderr.String())
	}
}

func TestNoticeThatCannotBeRememberedIsNotShown(t *testing.T) {
	dir := home(t)
	// The config folder's parent is a file: nothing can be saved.
	os.WriteFile(filepath.Join(dir, "config"), []byte("x"), 0o600)
	for i := 0; i < 2; i++ {
		var stderr bytes.Buffer
		tel := Start(testConfig([]string{"run"}, &stderr, env()))
		if stderr.Len() != 0 || tel.Recording() {
			t.Errorf("run %d: printed %q, recording %v", i, stderr.String(), tel.Recording())
		}
		tel.Shutdown()
	}
}

// A run that started before another run recorded the notice sends nothing:
// it began before the user could have read the notice.
func TestStartedBeforeTheNoticeSendsNothing(t *testing.T) {
	home(t)
	early := newTelemetry(testConfig([]string{"run"}, &bytes.Buffer{}, env()))
	early.decide()
	var stderr bytes.Buffer
	Start(testConfig([]string{"run"}, &stderr, env())) // records the notice
	if !strings.Contains(stderr.String(), "anonymous usage data") {
		t.Fatalf("no notice: %q", stderr.String())
	}
	if early.noticeShown() {
		t.Error("a run that started before the notice counts it as shown")
	}
	later := newTelemetry(testConfig([]string{"run"}, &bytes.Buffer{}, env()))
	later.decide()
	if !later.noticeShown() {
		t.Error("a run that started after the notice does not count it")
	}
}

// telemetry status never prints credentials that an endpoint URL carries.
func TestStatusRedactsEndpointCredentials(t *testing.T) {
	home(t)
	for _, lookup := range []func(string) (string, bool){
		env(),
		env("TOOL_TELEMETRY_ENDPOINT", "https://team:t0ken-s3cret@collector.example.org/otel"),
	} {
		cfg := testConfig(nil, &bytes.Buffer{}, lookup)
		cfg.Endpoint = "https://vendor:v3ndor-s3cret@telemetry.example.com"
		var out bytes.Buffer
		if err := Start(cfg).WriteStatus(&out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "s3cret") || strings.Contains(out.String(), "@") {
			t.Errorf("status:\n%s", out.String())
		}
	}
}

// A user who follows the notice's advice before any real run sees a span,
// and debug mode still writes nothing.
func TestDebugOnTheFirstRunShowsWhatLaterRunsSend(t *testing.T) {
	dir := home(t)
	var stderr bytes.Buffer
	tel := Start(testConfig([]string{"run"}, &stderr, env("TOOL_TELEMETRY_DEBUG", "1")))
	tel.Begin(context.Background()).End(0, nil)
	tel.Shutdown()
	if !strings.Contains(stderr.String(), "anonymous usage data") || len(debugSpans(t, stderr.String())) != 1 {
		t.Errorf("debug first run:\n%s", stderr.String())
	}
	if got := files(dir); len(got) != 0 {
		t.Errorf("debug mode wrote %v", got)
	}
}

// status says why nothing is recorded when a folder above the spool is not
// ours.
func TestStatusNamesARefusedCacheFolder(t *testing.T) {
	dir := home(t)
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(dir, "cache", "tool")); err != nil {
		t.Skip(err)
	}
	var out bytes.Buffer
	if err := Start(testConfig(nil, &bytes.Buffer{}, env())).WriteStatus(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "refused, so nothing is recorded") || !strings.Contains(out.String(), "symbolic link") {
		t.Errorf("status:\n%s", out.String())
	}
}
