package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/anontel/anontel/internal/atomicfile"
)

var pipelineNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidatePipelineName accepts names made of letters, digits and
// underscores, not starting with a digit.
func ValidatePipelineName(name string) error {
	if !pipelineNameRE.MatchString(name) {
		return fmt.Errorf("invalid pipeline name %q: use letters, digits and underscores, not starting with a digit", name)
	}
	return nil
}

// AddPipeline adds an empty pipeline to the project's pipelines file,
// keeping the rest of the file (comments included) and replacing it
// atomically. It fails if the pipeline exists.
func AddPipeline(root, name string) error {
	if err := ValidatePipelineName(name); err != nil {
		return err
	}
	path := filepath.Join(root, PipelinesFile)
	perm := os.FileMode(0o644)
	var doc yaml.Node
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("project: reading %s: %w", PipelinesFile, err)
	default:
		if fi, err := os.Stat(path); err == nil {
			perm = fi.Mode().Perm()
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("project: parsing %s: %w", PipelinesFile, err)
		}
	}
	if doc.Kind == 0 { // absent or empty file
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("project: %s: top level is not a mapping", PipelinesFile)
	}
	var pipes *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "pipelines" {
			pipes = top.Content[i+1]
		}
	}
	if pipes == nil || (pipes.Kind == yaml.ScalarNode && pipes.Tag == "!!null") {
		if pipes == nil {
			top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "pipelines"}, &yaml.Node{})
			pipes = top.Content[len(top.Content)-1]
		}
		*pipes = yaml.Node{Kind: yaml.MappingNode}
	}
	if pipes.Kind != yaml.MappingNode {
		return fmt.Errorf("project: %s: pipelines is not a mapping", PipelinesFile)
	}
	for i := 0; i < len(pipes.Content); i += 2 {
		if pipes.Content[i].Value == name {
			return fmt.Errorf("pipeline %q already exists", name)
		}
	}
	out, ok := insertPipelineText(data, top, pipes, name)
	if !ok {
		// The file's layout defeats a text insertion; re-encode it instead,
		// which keeps comments but not blank lines or quoting style.
		var value yaml.Node
		if err := value.Encode(Pipeline{Nodes: []Node{}}); err != nil {
			return fmt.Errorf("project: encoding pipeline: %w", err)
		}
		pipes.Content = append(pipes.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, &value)
		if out, err = encodeYAML(&doc); err != nil {
			return err
		}
	}
	if err := atomicfile.WriteFile(path, out, perm, true); err != nil {
		return fmt.Errorf("project: writing %s: %w", PipelinesFile, err)
	}
	return nil
}

// insertPipelineText adds "name: {nodes: []}" as text after the last entry
// of a block-style pipelines mapping, so the rest of the file stays byte for
// byte. ok is false when that cannot be done, or the result does not parse
// to the old pipelines plus the new one.
func insertPipelineText(data []byte, top, pipes *yaml.Node, name string) (out []byte, ok bool) {
	if len(data) == 0 || pipes.Style&yaml.FlowStyle != 0 || len(pipes.Content) == 0 {
		return nil, false
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	// The pipelines mapping ends where the next top-level key starts.
	end := len(lines)
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i+1] == pipes && i+2 < len(top.Content) {
			end = top.Content[i+2].Line - 1
			if c := top.Content[i+2].HeadComment; c != "" {
				end -= strings.Count(c, "\n") + 1
			}
		}
	}
	// Step back over blank lines and comments at the left margin.
	for end > 0 {
		t := strings.TrimSpace(lines[end-1])
		if t != "" && !(strings.HasPrefix(t, "#") && !strings.HasPrefix(lines[end-1], " ")) {
			break
		}
		end--
	}
	if end <= 0 || end > len(lines) {
		return nil, false
	}
	key, err := yaml.Marshal(name)
	if err != nil {
		return nil, false
	}
	indent := strings.Repeat(" ", pipes.Content[0].Column-1)
	entry := indent + strings.TrimSpace(string(key)) + ":\n" + indent + "  nodes: []\n"
	if strings.Contains(string(data), "\n\n"+indent+pipes.Content[2*(len(pipes.Content)/2-1)].Value+":") {
		entry = "\n" + entry // entries are separated by blank lines
	}
	var b strings.Builder
	for i, l := range lines {
		if i == end {
			b.WriteString(entry)
		}
		if i == end-1 && !strings.HasSuffix(l, "\n") {
			l += "\n"
		}
		b.WriteString(l)
	}
	if end == len(lines) {
		b.WriteString(entry)
	}
	out = []byte(b.String())

	var before, after pipelinesDoc
	if yaml.Unmarshal(data, &before) != nil || yaml.Unmarshal(out, &after) != nil {
		return nil, false
	}
	p, exists := after.Pipelines[name]
	if !exists || len(p.Nodes) != 0 || len(p.Include) != 0 || len(after.Pipelines) != len(before.Pipelines)+1 {
		return nil, false
	}
	for k := range before.Pipelines {
		if _, ok := after.Pipelines[k]; !ok {
			return nil, false
		}
	}
	return out, true
}
