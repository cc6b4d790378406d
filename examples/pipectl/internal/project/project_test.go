package project

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const minimalPyproject = "[project]\nname = \"x\"\n\n[tool.pipectl]\npackage_name = \"x\"\n"

func TestFindRoot(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		start   string
		want    string // "" with wantErr
		wantErr error
	}{
		{"at root", map[string]string{"p/pyproject.toml": minimalPyproject}, "p", "p", nil},
		{"from a subfolder", map[string]string{"p/pyproject.toml": minimalPyproject, "p/a/b/.keep": ""}, "p/a/b", "p", nil},
		{"nearest wins", map[string]string{"p/pyproject.toml": minimalPyproject, "p/inner/pyproject.toml": minimalPyproject}, "p/inner", "p/inner", nil},
		{"skips pyproject of another tool", map[string]string{"p/pyproject.toml": minimalPyproject, "p/lib/pyproject.toml": "[tool.kedro]\nx = 1\n"}, "p/lib", "p", nil},
		{"empty pipectl table counts", map[string]string{"p/pyproject.toml": "[tool.pipectl]\n"}, "p", "p", nil},
		{"none", map[string]string{"q/.keep": ""}, "q", "", ErrNotInProject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			got, err := FindRoot(filepath.Join(dir, tt.start))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if tt.want != "" && got != filepath.Join(dir, tt.want) {
				t.Errorf("root %q, want %q", got, filepath.Join(dir, tt.want))
			}
		})
	}
	t.Run("corrupt pyproject is an error, not skipped", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"pyproject.toml": "[tool.pipectl\n"})
		if _, err := FindRoot(dir); err == nil || errors.Is(err, ErrNotInProject) {
			t.Errorf("err %v, want a parse error", err)
		}
	})
}

