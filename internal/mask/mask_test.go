package mask

import (
	"slices"
	"strings"
	"testing"
)

// testTree is a small cobra-like tool used by all tests of this package.
func testTree() Command {
	return Command{
		Name: "pipectl",
		Flags: []Flag{
			{Name: "verbose", Shorthand: "v", Persistent: true},
			{Name: "config", Shorthand: "c", TakesValue: true, Persistent: true},
			{Name: "log-format", TakesValue: true, Allowed: []string{"json", "text"}, Persistent: true},
		},
		Commands: []Command{
			{Name: "info"},
			{Name: "run", Aliases: []string{"r"}, Flags: []Flag{
				{Name: "pipeline", Shorthand: "p", TakesValue: true},
				{Name: "env", Shorthand: "e", TakesValue: true},
				{Name: "params", TakesValue: true},
				{Name: "runner", TakesValue: true, Allowed: []string{"sequential", "parallel"}},
				{Name: "tags", Shorthand: "t", TakesValue: true, List: true, Allowed: []string{"lint", "test"}},
				{Name: "dry-run", Shorthand: "d"},
				{Name: "async", Shorthand: "a"},
			}},
			{Name: "pipeline", Commands: []Command{
				{Name: "create", Flags: []Flag{{Name: "skip-config", Shorthand: "s"}}},
				{Name: "delete"},
			}},
			{Name: "new", Flags: []Flag{
				{Name: "starter", TakesValue: true, Allowed: []string{"spaceflights-pandas", "astro-airflow-iris"}},
				{Name: "name", TakesValue: true},
				{Name: "telemetry", TakesValue: true, Allowed: []string{"yes", "no"}},
			}},
		},
	}
}

