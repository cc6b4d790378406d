package instrument

import "github.com/anontel/anontel/internal/mask"

// Attr is one span attribute that a tool adds to its invocations
// (SetAttributes, Config.ProjectAttributes). Build it with String, Int,
// Bool or Strings. Its value goes through the processor like any other:
// argument values in it are scrubbed.
type Attr struct {
	key  string
	kind attrKind
	str  string
	num  int64
	flag bool
	strs []string
}

type attrKind int

const (
	kindString attrKind = iota + 1
	kindInt
	kindBool
	kindStrings
)

// String returns a string attribute.
func String(key, value string) Attr { return Attr{key: key, kind: kindString, str: value} }

// Int returns an integer attribute.
func Int(key string, value int) Attr { return Attr{key: key, kind: kindInt, num: int64(value)} }

// Bool returns a boolean attribute.
func Bool(key string, value bool) Attr { return Attr{key: key, kind: kindBool, flag: value} }

// Strings returns a string-array attribute.
func Strings(key string, values []string) Attr {
	return Attr{key: key, kind: kindStrings, strs: append([]string(nil), values...)}
}

// The keys of the span contract (README.md) that a tool sets through
// these helpers.
const (
	keyDatasets   = "cli.project.datasets"
	keyNodes      = "cli.project.nodes"
	keyPipelines  = "cli.project.pipelines"
	keyNewTools   = "cli.new.tools"
	keyNewExample = "cli.new.example_pipeline"
)

// ProjectCounts returns the project counts of the span contract:
// cli.project.datasets, cli.project.nodes and cli.project.pipelines.
func ProjectCounts(datasets, nodes, pipelines int) []Attr {
	return []Attr{Int(keyDatasets, datasets), Int(keyNodes, nodes), Int(keyPipelines, pipelines)}
}

// NewProjectChoices returns the choices of a "new" command in the span
// contract: cli.new.tools, with every tool not in allowed masked, and
// cli.new.example_pipeline.
func NewProjectChoices(tools, allowed []string, examplePipeline bool) []Attr {
	out := make([]string, len(tools))
	for i, v := range tools {
		out[i] = mask.Placeholder
		for _, a := range allowed {
			if v == a {
				out[i] = v
				break
			}
		}
	}
	return []Attr{Strings(keyNewTools, out), Bool(keyNewExample, examplePipeline)}
}