func TestPackageName(t *testing.T) {
	tests := map[string]string{
		"spaceflights": "spaceflights",
		"My Project":   "my_project",
		"a--b__c  d":   "a_b_c_d",
		"2fast":        "_2fast",
		"trailing-":    "trailing",
		"CamelCase9":   "camelcase9",
	}
	for in, want := range tests {
		if got := PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTools(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", []string{}, ""},
		{"lint", []string{"lint"}, ""},
		{"viz,lint, LINT ,", []string{"lint", "viz"}, ""},
		{"lint,test,log,docs,data,pyspark,viz", AllTools, ""},
		{"lint,spark", nil, `unknown tool "spark"`},
		{"none", nil, `unknown tool "none"`},
	}
	for _, tt := range tests {
		got, err := ParseTools(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTools(%q) err %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseTools(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]any
		wantErr bool
	}{
		{"", map[string]any{}, false},
		{"a=1", map[string]any{"a": 1}, false},
		{"a=1.5,b=true,c=text", map[string]any{"a": 1.5, "b": true, "c": "text"}, false},
		{"model.depth=3, name = x y", map[string]any{"model.depth": 3, "name": "x y"}, false},
		{"a=,b=null,c=[1]", map[string]any{"a": "", "b": "null", "c": "[1]"}, false},
		{"a", nil, true},
		{"=1", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseParams(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseParams(%q) err %v", tt.in, err)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseParams(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestLoadMergesEnvironment(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"pyproject.toml":           minimalPyproject,
		"conf/base/catalog.yml":    "a:\n  type: MemoryDataset\nb:\n  type: pandas.CSVDataset\n  filepath: b.csv\n",
		"conf/base/parameters.yml": "x: 1\nnested:\n  y: 2\n  z: 3\n",
		"conf/prod/catalog.yml":    "b:\n  type: pandas.CSVDataset\n  filepath: prod/b.csv\nc:\n  type: MemoryDataset\n",
		"conf/prod/parameters.yml": "nested:\n  y: 20\n",
		"pipelines.yml":            "pipelines:\n  __default__:\n    nodes: []\n",
	})
	tests := []struct {
		env        string
		wantB      string
		wantNames  int
		wantNested map[string]any
		wantErr    string
	}{
		{"", "b.csv", 2, map[string]any{"y": 2, "z": 3}, ""},
		{"local", "b.csv", 2, map[string]any{"y": 2, "z": 3}, ""},
		{"prod", "prod/b.csv", 3, map[string]any{"y": 20}, ""}, // top-level keys replace
		{"staging", "", 0, nil, "not found"},
		{"base", "", 0, nil, "base configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			c, err := Load(root, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Catalog["b"].Filepath != tt.wantB || len(c.Catalog) != tt.wantNames {
				t.Errorf("catalog %+v", c.Catalog)
			}
			if !reflect.DeepEqual(c.Parameters["nested"], tt.wantNested) {
				t.Errorf("nested = %#v, want %#v", c.Parameters["nested"], tt.wantNested)
			}
		})
	}
}

func TestParameterAndSetParameter(t *testing.T) {
	c := &Config{Parameters: map[string]any{"a": map[string]any{"b": 1}, "s": "x"}}
	c.SetParameter("a.c", 2)
	c.SetParameter("s.t", 3) // replaces the scalar with a map
	c.SetParameter("top", true)
	for key, want := range map[string]any{"a.b": 1, "a.c": 2, "s.t": 3, "top": true} {
		if got, ok := c.Parameter(key); !ok || got != want {
			t.Errorf("Parameter(%q) = %v, %t; want %v", key, got, ok, want)
		}
	}
	if _, ok := c.Parameter("a.b.c"); ok {
		t.Error("Parameter reached through a scalar")
	}
}

func TestNodesResolvesIncludes(t *testing.T) {
	n := func(name string) Node { return Node{Name: name, Operation: "copy"} }
	tests := []struct {
		name      string
		pipelines map[string]Pipeline
		pipeline  string
		want      []string
		wantErr   string
	}{
		{"own nodes", map[string]Pipeline{"p": {Nodes: []Node{n("a"), n("b")}}}, "p", []string{"a", "b"}, ""},
		{"includes first", map[string]Pipeline{"p": {Include: []string{"q", "r"}, Nodes: []Node{n("c")}}, "q": {Nodes: []Node{n("a")}}, "r": {Nodes: []Node{n("b")}}}, "p", []string{"a", "b", "c"}, ""},
		{"diamond includes once", map[string]Pipeline{"p": {Include: []string{"q", "r"}}, "q": {Include: []string{"s"}}, "r": {Include: []string{"s"}}, "s": {Nodes: []Node{n("a")}}}, "p", []string{"a"}, ""},
		{"unknown", map[string]Pipeline{"p": {}}, "nope", nil, `pipeline "nope" not found`},
		{"unknown include", map[string]Pipeline{"p": {Include: []string{"z"}}}, "p", nil, `unknown pipeline "z"`},
		{"cycle", map[string]Pipeline{"p": {Include: []string{"q"}}, "q": {Include: []string{"p"}}}, "p", nil, "includes itself"},
		{"clashing names", map[string]Pipeline{"p": {Nodes: []Node{n("a"), {Name: "a", Operation: "upper"}}}}, "p", nil, `two different nodes named "a"`},
		{"unnamed node", map[string]Pipeline{"p": {Nodes: []Node{{Operation: "copy"}}}}, "p", nil, "without a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Pipelines: tt.pipelines}
			got, err := c.Nodes(tt.pipeline)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range got {
				names = append(names, n.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("nodes %q, want %q", names, tt.want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	tests := []struct {
		name                       string
		files                      map[string]string
		datasets, nodes, pipelines int
	}{
		{"empty project", map[string]string{}, 0, 0, 0},
		{
			"parameters excluded, local env counted",
			map[string]string{
				"conf/base/catalog.yml":  "a:\n  type: MemoryDataset\nparams:p:\n  type: MemoryDataset\nparameters_x:\n  type: MemoryDataset\n",
				"conf/local/catalog.yml": "b:\n  type: MemoryDataset\n",
				"pipelines.yml":          "pipelines:\n  __default__:\n    include: [q]\n    nodes:\n      - {name: n1, operation: copy}\n  q:\n    nodes:\n      - {name: n2, operation: copy}\n      - {name: n3, operation: copy}\n  r:\n    nodes: []\n",
			},
			2, 3, 3,
		},
		{"no default pipeline", map[string]string{"pipelines.yml": "pipelines:\n  q:\n    nodes:\n      - {name: n, operation: copy}\n"}, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.files["pyproject.toml"] = minimalPyproject
			writeFiles(t, root, tt.files)
			d, n, p, err := Stats(root)
			if err != nil {
				t.Fatal(err)
			}
			if d != tt.datasets || n != tt.nodes || p != tt.pipelines {
				t.Errorf("Stats = %d, %d, %d; want %d, %d, %d", d, n, p, tt.datasets, tt.nodes, tt.pipelines)
			}
		})
	}
	t.Run("broken catalog is an error", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"conf/base/catalog.yml": "a: [unclosed\n"})
		if _, _, _, err := Stats(root); err == nil {
			t.Error("no error")
		}
	})
}

func TestAddPipeline(t *testing.T) {
	tests := []struct {
		name      string
		file      *string // nil: no pipelines.yml
		wantText  string  // the file must contain this afterwards
		keepBytes bool    // the old content must be a byte-for-byte prefix
	}{
		{"no file", nil, "new_one", false},
		{"empty file", ptr(""), "new_one", false},
		{"block mapping", ptr("# c\npipelines:\n  a:\n    nodes: []\n"), "pipelines:\n  a:\n    nodes: []\n  new_one:\n    nodes: []\n", true},
		{"four-space indent", ptr("pipelines:\n    a:\n        nodes: []\n"), "    new_one:\n", true},
		{"no final newline", ptr("pipelines:\n  a:\n    nodes: []"), "  a:\n    nodes: []\n  new_one:\n    nodes: []\n", true},
		{"another key after", ptr("pipelines:\n  a:\n    nodes: []\n\n# about settings\nsettings:\n  x: 1\n"), "  a:\n    nodes: []\n  new_one:\n    nodes: []\n\n# about settings\nsettings:", false},
		{"flow mapping", ptr("pipelines: {a: {nodes: []}}\n"), "new_one", false},
		{"null pipelines", ptr("pipelines:\n"), "new_one", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, PipelinesFile)
			if tt.file != nil {
				if err := os.WriteFile(path, []byte(*tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := AddPipeline(root, "new_one"); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.wantText) {
				t.Errorf("file:\n%s\nlacks %q", data, tt.wantText)
			}
			if tt.keepBytes && !strings.HasPrefix(string(data), strings.TrimSuffix(*tt.file, "\n")) {
				t.Errorf("old content not kept:\n%s", data)
			}
			if tt.file != nil {
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("permissions not kept: %v %v", fi.Mode(), err)
				}
			}
			p, err := readPipelines(root)
			if err != nil {
				t.Fatal(err)
			}
			if np, ok := p["new_one"]; !ok || len(np.Nodes) != 0 {
				t.Errorf("pipelines after add: %+v", p)
			}
			if err := AddPipeline(root, "new_one"); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("second add: %v", err)
			}
		})
	}
	t.Run("keyword names are quoted", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{PipelinesFile: "pipelines:\n  a:\n    nodes: []\n"})
		for _, name := range []string{"true", "null", "yes"} {
			if err := AddPipeline(root, name); err != nil {
				t.Fatal(err)
			}
		}
		p, err := readPipelines(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"a", "true", "null", "yes"} {
			if _, ok := p[name]; !ok {
				t.Errorf("pipeline %q missing: %v", name, p)
			}
		}
	})
	t.Run("corrupt file is left alone", func(t *testing.T) {
		root := t.TempDir()
		bad := "pipelines: [unclosed\n"
		writeFiles(t, root, map[string]string{PipelinesFile: bad})
		if err := AddPipeline(root, "x"); err == nil {
			t.Fatal("no error")
		}
		if data, _ := os.ReadFile(filepath.Join(root, PipelinesFile)); string(data) != bad {
			t.Errorf("file changed: %q", data)
		}
	})
	t.Run("bad name", func(t *testing.T) {
		if err := AddPipeline(t.TempDir(), "a b"); err == nil {
			t.Error("no error")
		}
	})
}

func ptr(s string) *string { return &s }

func TestCreateRefusesNonEmptyTarget(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"proj/x": "keep", "file-target": "f"})
	for _, name := range []string{"proj", "file-target"} {
		if _, err := Create(NewOptions{Name: name, Directory: dir}); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want 2", len(entries))
	}
}
