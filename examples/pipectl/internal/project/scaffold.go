package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AllTools lists the tools `new --tools` accepts, in canonical order.
var AllTools = []string{"lint", "test", "log", "docs", "data", "pyspark", "viz"}

// ParseTools parses a comma-separated tool list, rejecting names not in
// AllTools. The result is de-duplicated and in AllTools order; an empty list
// selects no tools.
func ParseTools(list string) ([]string, error) {
	chosen := map[string]bool{}
	for t := range strings.SplitSeq(list, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !slices.Contains(AllTools, t) {
			return nil, fmt.Errorf("unknown tool %q: choose from %s", t, strings.Join(AllTools, ","))
		}
		chosen[t] = true
	}
	tools := []string{}
	for _, t := range AllTools {
		if chosen[t] {
			tools = append(tools, t)
		}
	}
	return tools, nil
}

var projectNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _-]+$`)

// ValidateName accepts project names of at least two letters, digits,
// spaces, hyphens or underscores, starting with a letter or digit. The name
// is also the project's folder name, so it can never hold a path separator.
func ValidateName(name string) error {
	if !projectNameRE.MatchString(name) {
		return fmt.Errorf("invalid project name %q: use at least 2 letters, digits, spaces, hyphens or underscores, starting with a letter or digit", name)
	}
	return nil
}

// PackageName turns a project name into a Python identifier: lower case,
// runs of other characters become one underscore, and a leading digit gets
// an underscore in front.
func PackageName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	s := strings.TrimRight(b.String(), "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "_" + s
	}
	return s
}

// NewOptions describes a project to create.
type NewOptions struct {
	Name        string   // project name and folder name
	Directory   string   // parent folder; "" means the working directory
	Tools       []string // from AllTools
	Example     bool     // add example datasets and pipelines
	ToolVersion string   // pipectl version recorded in pyproject.toml
}

// Create writes a new project into Directory/Name and returns that path.
// The target must be absent or an empty folder. The project is assembled in
// a temporary sibling folder and renamed into place, so a failure leaves
// nothing behind.
func Create(opts NewOptions) (string, error) {
	if err := ValidateName(opts.Name); err != nil {
		return "", err
	}
	for _, t := range opts.Tools {
		if !slices.Contains(AllTools, t) {
			return "", fmt.Errorf("unknown tool %q: choose from %s", t, strings.Join(AllTools, ","))
		}
	}
	parent := opts.Directory
	if parent == "" {
		parent = "."
	}
	target := filepath.Join(parent, opts.Name)
	targetExists := false
	if entries, err := os.ReadDir(target); err == nil {
		if len(entries) > 0 {
			return "", fmt.Errorf("%s already exists and is not empty", target)
		}
		targetExists = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s already exists and is not an empty folder", target)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", parent, err)
	}
	staging, err := os.MkdirTemp(parent, "."+opts.Name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("creating project folder: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(staging)
		}
	}()
	for _, f := range projectFiles(opts) {
		p := filepath.Join(staging, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", fmt.Errorf("creating project folder: %w", err)
		}
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			return "", fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return "", fmt.Errorf("creating project folder: %w", err)
	}
	if err := os.Rename(staging, target); err != nil {
		// Not every system renames onto an empty folder; remove it first.
		if !targetExists || os.Remove(target) != nil || os.Rename(staging, target) != nil {
			return "", fmt.Errorf("creating %s: %w", target, err)
		}
	}
	ok = true
	return target, nil
}

type projectFile struct{ path, content string }

func projectFiles(o NewOptions) []projectFile {
	has := func(t string) bool { return slices.Contains(o.Tools, t) }
	files := []projectFile{
		{PyprojectFile, pyprojectTOML(o)},
		{"README.md", "# " + o.Name + "\n\nA pipectl project. Run it with `pipectl run`.\n"},
		{".gitignore", gitignore},
		{"conf/README.md", "Configuration: `base` is shared; other folders (such as `local`) override it per environment.\n"},
		{"conf/local/.gitkeep", ""},
	}
	if o.Example {
		files = append(files,
			projectFile{"conf/base/" + CatalogFile, exampleCatalog},
			projectFile{"conf/base/" + ParametersFile, exampleParameters},
			projectFile{PipelinesFile, examplePipelines},
			projectFile{"data/01_raw/companies.csv", companiesCSV},
			projectFile{"data/01_raw/shuttles.csv", shuttlesCSV},
		)
	} else {
		files = append(files,
			projectFile{"conf/base/" + CatalogFile, emptyCatalog},
			projectFile{"conf/base/" + ParametersFile, "# Parameters, read by nodes as params:<key>.\n{}\n"},
			projectFile{PipelinesFile, emptyPipelines},
		)
	}
	if has("data") {
		for _, layer := range []string{"01_raw", "02_intermediate", "03_primary", "08_reporting"} {
			if !o.Example || layer != "01_raw" {
				files = append(files, projectFile{"data/" + layer + "/.gitkeep", ""})
			}
		}
	}
	if has("test") {
		files = append(files, projectFile{"tests/test_run.py", "def test_project_imports():\n    assert True\n"})
	}
	if has("log") {
		files = append(files, projectFile{"conf/logging.yml", "version: 1\nroot:\n  level: INFO\n"})
	}
	if has("docs") {
		files = append(files, projectFile{"docs/index.md", "# " + o.Name + "\n"})
	}
	if has("pyspark") {
		files = append(files, projectFile{"conf/base/spark.yml", "spark.driver.maxResultSize: 3g\n"})
	}
	return files
}

var toolDependencies = map[string]string{
	"lint": "ruff", "test": "pytest", "docs": "sphinx", "pyspark": "pyspark", "viz": "pipectl-viz",
}

func tomlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func tomlArray(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func pyprojectTOML(o NewOptions) string {
	version := o.ToolVersion
	if version == "" {
		version = "0.0.0"
	}
	deps := []string{"pipectl~=" + version}
	for _, t := range o.Tools {
		if d, ok := toolDependencies[t]; ok {
			deps = append(deps, d)
		}
	}
	tools := o.Tools
	if tools == nil {
		tools = []string{}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[project]\nname = %s\nversion = \"0.1.0\"\ndescription = %s\nrequires-python = \">=3.9\"\ndependencies = %s\n\n",
		tomlString(o.Name), tomlString("The "+o.Name+" pipectl project"), tomlArray(deps))
	fmt.Fprintf(&b, "[tool.pipectl]\npackage_name = %s\nproject_name = %s\npipectl_init_version = %s\ntools = %s\nexample_pipeline = %t\n",
		tomlString(PackageName(o.Name)), tomlString(o.Name), tomlString(version), tomlArray(tools), o.Example)
	if slices.Contains(o.Tools, "lint") {
		b.WriteString("\n[tool.ruff]\nline-length = 88\n")
	}
	if slices.Contains(o.Tools, "test") {
		b.WriteString("\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n")
	}
	return b.String()
}

// encodeYAML renders a YAML document with two-space indentation.
func encodeYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("project: encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("project: encoding YAML: %w", err)
	}
	return buf.Bytes(), nil
}

const gitignore = `# pipectl: per-project telemetry consent stays on this machine
.telemetry