func TestMaskerMask(t *testing.T) {
	m := New(testTree())
	tests := []struct {
		name    string
		in      string // split on " "; "" is no arguments
		args    []string
		line    string
		path    string
		secrets []string // nil: not checked
	}{
		// Kedro's published examples, prefixed by the root name.
		{name: "kedro info", in: "info", line: "pipectl info", path: "pipectl info", secrets: []string{}},
		{name: "kedro run --pipeline=", in: "run --pipeline=data_science", line: "pipectl run --pipeline *****", path: "pipectl run",
			secrets: []string{"data_science", "--pipeline=data_science"}},
		{name: "kedro pipeline create", in: "pipeline create mypipeline", line: "pipectl pipeline create *****", path: "pipectl pipeline create",
			secrets: []string{"mypipeline"}},
		{name: "kedro run -p bar", in: "run -p bar", line: "pipectl run -p *****", path: "pipectl run", secrets: []string{"bar"}},
		{name: "kedro params and pipeline", in: "run --params=hello=4 --pipeline=my_pipeline",
			line: "pipectl run --params ***** --pipeline *****", path: "pipectl run"},
		{name: "kedro starter allowed", in: "new --starter=spaceflights-pandas --name=my_project",
			line: "pipectl new --starter spaceflights-pandas --name *****", path: "pipectl new"},

		// Kedro's leaks, closed.
		{name: "--help foo", in: "--help foo", line: "pipectl --help *****", path: "pipectl", secrets: []string{"foo"}},
		{name: "--version secret", in: "--version secret", line: "pipectl --version *****", path: "pipectl"},
		{name: "-h x", in: "-h x", line: "pipectl -h *****", path: "pipectl"},
		{name: "-v secret", in: "-v secret", line: "pipectl -v *****", path: "pipectl"},
		{name: "help flag then command", in: "--help run", line: "pipectl --help run", path: "pipectl run"},
		{name: "first word unknown flag", in: "--token s3cr3t", line: "pipectl ***** *****", path: "pipectl"},
		{name: "first word flag of subcommand", in: "--pipeline x run", line: "pipectl --pipeline ***** run", path: "pipectl run"},
		{name: "unknown top-level command masks everything", in: "foo run --pipeline x -p y",
			line: "pipectl ***** ***** ***** ***** ***** *****", path: "pipectl"},
		{name: "root flag kept after unknown command", in: "foo --verbose", line: "pipectl ***** --verbose", path: "pipectl"},
		{name: "word known elsewhere in tree", in: "create x", line: "pipectl ***** *****", path: "pipectl"},
		{name: "word known elsewhere below", in: "run create", line: "pipectl run *****", path: "pipectl run"},
		{name: "command word after positional", in: "pipeline foo create", line: "pipectl pipeline ***** *****", path: "pipectl pipeline"},

		// Flag forms.
		{name: "--flag value", in: "run --pipeline secret", line: "pipectl run --pipeline *****", path: "pipectl run"},
		{name: "-f=value", in: "run -p=secret", line: "pipectl run -p *****", path: "pipectl run",
			secrets: []string{"secret", "-p=secret"}},
		{name: "-fvalue", in: "run -psecret", line: "pipectl run -p *****", path: "pipectl run",
			secrets: []string{"secret", "-psecret"}},
		{name: "bools then value -dpvalue", in: "run -dpsecret", line: "pipectl run -dp *****", path: "pipectl run"},
		{name: "bools then value -dp value", in: "run -dp secret", line: "pipectl run -dp *****", path: "pipectl run"},
		{name: "combined bools", in: "run -da x", line: "pipectl run -da *****", path: "pipectl run"},
		{name: "bool consumes no value", in: "run --dry-run secret", line: "pipectl run --dry-run *****", path: "pipectl run"},
		{name: "bool =true kept", in: "run --dry-run=true -d=false", line: "pipectl run --dry-run=true -d=false", path: "pipectl run"},
		{name: "bool =value masked", in: "run --dry-run=s3cret -d=xyz", line: "pipectl run --dry-run ***** -d *****", path: "pipectl run",
			secrets: []string{"s3cret", "--dry-run=s3cret", "xyz", "-d=xyz"}},
		{name: "value looking like a flag is a value", in: "run --pipeline --env", line: "pipectl run --pipeline *****", path: "pipectl run"},
		{name: "value equal to a command name", in: "--config run info", line: "pipectl --config ***** info", path: "pipectl info"},
		{name: "flag without value at end", in: "run --pipeline", line: "pipectl run --pipeline", path: "pipectl run"},
		{name: "-- masks everything after", in: "run -- --pipeline run -v", line: "pipectl run -- ***** ***** *****", path: "pipectl run"},
		{name: "-- before command", in: "-- run", line: "pipectl -- *****", path: "pipectl"},
		{name: "value -- consumed", in: "run -p -- x", line: "pipectl run -p ***** *****", path: "pipectl run"},

		// Unknown flags: masked whole, the name may be the secret.
		{name: "unknown --k=v", in: "run --api-key=XYZ", line: "pipectl run *****", path: "pipectl run",
			secrets: []string{"--api-key=XYZ", "--api-key", "XYZ", "api-key"}},
		{name: "unknown long name", in: "run --sk-live-123", line: "pipectl run *****", path: "pipectl run",
			secrets: []string{"--sk-live-123", "sk-live-123"}},
		{name: "unknown short", in: "run -xyz", line: "pipectl run *****", path: "pipectl run", secrets: []string{"-xyz", "xyz"}},
		{name: "unknown short inside combo", in: "run -dXsecret", line: "pipectl run *****", path: "pipectl run"},
		{name: "unknown flag before command consumes it", in: "--bogus run", line: "pipectl ***** *****", path: "pipectl"},
		{name: "unknown --k=v before command", in: "--api-key=XYZ run -p x", line: "pipectl ***** run -p *****", path: "pipectl run"},
		{name: "dashes only", in: "--=x ---x", line: "pipectl ***** *****", path: "pipectl"},
		{name: "flag of other command", in: "info --pipeline x", line: "pipectl info ***** *****", path: "pipectl info"},

		// Allow-lists.
		{name: "enum allowed", in: "run --runner parallel", line: "pipectl run --runner parallel", path: "pipectl run"},
		{name: "enum allowed =", in: "run --runner=sequential", line: "pipectl run --runner sequential", path: "pipectl run"},
		{name: "enum not allowed", in: "run --runner fast", line: "pipectl run --runner *****", path: "pipectl run"},
		{name: "enum case differs", in: "run --runner Parallel", line: "pipectl run --runner *****", path: "pipectl run"},
		{name: "persistent enum", in: "run --log-format json", line: "pipectl run --log-format json", path: "pipectl run"},
		{name: "list mixed", in: "run --tags=lint,secret", line: "pipectl run --tags lint,*****", path: "pipectl run",
			secrets: []string{"secret", "lint,secret", "--tags=lint,secret"}},
		{name: "list allowed", in: "run -t lint,test", line: "pipectl run -t lint,test", path: "pipectl run", secrets: []string{}},
		{name: "list empty element", in: "run -t lint,", line: "pipectl run -t lint,*****", path: "pipectl run"},
		{name: "allowed value of other flag", in: "run --pipeline parallel", line: "pipectl run --pipeline *****", path: "pipectl run"},
		{name: "allowed value as positional", in: "run parallel", line: "pipectl run *****", path: "pipectl run"},

		// Commands, aliases, persistent flags.
		{name: "alias kept, path canonical", in: "r -p x", line: "pipectl r -p *****", path: "pipectl run"},
		{name: "persistent flag in subcommand", in: "run --config cfg.yaml", line: "pipectl run --config *****", path: "pipectl run"},
		{name: "persistent flag before command", in: "-c x run -v", line: "pipectl -c ***** run -v", path: "pipectl run"},
		{name: "nested command flag", in: "pipeline create -s x", line: "pipectl pipeline create -s *****", path: "pipectl pipeline create"},
		{name: "no args", in: "", line: "pipectl", path: "pipectl"},

		// Odd tokens.
		{name: "mask token is idempotent", in: "***** run -p *****", line: "pipectl ***** run -p *****", path: "pipectl run"},
		{name: "single dash", in: "run -", line: "pipectl run *****", path: "pipectl run"},
		{name: "unicode value", in: "run -p pässwörd --env=日本語", line: "pipectl run -p ***** --env *****", path: "pipectl run",
			secrets: []string{"pässwörd", "日本語", "--env=日本語"}},
		{name: "unicode short flag", in: "run -é", line: "pipectl run *****", path: "pipectl run"},
		{name: "secret with star", in: "run -p a*b*", line: "pipectl run -p *****", path: "pipectl run"},

		// Explicit vectors (tokens with spaces or empty).
		{name: "empty token", args: []string{"run", ""}, line: "pipectl run *****", path: "pipectl run"},
		{name: "token with space", args: []string{"run", "-p", "my secret"}, line: "pipectl run -p *****", path: "pipectl run",
			secrets: []string{"my secret"}},
		{name: "empty token before command", args: []string{"", "run"}, line: "pipectl ***** *****", path: "pipectl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil && tt.in != "" {
				args = strings.Split(tt.in, " ")
			}
			orig := slices.Clone(args)
			got := m.Mask(args)
			if got.Line != tt.line {
				t.Errorf("Line = %q, want %q", got.Line, tt.line)
			}
			if strings.Join(got.Args, " ") != got.Line {
				t.Errorf("Args %q do not join to Line %q", got.Args, got.Line)
			}
			if p := strings.Join(got.Path, " "); p != tt.path {
				t.Errorf("Path = %q, want %q", p, tt.path)
			}
			if tt.secrets != nil && !sameSet(got.Secrets, tt.secrets) {
				t.Errorf("Secrets = %q, want %q", got.Secrets, tt.secrets)
			}
			if !slices.Equal(args, orig) {
				t.Errorf("input changed: %q", args)
			}
			// Masking is idempotent: the processor re-masks what instrument
			// already masked.
			again := m.Mask(got.Args[1:])
			if again.Line != got.Line || !slices.Equal(again.Path, got.Path) {
				t.Errorf("re-masking changed %q (path %q) to %q (path %q)", got.Line, got.Path, again.Line, again.Path)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func TestMaskerTreeDefinesHelpAndShorthand(t *testing.T) {
	// A tree that uses -h for something else, and --version taking a value.
	m := New(Command{Name: "tool", Flags: []Flag{
		{Name: "host", Shorthand: "h", TakesValue: true},
		{Name: "version", TakesValue: true, Allowed: []string{"v1"}},
	}})
	tests := []struct{ in, want string }{
		{"-h example.com", "tool -h *****"},
		{"--help x", "tool --help *****"},
		{"--version v1", "tool --version v1"},
		{"--version v2", "tool --version *****"},
	}
	for _, tt := range tests {
		if got := m.Mask(strings.Split(tt.in, " ")).Line; got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskerMaskArgv(t *testing.T) {
	m := New(testTree())
	tests := []struct {
		name       string
		argv       []string
		line       string
		wantSecret string // "" none expected
	}{
		{"root name dropped", []string{"pipectl", "run", "-p", "x"}, "pipectl run -p *****", ""},
		{"path dropped and secret", []string{"/home/alice/bin/pipectl", "info"}, "pipectl info", "/home/alice/bin/pipectl"},
		{"windows path", []string{`C:\Users\bob\pipectl.exe`, "info"}, "pipectl info", `C:\Users\bob\pipectl.exe`},
		{"exe name", []string{"pipectl.exe", "info"}, "pipectl info", "pipectl.exe"},
		{"no program name", []string{"run", "-p", "x"}, "pipectl run -p *****", ""},
		{"other program", []string{"curl", "run"}, "pipectl ***** *****", "curl"},
		{"empty", nil, "pipectl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.MaskArgv(tt.argv)
			if got.Line != tt.line {
				t.Errorf("Line = %q, want %q", got.Line, tt.line)
			}
			if tt.wantSecret != "" && !slices.Contains(got.Secrets, tt.wantSecret) {
				t.Errorf("Secrets %q lack %q", got.Secrets, tt.wantSecret)
			}
		})
	}
}

func TestMaskerAllowed(t *testing.T) {
	m := New(testTree())
	for _, w := range []string{"pipectl", "run", "r", "create", "--pipeline", "pipeline", "-p", "parallel", "lint", Placeholder, "--", "--help", "-h", "--version", "true"} {
		if !m.Allowed(w) {
			t.Errorf("Allowed(%q) = false", w)
		}
	}
	for _, w := range []string{"", "secret", "-x", "--pipeline=x", "lint,test", "****", "Run"} {
		if m.Allowed(w) {
			t.Errorf("Allowed(%q) = true", w)
		}
	}
}

func TestMaskerNoCommands(t *testing.T) {
	m := New(Command{})
	got := m.Mask([]string{"run", "--x=y", "-p"})
	if got.Line != "***** ***** *****" || len(got.Path) != 1 {
		t.Errorf("got %q path %q", got.Line, got.Path)
	}
}

func TestMaskerSingleDash(t *testing.T) {
	m := New(Command{
		Name:       "stdflag",
		SingleDash: true,
		Commands: []Command{{Name: "greet", Flags: []Flag{
			{Name: "name", TakesValue: true},
			{Name: "mode", TakesValue: true, Allowed: []string{"loud", "soft"}},
			{Name: "loud"},
		}}},
	})
	tests := []struct {
		args    []string
		want    string
		secrets []string
	}{
		{[]string{"greet", "-name", "Ada", "-loud"}, "stdflag greet -name ***** -loud", []string{"Ada"}},
		{[]string{"greet", "-name=Ada"}, "stdflag greet -name *****", []string{"Ada", "-name=Ada"}},
		{[]string{"greet", "--name", "Ada"}, "stdflag greet -name *****", []string{"Ada"}},
		{[]string{"greet", "-mode", "loud"}, "stdflag greet -mode loud", nil},
		{[]string{"greet", "-mode=secret"}, "stdflag greet -mode *****", []string{"secret"}},
		{[]string{"greet", "-token=abc123"}, "stdflag greet *****", []string{"-token=abc123", "abc123"}},
		{[]string{"greet", "-loud=maybe"}, "stdflag greet -loud *****", []string{"maybe"}},
		{[]string{"greet", "-n", "Ada"}, "stdflag greet ***** *****", []string{"-n", "Ada"}},
		{[]string{"secret-cmd", "-name", "x"}, "stdflag ***** ***** *****", []string{"secret-cmd", "-name", "x"}},
	}
	for _, tc := range tests {
		got := m.Mask(tc.args)
		if got.Line != tc.want {
			t.Errorf("Mask(%q).Line = %q, want %q", tc.args, got.Line, tc.want)
		}
		for _, s := range tc.secrets {
			if !slices.Contains(got.Secrets, s) {
				t.Errorf("Mask(%q).Secrets = %q, lacks %q", tc.args, got.Secrets, s)
			}
		}
		for _, a := range tc.args {
			if strings.Contains(got.Line, a) && !m.Allowed(a) && !strings.HasPrefix(a, "-") {
				t.Errorf("Mask(%q) leaks %q", tc.args, a)
			}
		}
		if again := m.Mask(got.Args[1:]); again.Line != got.Line {
			t.Errorf("masking %q again gives %q", got.Line, again.Line)
		}
	}
}
