package project

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Dataset is one entry of the data catalog.
type Dataset struct {
	Type     string `yaml:"type"`
	Filepath string `yaml:"filepath,omitempty"`
}

// Node is one step of a pipeline: it applies Operation to the datasets named
// in Inputs and stores the results under the names in Outputs.
type Node struct {
	Name      string   `yaml:"name"`
	Operation string   `yaml:"operation"`
	Inputs    []string `yaml:"inputs,flow"`
	Outputs   []string `yaml:"outputs,flow"`
}

// Pipeline is an ordered list of nodes, preceded by the nodes of the
// pipelines it includes.
type Pipeline struct {
	Include []string `yaml:"include,omitempty,flow"`
	Nodes   []Node   `yaml:"nodes"`
}

type pipelinesDoc struct {
	Pipelines map[string]Pipeline `yaml:"pipelines"`
}

// Config is a project's configuration for one environment.
type Config struct {
	Root       string
	Env        string
	Catalog    map[string]Dataset
	Parameters map[string]any
	Pipelines  map[string]Pipeline
}

// IsParameter reports whether a dataset name refers to parameters rather
// than data ("parameters" or "params:<key>").
func IsParameter(name string) bool {
	return strings.HasPrefix(name, "params:") || strings.HasPrefix(name, "parameters")
}

// Load reads the configuration of the project rooted at root: conf/base,
// then conf/<env> whose catalog entries and top-level parameters replace
// those of base. An empty env means DefaultEnv, whose folder may be absent;
// any other environment must exist.
func Load(root, env string) (*Config, error) {
	if env == "" {
		env = DefaultEnv
	}
	if env == BaseEnv {
		return nil, fmt.Errorf("project: environment %q is the base configuration; name another environment", env)
	}
	c := &Config{Root: root, Env: env, Catalog: map[string]Dataset{}, Parameters: map[string]any{}}
	if err := c.loadEnv(BaseEnv); err != nil {
		return nil, err
	}
	envDir := filepath.Join(root, ConfDir, env)
	if fi, err := os.Stat(envDir); err == nil && fi.IsDir() {
		if err := c.loadEnv(env); err != nil {
			return nil, err
		}
	} else if env != DefaultEnv {
		return nil, fmt.Errorf("project: configuration environment %q not found (no folder %s)", env, filepath.Join(ConfDir, env))
	}
	p, err := readPipelines(root)
	if err != nil {
		return nil, err
	}
	c.Pipelines = p
	return c, nil
}

func (c *Config) loadEnv(env string) error {
	var catalog map[string]Dataset
	if err := readYAML(filepath.Join(c.Root, ConfDir, env, CatalogFile), &catalog); err != nil {
		return err
	}
	maps.Copy(c.Catalog, catalog)
	var params map[string]any
	if err := readYAML(filepath.Join(c.Root, ConfDir, env, ParametersFile), &params); err != nil {
		return err
	}
	maps.Copy(c.Parameters, params)
	return nil
}

// readYAML decodes path into v; an absent or empty file leaves v unchanged.
func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("project: reading %s: %w", filepath.Base(path), err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("project: parsing %s: %w", path, err)
	}
	return nil
}

func readPipelines(root string) (map[string]Pipeline, error) {
	var doc pipelinesDoc
	if err := readYAML(filepath.Join(root, PipelinesFile), &doc); err != nil {
		return nil, err
	}
	if doc.Pipelines == nil {
		doc.Pipelines = map[string]Pipeline{}
	}
	return doc.Pipelines, nil
}

// PipelineNames returns the names of all pipelines, sorted.
func (c *Config) PipelineNames() []string {
	return slices.Sorted(maps.Keys(c.Pipelines))
}

// Nodes returns the nodes of the named pipeline: those of its includes, in
// order, then its own. A node included twice appears once.
func (c *Config) Nodes(pipeline string) ([]Node, error) {
	if _, ok := c.Pipelines[pipeline]; !ok {
		return nil, fmt.Errorf("pipeline %q not found; known pipelines: %s", pipeline, strings.Join(c.PipelineNames(), ", "))
	}
	var nodes []Node
	seen := map[string]Node{}
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		if slices.Contains(path, name) {
			return fmt.Errorf("pipeline %q includes itself (%s)", name, strings.Join(append(path, name), " -> "))
		}
		p, ok := c.Pipelines[name]
		if !ok {
			return fmt.Errorf("pipeline %q includes unknown pipeline %q", path[len(path)-1], name)
		}
		path = append(path, name)
		for _, inc := range p.Include {
			if err := visit(inc, path); err != nil {
				return err
			}
		}
		for _, n := range p.Nodes {
			if n.Name == "" {
				return fmt.Errorf("pipeline %q has a node without a name", name)
			}
			if prev, dup := seen[n.Name]; dup {
				if slices.Equal(prev.Inputs, n.Inputs) && slices.Equal(prev.Outputs, n.Outputs) && prev.Operation == n.Operation {
					continue // the same node reached through two includes
				}
				return fmt.Errorf("pipeline %q has two different nodes named %q", pipeline, n.Name)
			}
			seen[n.Name] = n
			nodes = append(nodes, n)
		}
		return nil
	}
	if err := visit(pipeline, nil); err != nil {
		return nil, err
	}
	return nodes, nil
}

// Parameter returns the parameter at a dotted key ("model.depth").
func (c *Config) Parameter(key string) (any, bool) {
	var cur any = c.Parameters
	for part := range strings.SplitSeq(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// SetParameter sets the parameter at a dotted key, creating nested maps as
// needed and replacing a non-map value on the way.
func (c *Config) SetParameter(key string, value any) {
	m := c.Parameters
	parts := strings.Split(key, ".")
	for _, part := range parts[:len(parts)-1] {
		next, ok := m[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[part] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
}

// ParseParams parses "key=value,key2=value2" as given to `run --params`.
// Keys may be dotted; values are read as YAML scalars, so 3 is a number and
// true a boolean.
func ParseParams(s string) (map[string]any, error) {
	out := map[string]any{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid parameter %q: want key=value", item)
		}
		var val any
		if err := yaml.Unmarshal([]byte(strings.TrimSpace(v)), &val); err != nil || isCollection(val) {
			val = strings.TrimSpace(v)
		}
		if val == nil {
			val = strings.TrimSpace(v) // "" and "null" stay strings
		}
		out[k] = val
	}
	return out, nil
}

func isCollection(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}
