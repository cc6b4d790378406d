package processor

import "github.com/anontel/anontel/internal/mask"

// testTree is a small cobra-like tool used by all tests of this package.
func testTree() mask.Command {
	return mask.Command{
		Name: "pipectl",
		Flags: []mask.Flag{
			{Name: "verbose", Shorthand: "v", Persistent: true},
			{Name: "config", Shorthand: "c", TakesValue: true, Persistent: true},
			{Name: "log-format", TakesValue: true, Allowed: []string{"json", "text"}, Persistent: true},
		},
		Commands: []mask.Command{
			{Name: "info"},
			{Name: "run", Aliases: []string{"r"}, Flags: []mask.Flag{
				{Name: "pipeline", Shorthand: "p", TakesValue: true},
				{Name: "env", Shorthand: "e", TakesValue: true},
				{Name: "params", TakesValue: true},
				{Name: "runner", TakesValue: true, Allowed: []string{"sequential", "parallel"}},
				{Name: "tags", Shorthand: "t", TakesValue: true, List: true, Allowed: []string{"lint", "test"}},
				{Name: "dry-run", Shorthand: "d"},
				{Name: "async", Shorthand: "a"},
			}},
			{Name: "pipeline", Commands: []mask.Command{
				{Name: "create", Flags: []mask.Flag{{Name: "skip-config", Shorthand: "s"}}},
				{Name: "delete"},
			}},
			{Name: "new", Flags: []mask.Flag{
				{Name: "starter", TakesValue: true, Allowed: []string{"spaceflights-pandas", "astro-airflow-iris"}},
				{Name: "name", TakesValue: true},
				{Name: "telemetry", TakesValue: true, Allowed: []string{"yes", "no"}},
			}},
		},
	}
}
