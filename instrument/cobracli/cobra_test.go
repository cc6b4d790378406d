//go:build !notelemetry

package cobracli

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"io/fs"
	"path/filepath"

	"github.com/anontel/anontel/instrument"
	"github.com/anontel/anontel/internal/otlpsink"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

func cobraRoot(out *bytes.Buffer) *cobra.Command {
	root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true}
	root.PersistentFlags().StringP("config", "c", "", "config file")
	run := &cobra.Command{
		Use:     "run",
		Aliases: []string{"r"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			out.WriteString("ran\n")
			if p, _ := cmd.Flags().GetString("pipeline"); p != "ok" {
				return errors.New("pipeline " + p + " not found")
			}
			return nil
		},
	}
	run.Flags().StringP("pipeline", "p", "", "pipeline")
	run.Flags().String("runner", "sequential", "runner")
	run.Flags().StringSlice("tools", nil, "tools")
	run.Flags().Bool("async", false, "async")
	AllowValues(run.Flags(), "runner", "sequential", "parallel")
	AllowListValues(run.Flags(), "tools", "lint", "test")
	root.AddCommand(run, TelemetryCommand())
	return root
}

func TestCobraTree(t *testing.T) {
	got := Tree(cobraRoot(&bytes.Buffer{}))
	find := func(c instrument.Command, name string) instrument.Command {
		for _, sub := range c.Commands {
			if sub.Name == name {
				return sub
			}
		}
		t.Fatalf("%s has no command %s", c.Name, name)
		return instrument.Command{}
	}
	flag := func(c instrument.Command, name string) instrument.Flag {
		for _, f := range c.Flags {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("%s has no flag %s", c.Name, name)
		return instrument.Flag{}
	}
	if want := (instrument.Flag{Name: "config", Shorthand: "c", TakesValue: true, Persistent: true}); !reflect.DeepEqual(flag(got, "config"), want) {
		t.Errorf("config flag = %+v", flag(got, "config"))
	}
	run := find(got, "run")
	if !reflect.DeepEqual(run.Aliases, []string{"r"}) {
		t.Errorf("aliases %v", run.Aliases)
	}
	tests := map[string]instrument.Flag{
		"pipeline": {Name: "pipeline", Shorthand: "p", TakesValue: true},
		"runner":   {Name: "runner", TakesValue: true, Allowed: []string{"sequential", "parallel"}},
		"tools":    {Name: "tools", TakesValue: true, List: true, Allowed: []string{"lint", "test"}},
		"async":    {Name: "async"},
		"help":     {Name: "help", Shorthand: "h"},
	}
	for name, want := range tests {
		if got := flag(run, name); !reflect.DeepEqual(got, want) {
			t.Errorf("flag %s = %+v, want %+v", name, got, want)
		}
	}
	find(got, "help") // cobra's implicit help command is a known word
	find(find(got, "telemetry"), "status")
}

func TestExecuteCobra(t *testing.T) {
	tests := []struct {
		args     []string
		wantErr  bool
		wantOut  string
		wantLine string
		wantName string
	}{
		{[]string{"run", "-p", "ok", "--runner", "parallel"}, false, "ran\n", "tool run -p ***** --runner parallel", "tool run"},
		{[]string{"r", "--pipeline=secret-pipe", "--tools", "lint,secret-tool"}, true, "ran\n", "tool r --pipeline ***** --tools lint,*****", "tool run"},
		{[]string{"run", "--unknown-flag=secret-value"}, true, "", "tool run *****", "tool run"},
		{[]string{"secret-command", "x"}, true, "", "tool ***** *****", "tool"},
	}
	for _, tc := range tests {
		noticeShown(t, home(t))
		// Not the first run: no notice, the span is recorded.
		var stderr bytes.Buffer

		var out bytes.Buffer
		root := cobraRoot(&out)
		cfg := testConfig(tc.args, &stderr, env("TOOL_TELEMETRY_DEBUG", "1"))
		cfg.Root = Tree(root)
		tel := instrument.Start(cfg)
		err := Execute(tel, root)
		tel.Shutdown()
		if (err != nil) != tc.wantErr || out.String() != tc.wantOut {
			t.Errorf("%v: err %v, out %q", tc.args, err, out.String())
		}
		spans := debugSpans(t, stderr.String())
		if len(spans) != 1 {
			t.Fatalf("%v: %d spans", tc.args, len(spans))
		}
		s := spans[0]
		if s.Name != tc.wantName || s.Attributes["process.command_line"] != tc.wantLine {
			t.Errorf("%v: span %q line %q", tc.args, s.Name, s.Attributes["process.command_line"])
		}
		if code := s.Attributes["process.exit.code"]; (code == int64(1)) != tc.wantErr {
			t.Errorf("%v: exit code %v", tc.args, code)
		}
		for _, secret := range []string{"secret-pipe", "secret-tool", "secret-value", "secret-command", "unknown-flag"} {
			if i := strings.Index(stderr.String(), "{"); strings.Contains(stderr.String()[i:], secret) {
				t.Errorf("%v: debug output carries %q", tc.args, secret)
			}
		}
	}
}

func TestTelemetryCommandChangesConsentAtOnce(t *testing.T) {
	dir := home(t)
	noticeShown(t, dir)
	var stderr bytes.Buffer
	var out bytes.Buffer
	root := cobraRoot(&out)
	root.SetOut(&out)
	cfg := testConfig([]string{"telemetry", "disable"}, &stderr, env())
	cfg.Root = Tree(root)
	tel := instrument.Start(cfg)
	if !tel.Recording() {
		t.Fatal("not recording before disable")
	}
	if err := Execute(tel, root); err != nil {
		t.Fatal(err)
	}
	if tel.Recording() || tel.Decision().Enabled {
		t.Errorf("still recording after disable")
	}
	tel.Shutdown()
	if !strings.Contains(out.String(), "Telemetry disabled for this user") {
		t.Errorf("disable printed %q", out.String())
	}
	for _, f := range files(dir) {
		if strings.HasSuffix(f, ".otlp") {
			t.Errorf("the disable command's own span was spooled: %s", f)
		}
		if strings.HasSuffix(f, "telemetry.toml") {
			if data, _ := os.ReadFile(f); strings.Contains(string(data), "uuid") {
				t.Errorf("telemetry disable made a user id:\n%s", data)
			}
		}
	}
	out.Reset()
	root = cobraRoot(&out)
	root.SetOut(&out)
	cfg.Args = []string{"telemetry", "status"}
	cfg.Root = Tree(root)
	tel = instrument.Start(cfg)
	if err := Execute(tel, root); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Telemetry: off") || !strings.Contains(out.String(), "Decided by: user") {
		t.Errorf("status after disable:\n%s", out.String())
	}
}

// home points the user folders at a fresh temporary folder.
func home(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	return dir
}

// env is a LookupEnv over a fixed map.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func testConfig(args []string, stderr *bytes.Buffer, lookup func(string) (string, bool)) instrument.Config {
	return instrument.Config{
		Tool:      "tool",
		Version:   "1.2.3",
		Endpoint:  "http://127.0.0.1:9",
		Args:      args,
		Stderr:    stderr,
		LookupEnv: lookup,
	}
}

// debugSpans decodes the OTLP JSON that debug mode prints.
func debugSpans(t *testing.T, out string) []otlpsink.Span {
	t.Helper()
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("no JSON in debug output %q", out)
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := protojson.Unmarshal([]byte(out[i:]), &req); err != nil {
		t.Fatalf("debug output is not OTLP JSON: %v\n%s", err, out)
	}
	return otlpsink.Flatten(&req)
}

// files lists everything below dir.
func files(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// noticeShown records that the notice was shown long ago, as an earlier
// command would have.
func noticeShown(t *testing.T, home string) {
	t.Helper()
	dir := filepath.Join(home, "config", "tool")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "telemetry.toml"), []byte("[telemetry]\nnotice_shown = \"2026-01-01\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
