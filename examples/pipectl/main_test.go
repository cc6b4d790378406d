package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

// pipectl runs the CLI in-process in the working directory and returns its
// exit code, stdout and stderr.
func pipectl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// newExampleProject creates an example project in a temporary folder, makes
// it the working directory and returns its root.
func newExampleProject(t *testing.T) string {
	t.Helper()
	t.Chdir(t.TempDir())
	if code, _, stderr := pipectl(t, "new", "--name", "demo", "--example", "yes"); code != 0 {
		t.Fatalf("new: exit %d: %s", code, stderr)
	}
	root, err := filepath.Abs("demo")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	return root
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

type pyprojectFile struct {
	Project struct {
		Name string `toml:"name"`
	} `toml:"project"`
	Tool struct {
		Pipectl struct {
			PackageName     string   `toml:"package_name"`
			Tools           []string `toml:"tools"`
			ExamplePipeline bool     `toml:"example_pipeline"`
		} `toml:"pipectl"`
	} `toml:"tool"`
}

func TestNewCreatesProject(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		dir         string // project folder relative to the working directory
		wantPackage string
		wantTools   []string
		wantExample bool
		wantFiles   []string
		noFiles     []string
	}{
		{
			name: "defaults", args: []string{"--name", "spaceflights"}, dir: "spaceflights",
			wantPackage: "spaceflights", wantTools: []string{},
			wantFiles: []string{"conf/base/catalog.yml", "conf/base/parameters.yml", "pipelines.yml"},
			noFiles:   []string{"data/01_raw/companies.csv", "tests", "docs"},
		},
		{
			name: "example yes with tools", args: []string{"--name", "My Project", "--tools", "lint,test,data", "--example", "yes"}, dir: "My Project",
			wantPackage: "my_project", wantTools: []string{"lint", "test", "data"}, wantExample: true,
			wantFiles: []string{"data/01_raw/companies.csv", "data/01_raw/shuttles.csv", "tests/test_run.py", "data/02_intermediate/.gitkeep"},
			noFiles:   []string{"docs"},
		},
		{
			name: "example Y, telemetry no, tools reordered and repeated", args: []string{"--name", "p-2", "--tools", "viz, lint,viz", "--example", "Y", "--telemetry", "no"}, dir: "p-2",
			wantPackage: "p_2", wantTools: []string{"lint", "viz"}, wantExample: true,
			wantFiles: []string{"data/01_raw/companies.csv"},
		},
		{
			name: "example n, telemetry YES, all tools", args: []string{"--name", "all_tools", "--tools", "lint,test,log,docs,data,pyspark,viz", "--example", "n", "--telemetry", "YES"}, dir: "all_tools",
			wantPackage: "all_tools", wantTools: project.AllTools,
			wantFiles: []string{"conf/logging.yml", "docs/index.md", "conf/base/spark.yml", "tests/test_run.py"},
			noFiles:   []string{"data/01_raw/companies.csv"},
		},
		{
			name: "directory", args: []string{"--name", "2fast", "--directory", "work/projects", "--example", "no", "--telemetry", "y"}, dir: "work/projects/2fast",
			wantPackage: "_2fast", wantTools: []string{},
		},
		{
			name: "empty tools list", args: []string{"--name", "none", "--tools", ""}, dir: "none",
			wantPackage: "none", wantTools: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, stdout, stderr := pipectl(t, append([]string{"new"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, "Created project") {
				t.Errorf("stdout %q does not report the project", stdout)
			}
			data, err := os.ReadFile(filepath.Join(tt.dir, "pyproject.toml"))
			if err != nil {
				t.Fatal(err)
			}
			var py pyprojectFile
			if err := toml.Unmarshal(data, &py); err != nil {
				t.Fatalf("pyproject.toml does not parse: %v\n%s", err, data)
			}
			want := strings.TrimSuffix(filepath.Base(tt.dir), "/")
			if py.Project.Name != want || py.Tool.Pipectl.PackageName != tt.wantPackage ||
				!slices.Equal(py.Tool.Pipectl.Tools, tt.wantTools) || py.Tool.Pipectl.ExamplePipeline != tt.wantExample {
				t.Errorf("pyproject.toml = %+v, want name %q package %q tools %q example %t", py, want, tt.wantPackage, tt.wantTools, tt.wantExample)
			}
			gi, err := os.ReadFile(filepath.Join(tt.dir, ".gitignore"))
			if err != nil || !slices.Contains(strings.Split(string(gi), "\n"), ".telemetry") {
				t.Errorf(".gitignore does not list .telemetry (err %v):\n%s", err, gi)
			}
			if _, err := os.Stat(filepath.Join(tt.dir, ".telemetry")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf(".telemetry exists (stat err %v); writing it is the telemetry hook's job", err)
			}
			for _, f := range append([]string{"pyproject.toml", "conf/base/catalog.yml", "pipelines.yml"}, tt.wantFiles...) {
				if _, err := os.Stat(filepath.Join(tt.dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			for _, f := range tt.noFiles {
				if _, err := os.Stat(filepath.Join(tt.dir, f)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s exists, want absent", f)
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(tt.dir))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("staging folder %s left behind", e.Name())
				}
			}
			root, err := filepath.Abs(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			datasets, nodes, pipelines, err := project.Stats(root)
			if err != nil {
				t.Fatalf("Stats: %v", err)
			}
			if tt.wantExample != (datasets > 0 && nodes > 0) || pipelines < 1 {
				t.Errorf("Stats = %d datasets, %d nodes, %d pipelines; example %t", datasets, nodes, pipelines, tt.wantExample)
			}
		})
	}
}

func TestNewPassesChoicesToHook(t *testing.T) {
	type call struct {
		dir       string
		telemetry *bool
		tools     []string
		example   bool
	}
	no, yes := false, true
	tests := []struct {
		name string
		args []string
		want call
	}{
		{"telemetry not given", []string{"--name", "p1"}, call{"p1", nil, []string{}, false}},
		{"telemetry no", []string{"--name", "p2", "--telemetry", "n", "--tools", "docs,lint", "--example", "yes"}, call{"p2", &no, []string{"lint", "docs"}, true}},
		{"telemetry yes", []string{"--name", "p3", "--telemetry", "Yes"}, call{"p3", &yes, []string{}, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			var calls []call
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr}
			a.onProjectCreated = func(_ context.Context, dir string, telemetry *bool, tools []string, example bool) error {
				if _, err := os.Stat(filepath.Join(dir, "pyproject.toml")); err != nil {
					t.Errorf("hook called before the project exists: %v", err)
				}
				calls = append(calls, call{dir, telemetry, tools, example})
				return nil
			}
			if code := a.execute(append([]string{"new"}, tt.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if len(calls) != 1 {
				t.Fatalf("hook called %d times, want 1", len(calls))
			}
			got := calls[0]
			if got.dir != tt.want.dir || !slices.Equal(got.tools, tt.want.tools) || got.example != tt.want.example ||
				(got.telemetry == nil) != (tt.want.telemetry == nil) || (got.telemetry != nil && *got.telemetry != *tt.want.telemetry) {
				t.Errorf("hook got %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("hook error fails new", func(t *testing.T) {
		t.Chdir(t.TempDir())
		var stdout, stderr bytes.Buffer
		a := &app{stdout: &stdout, stderr: &stderr}
		a.onProjectCreated = func(context.Context, string, *bool, []string, bool) error { return errors.New("cannot record consent") }
		if code := a.execute([]string{"new", "--name", "pp"}); code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if !strings.Contains(stderr.String(), "Error: cannot record consent") {
			t.Errorf("stderr %q", stderr.String())
		}
	})
}

func TestNewRejectsBadInput(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		existing  string // a non-empty folder created before running
		wantUsage bool
	}{
		{"unknown tool", []string{"--name", "p", "--tools", "lint,kubernetes"}, `unknown tool "kubernetes"`, "", true},
		{"tool all is not a tool", []string{"--name", "p", "--tools", "all"}, `unknown tool "all"`, "", true},
		{"bad example", []string{"--name", "p", "--example", "maybe"}, `"--example"`, "", true},
		{"empty example", []string{"--name", "p", "--example", ""}, `"--example"`, "", true},
		{"bad telemetry", []string{"--name", "p", "--telemetry", "sometimes"}, `"--telemetry"`, "", true},
		{"missing name", []string{"--example", "yes"}, "--name is required", "", true},
		{"name with a slash", []string{"--name", "../p"}, "invalid project name", "", true},
		{"name too short", []string{"--name", "p"}, "invalid project name", "", true},
		{"positional argument", []string{"--name", "pp", "extra"}, "accepts 0 arg(s)", "", true},
		{"non-empty folder", []string{"--name", "taken"}, "already exists and is not empty", "taken", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if tt.existing != "" {
				if err := os.MkdirAll(tt.existing, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(tt.existing, "keep.txt"), []byte("user data"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := pipectl(t, append([]string{"new"}, tt.args...)...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.HasPrefix(stderr, "Error: ") || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q, want Error: ...%s", stderr, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want empty", stdout)
			}
			if got := strings.Contains(stderr, "pipectl --help"); got != tt.wantUsage {
				t.Errorf("usage hint shown = %t, want %t", got, tt.wantUsage)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := []string(nil)
			if tt.existing != "" {
				want = []string{tt.existing}
				if data, _ := os.ReadFile(filepath.Join(tt.existing, "keep.txt")); string(data) != "user data" {
					t.Errorf("existing file changed: %q", data)
				}
				if e, _ := os.ReadDir(tt.existing); len(e) != 1 {
					t.Errorf("existing folder has %d entries, want 1", len(e))
				}
			}
			if !slices.Equal(names, want) {
				t.Errorf("folder holds %q, want %q", names, want)
			}
		})
	}
}

func TestNewIntoEmptyFolder(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("empty-dir", 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := pipectl(t, "new", "--name", "empty-dir"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat("empty-dir/pyproject.toml"); err != nil {
		t.Error(err)
	}
}

func TestStatsOfExampleProject(t *testing.T) {
	root := newExampleProject(t)
	datasets, nodes, pipelines, err := project.Stats(root)
	if err != nil {
		t.Fatal(err)
	}
	if datasets != 6 || nodes != 4 || pipelines != 3 {
		t.Errorf("Stats = %d datasets, %d nodes, %d pipelines; want 6, 4, 3", datasets, nodes, pipelines)
	}
}

func TestInfo(t *testing.T) {
	t.Run("inside a project", func(t *testing.T) {
		root := newExampleProject(t)
		code, stdout, stderr := pipectl(t, "info")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"pipectl version " + version, "Project:          demo", "Package:          demo", root, "Datasets:         6", "Pipelines:        3", "Default nodes:    4", "Example pipeline: true"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("info lacks %q:\n%s", want, stdout)
			}
		}
	})
	t.Run("outside a project", func(t *testing.T) {
		t.Chdir(t.TempDir())
		code, stdout, _ := pipectl(t, "info")
		if code != 0 || !strings.Contains(stdout, "Not inside a pipectl project") {
			t.Errorf("exit %d, stdout %q", code, stdout)
		}
	})
}

func TestVersionHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"version", []string{"--version"}, 0, "pipectl version 0.3.0\n", ""},
		{"help", []string{"--help"}, 0, "Available Commands:", ""},
		{"no arguments shows help", nil, 0, "Available Commands:", ""},
		{"group without subcommand shows help", []string{"pipeline"}, 0, "create", ""},
		{"unknown command", []string{"deploy"}, 1, "", `Error: unknown command "deploy" for "pipectl"`},
		{"misspelt command suggests", []string{"rnu"}, 1, "", "did you mean run?"},
		{"unknown subcommand", []string{"catalog", "show"}, 1, "", `Error: unknown command "show" for "pipectl catalog"`},
		{"unknown flag", []string{"--verbose"}, 1, "", "Error: unknown flag: --verbose"},
		{"unknown shorthand", []string{"run", "-x"}, 1, "", "Error: unknown shorthand flag: 'x'"},
		{"flag without value", []string{"run", "--pipeline"}, 1, "", "flag needs an argument"},
		{"telemetry command outside instrument.Start", []string{"telemetry", "status"}, 1, "", "telemetry: not started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, stdout, stderr := pipectl(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if tt.wantStdout != "" && !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout %q, want %q", stdout, tt.wantStdout)
			}
			if tt.name == "version" && stdout != tt.wantStdout {
				t.Errorf("stdout %q, want exactly %q", stdout, tt.wantStdout)
			}
			if tt.wantStderr != "" && !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q, want %q", stderr, tt.wantStderr)
			}
			if tt.wantCode == 0 && stderr != "" {
				t.Errorf("stderr %q, want empty", stderr)
			}
		})
	}
}

func TestUsageErrorsAreMarked(t *testing.T) {
	tests := []struct {
		args      []string
		wantUsage bool
	}{
		{[]string{"deploy"}, true},
		{[]string{"run", "--nope"}, true},
		{[]string{"new", "--name", "pp", "--example", "perhaps"}, true},
		{[]string{"run", "--runner", "x"}, true},
		{[]string{"pipeline", "create"}, true},
		{[]string{"run"}, false}, // outside a project: a failure, not a usage error
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Chdir(t.TempDir())
			root := newRootCmd(&app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
			root.SetArgs(tt.args)
			err := root.Execute()
			if err == nil {
				t.Fatal("no error")
			}
			if got := isUsageError(err); got != tt.wantUsage {
				t.Errorf("isUsageError(%v) = %t, want %t", err, got, tt.wantUsage)
			}
		})
	}
}
