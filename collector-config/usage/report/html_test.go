package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/collector-config/usage/report"
)

// chromium finds Debian's chromium. Without it the test is skipped, except
// in CI (CI=true), where .ci/run installs it and its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): the HTML report is not opened in a browser")
	return ""
}

// headless runs chromium on a local page with the project's flags, no
// network at all (every host name fails to resolve), and logging on stderr,
// where console messages appear as lines with "CONSOLE".
func headless(t *testing.T, bin, page string, args ...string) (stdout, stderr string) {
	t.Helper()
	// A browser that fails to start (on a busy machine its zygote can fail
	// to fork) is given a second chance; the page is the same.
	for attempt := 1; ; attempt++ {
		stdout, stderr, err := headlessOnce(t, bin, page, args...)
		if err == nil {
			return stdout, stderr
		}
		if attempt == 2 {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr)
		}
		t.Logf("chromium %v failed (%v); trying again", args, err)
	}
}

func headlessOnce(t *testing.T, bin, page string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--hide-scrollbars"}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	err = cmd.Run()
	return out.String(), errb.String(), err
}

var consoleLine = regexp.MustCompile(`(?m)^.*CONSOLE.*$`)

// consoleMessages are the page's console messages in chromium's log.
func consoleMessages(stderr string) []string { return consoleLine.FindAllString(stderr, -1) }

func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()

	// The detector works: a page that logs an error is caught.
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><html><body><script>console.error("broken page")</script></body></html>`), 0o644)
	if _, stderr := headless(t, bin, bad, "--dump-dom"); !strings.Contains(strings.Join(consoleMessages(stderr), "\n"), "broken page") {
		t.Fatalf("a console error was not seen in chromium's log, so its absence would prove nothing:\n%s", stderr)
	}

	db, _ := demoDB(t)
	r, err := report.Build(context.Background(), db.DB, report.Options{Tool: "pipectl"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(f, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.Close()

	dom, stderr := headless(t, bin, path, "--dump-dom")
	if msgs := consoleMessages(stderr); len(msgs) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(msgs, "\n"))
	}
	if n := strings.Count(dom, "<svg"); n != 4 {
		t.Errorf("the rendered page has %d charts, want 4", n)
	}
	if n, want := strings.Count(dom, "<table"), len(r.Tables()); n < want-1 {
		t.Errorf("the rendered page has %d tables, want about %d", n, want)
	}
	for _, want := range []string{"Usage report: pipectl", "Commands", "pipeline create", "Retention"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}

	shot := filepath.Join(dir, "report.png")
	if p := os.Getenv("USAGE_SCREENSHOT"); p != "" {
		shot = p // make the README's picture: USAGE_SCREENSHOT=$PWD/docs/report.png
	}
	_, stderr = headless(t, bin, path, "--screenshot="+shot, "--window-size=1250,1100")
	if msgs := consoleMessages(stderr); len(msgs) > 0 {
		t.Errorf("console messages while taking the screenshot:\n%s", strings.Join(msgs, "\n"))
	}
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("no screenshot: %v", err)
	}
}

// TestHTMLEscapesSpanValues: every value in the page comes from spans that
// anyone can send; none may become markup, in tables or in charts.
func TestHTMLEscapesSpanValues(t *testing.T) {
	evil := `<img src=x onerror=alert(1)>`
	r := &report.Report{
		Tool:     evil,
		Commands: []report.Command{{Command: evil, Invocations: 2, Users: 1}},
		Versions: []report.VersionWeek{{Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Version: evil, Users: 1, Share: 1}},
		Weekly:   []report.Week{{Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Users: 1}},
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b, time.Now()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), evil) {
		t.Errorf("a span value was written into the page unescaped")
	}
	if !strings.Contains(b.String(), "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the escaped value is missing from the page")
	}
	for _, forbidden := range []string{"<script", "http://", "https://", "@import", "url("} {
		s := strings.ReplaceAll(b.String(), `xmlns="http://www.w3.org/2000/svg"`, "")
		s = strings.ReplaceAll(s, `xmlns:xlink="http://www.w3.org/1999/xlink"`, "")
		if strings.Contains(s, forbidden) {
			t.Errorf("the page contains %q: it must work offline and run no script", forbidden)
		}
	}
}
