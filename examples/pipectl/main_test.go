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

func TestRunExamplePipeline(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"sequential", nil},
		{"sequential explicit with env", []string{"--runner", "sequential", "-e", "local", "-p", "__default__"}},
		{"parallel", []string{"--runner", "parallel"}},
		{"parallel async", []string{"--runner", "PARALLEL", "--async"}},
		{"sequential async", []string{"--async"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newExampleProject(t)
			code, stdout, stderr := pipectl(t, append([]string{"run"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, n := range []string{"preprocess_companies_node", "preprocess_shuttles_node", "approved_companies_node", "summary_node"} {
				if strings.Count(stdout, "Running node: "+n+"\n") != 1 {
					t.Errorf("stdout lacks one %q line:\n%s", "Running node: "+n, stdout)
				}
			}
			// Dependencies respected whatever the runner.
			if strings.Index(stdout, "Running node: summary_node") < strings.Index(stdout, "Running node: approved_companies_node") {
				t.Errorf("summary_node ran before approved_companies_node:\n%s", stdout)
			}
			if !strings.Contains(stdout, `Pipeline "__default__" completed: 4 node(s) ran`) {
				t.Errorf("no summary in stdout:\n%s", stdout)
			}
			approved := readCSV(t, filepath.Join(root, "data/03_primary/approved_companies.csv"))
			wantApproved := [][]string{
				{"id", "company_rating", "company_location", "iata_approved"},
				{"28619", "100%", "BOSNIA AND HERZEGOVINA", "T"},
				{"8240", "100%", "CHILE", "T"},
				{"30342", "", "NIUE", "T"},
			}
			if !slices.EqualFunc(approved, wantApproved, slices.Equal) {
				t.Errorf("approved_companies = %q, want %q", approved, wantApproved)
			}
			summary := readCSV(t, filepath.Join(root, "data/08_reporting/dataset_summary.csv"))
			wantSummary := [][]string{{"dataset", "rows"}, {"preprocessed_companies", "6"}, {"approved_companies", "3"}, {"preprocessed_shuttles", "5"}}
			if !slices.EqualFunc(summary, wantSummary, slices.Equal) {
				t.Errorf("dataset_summary = %q, want %q", summary, wantSummary)
			}
			shuttles := readCSV(t, filepath.Join(root, "data/02_intermediate/preprocessed_shuttles.csv"))
			raw := readCSV(t, filepath.Join(root, "data/01_raw/shuttles.csv"))
			if !slices.EqualFunc(shuttles, raw, slices.Equal) {
				t.Errorf("copy changed the data: %q vs %q", shuttles, raw)
			}
		})
	}
}

func TestRunOptions(t *testing.T) {
	tests := []struct {
		name         string
		setup        func(t *testing.T, root string)
		args         []string
		wantNodes    []string
		wantApproved int // data rows in approved_companies; -1: file must not exist
	}{
		{
			name: "params override", args: []string{"--params", "approval.value=f"},
			wantNodes: []string{"preprocess_companies_node", "preprocess_shuttles_node", "approved_companies_node", "summary_node"}, wantApproved: 3,
		},
		{
			name: "params override column", args: []string{"--params", "approval.column=company_rating,approval.value=38%"},
			wantNodes: []string{"preprocess_companies_node", "preprocess_shuttles_node", "approved_companies_node", "summary_node"}, wantApproved: 1,
		},
		{
			name: "named pipeline", args: []string{"-p", "data_processing"},
			wantNodes: []string{"preprocess_companies_node", "preprocess_shuttles_node"}, wantApproved: -1,
		},
		{
			name: "nodes subset reads upstream output from its file",
			setup: func(t *testing.T, root string) {
				if code, _, stderr := pipectl(t, "run", "-p", "data_processing"); code != 0 {
					t.Fatal(stderr)
				}
			},
			args:      []string{"--nodes", "approved_companies_node"},
			wantNodes: []string{"approved_companies_node"}, wantApproved: 3,
		},
		{
			name: "env overrides parameters",
			setup: func(t *testing.T, root string) {
				if err := os.MkdirAll(filepath.Join(root, "conf/prod"), 0o755); err != nil {
					t.Fatal(err)
				}
				params := "approval:\n  column: company_location\n  value: chile\n"
				if err := os.WriteFile(filepath.Join(root, "conf/prod/parameters.yml"), []byte(params), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			args:      []string{"--env", "prod", "--nodes", "preprocess_companies_node,approved_companies_node"},
			wantNodes: []string{"preprocess_companies_node", "approved_companies_node"}, wantApproved: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newExampleProject(t)
			if tt.setup != nil {
				tt.setup(t, root)
			}
			code, stdout, stderr := pipectl(t, append([]string{"run"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var ran []string
			for l := range strings.SplitSeq(stdout, "\n") {
				if n, ok := strings.CutPrefix(l, "Running node: "); ok {
					ran = append(ran, n)
				}
			}
			if !slices.Equal(ran, tt.wantNodes) {
				t.Errorf("ran %q, want %q", ran, tt.wantNodes)
			}
			path := filepath.Join(root, "data/03_primary/approved_companies.csv")
			if tt.wantApproved < 0 {
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("approved_companies written, want not")
				}
				return
			}
			if got := len(readCSV(t, path)) - 1; got != tt.wantApproved {
				t.Errorf("approved_companies has %d rows, want %d", got, tt.wantApproved)
			}
		})
	}
}

func TestRunFails(t *testing.T) {
	tests := []struct {
		name      string
		inProject bool
		args      []string
		wantErr   string
	}{
		{"outside a project", false, nil, "not inside a pipectl project"},
		{"unknown pipeline", true, []string{"--pipeline", "nope"}, `pipeline "nope" not found`},
		{"unknown node", true, []string{"--nodes", "nope"}, `node "nope" is not in the pipeline`},
		{"missing environment", true, []string{"-e", "staging"}, `environment "staging" not found`},
		{"bad runner", true, []string{"--runner", "threads"}, `"--runner"`},
		{"bad params", true, []string{"--params", "novalue"}, "want key=value"},
		{"unknown flag", true, []string{"--fast"}, "unknown flag: --fast"},
		{"positional argument", true, []string{"extra"}, "accepts 0 arg(s)"},
		{"missing input", true, []string{"--nodes", "approved_companies_node"}, "loading dataset \"preprocessed_companies\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.inProject {
				newExampleProject(t)
			} else {
				t.Chdir(t.TempDir())
			}
			code, _, stderr := pipectl(t, append([]string{"run"}, tt.args...)...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.HasPrefix(stderr, "Error: ") || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q, want Error: ...%s", stderr, tt.wantErr)
			}
		})
	}
}

func TestRunFromSubfolder(t *testing.T) {
	root := newExampleProject(t)
	t.Chdir(filepath.Join(root, "conf", "base"))
	if code, _, stderr := pipectl(t, "run", "-p", "data_processing"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "data/02_intermediate/preprocessed_companies.csv")); err != nil {
		t.Error(err)
	}
}

func TestPipelineCreate(t *testing.T) {
	root := newExampleProject(t)
	before, err := os.ReadFile(filepath.Join(root, "pipelines.yml"))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := pipectl(t, "pipeline", "create", "feature_engineering")
	if code != 0 || !strings.Contains(stdout, `Created pipeline "feature_engineering"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	after, err := os.ReadFile(filepath.Join(root, "pipelines.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, before) {
		t.Errorf("existing content changed:\n%s", after)
	}
	if _, nodes, pipelines, err := project.Stats(root); err != nil || pipelines != 4 || nodes != 4 {
		t.Errorf("Stats after create: nodes %d pipelines %d err %v, want 4, 4", nodes, pipelines, err)
	}
	if code, stdout, stderr := pipectl(t, "run", "-p", "feature_engineering"); code != 0 || !strings.Contains(stdout, "0 node(s) ran") {
		t.Errorf("running the new pipeline: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	fails := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"exists", []string{"feature_engineering"}, "already exists"},
		{"default exists", []string{"__default__"}, "already exists"},
		{"bad name", []string{"my-pipeline"}, "invalid pipeline name"},
		{"no name", nil, "accepts 1 arg(s)"},
		{"two names", []string{"a", "b"}, "accepts 1 arg(s)"},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := pipectl(t, append([]string{"pipeline", "create"}, tt.args...)...)
			if code != 1 || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.wantErr)
			}
		})
	}
	if unchanged, _ := os.ReadFile(filepath.Join(root, "pipelines.yml")); !bytes.Equal(unchanged, after) {
		t.Error("a failed create changed pipelines.yml")
	}
}

func TestCatalogList(t *testing.T) {
	root := newExampleProject(t)
	code, stdout, stderr := pipectl(t, "catalog", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	want := []string{"NAME TYPE", "approved_companies pandas.CSVDataset", "companies pandas.CSVDataset", "dataset_summary pandas.CSVDataset",
		"preprocessed_companies pandas.CSVDataset", "preprocessed_shuttles pandas.CSVDataset", "shuttles pandas.CSVDataset"}
	var got []string
	for _, l := range lines {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	if !slices.Equal(got, want) {
		t.Errorf("catalog list =\n%s\nwant %q", stdout, want)
	}

	// An environment adds a dataset; parameter entries are not datasets.
	if err := os.MkdirAll(filepath.Join(root, "conf/dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	extra := "scratch:\n  type: MemoryDataset\nparams:x:\n  type: MemoryDataset\n"
	if err := os.WriteFile(filepath.Join(root, "conf/dev/catalog.yml"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = pipectl(t, "catalog", "list", "-e", "dev")
	if code != 0 || !strings.Contains(stdout, "scratch") || strings.Contains(stdout, "params:x") {
		t.Errorf("catalog list -e dev: exit %d\n%s", code, stdout)
	}

	t.Chdir(t.TempDir())
	if code, _, stderr := pipectl(t, "catalog", "list"); code != 1 || !strings.Contains(stderr, "not inside a pipectl project") {
		t.Errorf("outside a project: exit %d, stderr %q", code, stderr)
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
