package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

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
