//go:build !notelemetry

package instrument

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/processor/mask"
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
	got := CobraTree(cobraRoot(&bytes.Buffer{}))
	find := func(c mask.Command, name string) mask.Command {
		for _, sub := range c.Commands {
			if sub.Name == name {
				return sub
			}
		}
		t.Fatalf("%s has no command %s", c.Name, name)
		return mask.Command{}
	}
	flag := func(c mask.Command, name string) mask.Flag {
		for _, f := range c.Flags {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("%s has no flag %s", c.Name, name)
		return mask.Flag{}
	}
	if want := (mask.Flag{Name: "config", Shorthand: "c", TakesValue: true, Persistent: true}); !reflect.DeepEqual(flag(got, "config"), want) {
		t.Errorf("config flag = %+v", flag(got, "config"))
	}
	run := find(got, "run")
	if !reflect.DeepEqual(run.Aliases, []string{"r"}) {
		t.Errorf("aliases %v", run.Aliases)
	}
	tests := map[string]mask.Flag{
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
		home(t)
		// Not the first run: no notice, the span is recorded.
		var stderr bytes.Buffer
		Start(testConfig(nil, &stderr, env()))
		stderr.Reset()

		var out bytes.Buffer
		root := cobraRoot(&out)
		cfg := testConfig(tc.args, &stderr, env("TOOL_TELEMETRY_DEBUG", "1"))
		cfg.Commands = CobraTree(root)
		tel := Start(cfg)
		err := tel.ExecuteCobra(root)
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
	var stderr bytes.Buffer
	Start(testConfig(nil, &stderr, env())) // first run, notice
	var out bytes.Buffer
	root := cobraRoot(&out)
	root.SetOut(&out)
	cfg := testConfig([]string{"telemetry", "disable"}, &stderr, env())
	cfg.Commands = CobraTree(root)
	tel := Start(cfg)
	if !tel.Recording() {
		t.Fatal("not recording before disable")
	}
	if err := tel.ExecuteCobra(root); err != nil {
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
	cfg.Commands = CobraTree(root)
	tel = Start(cfg)
	if err := tel.ExecuteCobra(root); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Telemetry: off") || !strings.Contains(out.String(), "Decided by: user") {
		t.Errorf("status after disable:\n%s", out.String())
	}
}