# local configuration (credentials, personal overrides)
conf/local/**
!conf/local/.gitkeep

__pycache__/
*.py[cod]
.venv/
`

const emptyCatalog = `# Data catalog: dataset name -> {type, filepath}. Types: pandas.CSVDataset
# (a CSV file, filepath relative to the project root) or MemoryDataset.
{}
`

const emptyPipelines = `# Pipelines: name -> include (other pipelines, run first) and ordered nodes.
# A node: name, operation (copy, upper, count_rows, filter), inputs, outputs.
pipelines:
  __default__:
    nodes: []
`

const exampleCatalog = `# Data catalog: dataset name -> {type, filepath}. Types: pandas.CSVDataset
# (a CSV file, filepath relative to the project root) or MemoryDataset.
companies:
  type: pandas.CSVDataset
  filepath: data/01_raw/companies.csv

shuttles:
  type: pandas.CSVDataset
  filepath: data/01_raw/shuttles.csv

preprocessed_companies:
  type: pandas.CSVDataset
  filepath: data/02_intermediate/preprocessed_companies.csv

preprocessed_shuttles:
  type: pandas.CSVDataset
  filepath: data/02_intermediate/preprocessed_shuttles.csv

approved_companies:
  type: pandas.CSVDataset
  filepath: data/03_primary/approved_companies.csv

dataset_summary:
  type: pandas.CSVDataset
  filepath: data/08_reporting/dataset_summary.csv
`

const exampleParameters = `# Parameters, read by nodes as params:<key> (dotted keys reach nested values).
approval:
  column: iata_approved
  value: "t"
`

const examplePipelines = `# Pipelines: name -> include (other pipelines, run first) and ordered nodes.
# A node: name, operation (copy, upper, count_rows, filter), inputs, outputs.
pipelines:
  __default__:
    include: [data_processing, reporting]
    nodes: []

  data_processing:
    nodes:
      - name: preprocess_companies_node
        operation: upper
        inputs: [companies]
        outputs: [preprocessed_companies]
      - name: preprocess_shuttles_node
        operation: copy
        inputs: [shuttles]
        outputs: [preprocessed_shuttles]

  reporting:
    nodes:
      - name: approved_companies_node
        operation: filter
        inputs: [preprocessed_companies, params:approval.column, params:approval.value]
        outputs: [approved_companies]
      - name: summary_node
        operation: count_rows
        inputs: [preprocessed_companies, approved_companies, preprocessed_shuttles]
        outputs: [dataset_summary]
`

const companiesCSV = `id,company_rating,company_location,iata_approved
3888,100%,Isle of Man,f
46728,100%,,f
34618,38%,Uzbekistan,f
28619,100%,Bosnia and Herzegovina,t
8240,100%,Chile,t
30342,,Niue,t
`

const shuttlesCSV = `id,shuttle_location,shuttle_type,engine_type,passenger_capacity,price,company_id
63561,Niue,Type V5,Quantum,2,"$1,325.0",35029
36260,Anguilla,Type V5,Quantum,2,"$1,780.0",30292
57015,Russian Federation,Type V5,Quantum,2,"$1,715.0",19032
14035,Barbados,Type V5,Plasma,2,"$4,770.0",8238
10036,Sao Tome and Principe,Type V2,Plasma,3,"$2,015.0",8240
`
