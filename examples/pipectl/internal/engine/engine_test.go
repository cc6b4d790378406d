package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

func table(header string, rows ...string) *Table {
	t := &Table{Header: strings.Split(header, ",")}
	for _, r := range rows {
		t.Rows = append(t.Rows, strings.Split(r, ","))
	}
	return t
}

func TestOperations(t *testing.T) {
	people := table("name,city", "ann,Oslo", "bob,oslo", "cy,Rome")
	tests := []struct {
		op      string
		names   []string
		in      []any
		nOut    int
		want    []any
		wantErr string
	}{
		{"copy", []string{"p"}, []any{people}, 1, []any{people}, ""},
		{"copy", []string{"p", "q"}, []any{people, 5}, 2, []any{people, 5}, ""},
		{"copy", []string{"p"}, []any{people}, 2, nil, "as many outputs"},
		{"upper", []string{"p"}, []any{people}, 1, []any{table("name,city", "ANN,OSLO", "BOB,OSLO", "CY,ROME")}, ""},
		{"upper", []string{"x"}, []any{"text"}, 1, nil, "not a table"},
		{"count_rows", []string{"p", "e"}, []any{people, table("a")}, 1, []any{table("dataset,rows", "p,3", "e,0")}, ""},
		{"count_rows", []string{"p"}, []any{people}, 2, nil, "exactly one output"},
		{"filter", []string{"p", "c", "v"}, []any{people, "city", "OSLO"}, 1, []any{table("name,city", "ann,Oslo", "bob,oslo")}, ""},
		{"filter", []string{"p", "c", "v"}, []any{people, "city", "Paris"}, 1, []any{&Table{Header: []string{"name", "city"}}}, ""},
		{"filter", []string{"p", "c", "v"}, []any{table("n,k", "a,1", "b,2"), "k", 2}, 1, []any{table("n,k", "b,2")}, ""},
		{"filter", []string{"p", "c", "v"}, []any{people, "country", "x"}, 1, nil, `no column "country"`},
		{"filter", []string{"p"}, []any{people}, 1, nil, "needs inputs"},
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+strings.Join(tt.names, ","), func(t *testing.T) {
			got, err := operations[tt.op](tt.names, tt.in, tt.nOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d outputs, want %d", len(got), len(tt.want))
			}
			for i := range got {
				g, gok := got[i].(*Table)
				w, wok := tt.want[i].(*Table)
				if gok != wok || (gok && (!slices.Equal(g.Header, w.Header) || !slices.EqualFunc(g.Rows, w.Rows, slices.Equal))) || (!gok && got[i] != tt.want[i]) {
					t.Errorf("output %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	// Operations never change their inputs.
	if people.Rows[0][0] != "ann" || len(people.Rows) != 3 {
		t.Errorf("input changed: %+v", people)
	}
}

// newConfig makes a project config in a temporary root with one CSV input
// dataset "raw" (3 rows) and the given pipeline as __default__.
func newConfig(t *testing.T, nodes ...project.Node) *project.Config {
	t.Helper()
	root := t.TempDir()
	if err := WriteCSV(filepath.Join(root, "data/raw.csv"), table("id,v", "1,a", "2,b", "3,c")); err != nil {
		t.Fatal(err)
	}
	return &project.Config{
		Root: root,
		Catalog: map[string]project.Dataset{
			"raw":    {Type: "pandas.CSVDataset", Filepath: "data/raw.csv"},
			"out":    {Type: "pandas.CSVDataset", Filepath: "data/out/out.csv"},
			"mem":    {Type: "MemoryDataset"},
			"bad":    {Type: "pandas.ParquetDataset", Filepath: "x.pq"},
			"nopath": {Type: "pandas.CSVDataset"},
		},
		Parameters: map[string]any{"col": "v", "val": "B"},
		Pipelines:  map[string]project.Pipeline{project.DefaultPipeline: {Nodes: nodes}},
	}
}

func TestRunErrors(t *testing.T) {
	n := func(name, op string, in, out []string) project.Node {
		return project.Node{Name: name, Operation: op, Inputs: in, Outputs: out}
	}
	tests := []struct {
		name    string
		nodes   []project.Node
		only    []string
		wantErr string
	}{
		{"unknown operation", []project.Node{n("a", "explode", nil, nil)}, nil, `unknown operation "explode"`},
		{"missing input", []project.Node{n("a", "copy", []string{"ghost"}, []string{"x"})}, nil, `"ghost" is not in the catalog`},
		{"empty memory dataset", []project.Node{n("a", "copy", []string{"mem"}, []string{"x"})}, nil, `memory dataset "mem" has no data`},
		{"missing parameter", []project.Node{n("a", "filter", []string{"raw", "params:nope", "params:val"}, []string{"x"})}, nil, `parameter "nope" not found`},
		{"unsupported type", []project.Node{n("a", "copy", []string{"raw"}, []string{"bad"})}, nil, "unsupported type"},
		{"csv without filepath", []project.Node{n("a", "copy", []string{"raw"}, []string{"nopath"})}, nil, "needs a filepath"},
		{"two writers", []project.Node{n("a", "copy", []string{"raw"}, []string{"x"}), n("b", "copy", []string{"raw"}, []string{"x"})}, nil, "written by both"},
		{"writes parameters", []project.Node{n("a", "copy", []string{"raw"}, []string{"params:x"})}, nil, "cannot write parameters"},
		{"cycle", []project.Node{n("a", "copy", []string{"y"}, []string{"x"}), n("b", "copy", []string{"x"}, []string{"y"})}, nil, "cycle"},
		{"unknown node selected", []project.Node{n("a", "copy", []string{"raw"}, []string{"x"})}, []string{"z"}, `node "z" is not in the pipeline`},
		{"non-table into csv", []project.Node{n("a", "copy", []string{"params:col"}, []string{"out"})}, nil, "produced string"},
	}
	for _, tt := range tests {
		for _, parallel := range []bool{false, true} {
			name := tt.name + map[bool]string{false: "/sequential", true: "/parallel"}[parallel]
			t.Run(name, func(t *testing.T) {
				_, err := Run(context.Background(), Config{Project: newConfig(t, tt.nodes...), Nodes: tt.only, Parallel: parallel})
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want %q", err, tt.wantErr)
				}
			})
		}
	}
}

func TestRunOrdersByDependencies(t *testing.T) {
	// Declared out of order: "last" needs the output of "first".
	nodes := []project.Node{
		{Name: "last", Operation: "count_rows", Inputs: []string{"filtered"}, Outputs: []string{"out"}},
		{Name: "first", Operation: "filter", Inputs: []string{"raw", "params:col", "params:val"}, Outputs: []string{"filtered"}},
	}
	for _, parallel := range []bool{false, true} {
		var out bytes.Buffer
		conf := newConfig(t, nodes...)
		res, err := Run(context.Background(), Config{Project: conf, Parallel: parallel, Out: &out})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "Running node: first\nRunning node: last\n" {
			t.Errorf("parallel=%t: output %q", parallel, got)
		}
		if res.NodesRun != 2 || !slices.Equal(res.Saved, []string{"out"}) {
			t.Errorf("result %+v", res)
		}
		got, err := ReadCSV(filepath.Join(conf.Root, "data/out/out.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got.Rows, [][]string{{"filtered", "1"}}, slices.Equal) {
			t.Errorf("out.csv rows %q", got.Rows)
		}
	}
}

// TestParallelRunsNodesConcurrently proves independent nodes overlap: each
// node waits until all of them have started, which never happens if they
// run one at a time.
func TestParallelRunsNodesConcurrently(t *testing.T) {
	const width = 4
	var started sync.WaitGroup
	started.Add(width)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	barrier := func(names []string, in []any, nOut int) ([]any, error) {
		started.Done()
		select {
		case <-allStarted:
			return []any{in[0]}, nil
		case <-time.After(10 * time.Second): // a hang guard, not a speed check
			return nil, errors.New("independent nodes did not run concurrently")
		}
	}
	var nodes []project.Node
	for i := range width {
		name := string(rune('a' + i))
		nodes = append(nodes, project.Node{Name: name, Operation: "barrier", Inputs: []string{"raw"}, Outputs: []string{"m_" + name}})
	}
	ops := map[string]operation{"barrier": barrier}
	res, err := Run(context.Background(), Config{Project: newConfig(t, nodes...), Parallel: true, ops: ops})
	if err != nil {
		t.Fatal(err)
	}
	if res.NodesRun != width {
		t.Errorf("ran %d nodes, want %d", res.NodesRun, width)
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	nodes := []project.Node{
		{Name: "fails", Operation: "filter", Inputs: []string{"raw", "params:nope", "params:val"}, Outputs: []string{"x"}},
		{Name: "after", Operation: "copy", Inputs: []string{"x"}, Outputs: []string{"out"}},
	}
	for _, parallel := range []bool{false, true} {
		conf := newConfig(t, nodes...)
		var out bytes.Buffer
		res, err := Run(context.Background(), Config{Project: conf, Parallel: parallel, Out: &out})
		if err == nil || res.NodesRun != 0 || strings.Contains(out.String(), "after") {
			t.Errorf("parallel=%t: err %v, result %+v, output %q", parallel, err, res, out.String())
		}
		if _, err := os.Stat(filepath.Join(conf.Root, "data/out/out.csv")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("parallel=%t: out.csv written after a failure", parallel)
		}
	}
}

func TestAsyncSaveErrorsAreReported(t *testing.T) {
	conf := newConfig(t, project.Node{Name: "a", Operation: "copy", Inputs: []string{"raw"}, Outputs: []string{"out"}})
	// A file where the output's folder should be makes the save fail.
	if err := os.WriteFile(filepath.Join(conf.Root, "data/out"), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, async := range []bool{false, true} {
		if _, err := Run(context.Background(), Config{Project: conf, Async: async}); err == nil || !strings.Contains(err.Error(), `saving dataset "out"`) {
			t.Errorf("async=%t: err %v", async, err)
		}
	}
}

func TestRunHonoursCancellation(t *testing.T) {
	conf := newConfig(t, project.Node{Name: "a", Operation: "copy", Inputs: []string{"raw"}, Outputs: []string{"x"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, parallel := range []bool{false, true} {
		if _, err := Run(ctx, Config{Project: conf, Parallel: parallel}); !errors.Is(err, context.Canceled) {
			t.Errorf("parallel=%t: err %v, want context.Canceled", parallel, err)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b.csv")
	want := table("x,y", "1,placeholder", "2,")
	want.Rows[0][1] = "has, comma and \"quotes\""
	if err := WriteCSV(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Header, want.Header) || !slices.EqualFunc(got.Rows, want.Rows, slices.Equal) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func BenchmarkRunExampleShape(b *testing.B) {
	root := b.TempDir()
	var rows []string
	for i := range 1000 {
		rows = append(rows, strings.Repeat("x", i%7)+",t")
	}
	if err := WriteCSV(filepath.Join(root, "raw.csv"), table("name,flag", rows...)); err != nil {
		b.Fatal(err)
	}
	conf := &project.Config{
		Root:       root,
		Catalog:    map[string]project.Dataset{"raw": {Type: "pandas.CSVDataset", Filepath: "raw.csv"}, "out": {Type: "pandas.CSVDataset", Filepath: "out.csv"}},
		Parameters: map[string]any{"c": "flag", "v": "T"},
		Pipelines: map[string]project.Pipeline{project.DefaultPipeline: {Nodes: []project.Node{
			{Name: "u", Operation: "upper", Inputs: []string{"raw"}, Outputs: []string{"up"}},
			{Name: "f", Operation: "filter", Inputs: []string{"up", "params:c", "params:v"}, Outputs: []string{"fl"}},
			{Name: "c", Operation: "count_rows", Inputs: []string{"up", "fl"}, Outputs: []string{"out"}},
		}}},
	}
	for _, parallel := range []bool{false, true} {
		b.Run(map[bool]string{false: "sequential", true: "parallel"}[parallel], func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(context.Background(), Config{Project: conf, Parallel: parallel}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
