package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/examples/pipectl/internal/project"
	"github.com/anontel/anontel/identity"
	"github.com/anontel/anontel/instrument"
	"github.com/anontel/anontel/instrument/cobracli"
)

// defaultEndpoint is where pipectl sends its telemetry unless
// PIPECTL_TELEMETRY_ENDPOINT says otherwise: a collector on this machine,
// so that the demo works locally. A real tool names its own collector.
const defaultEndpoint = "http://127.0.0.1:4318"

// telemetryConfig is everything anontel needs to know about pipectl.
func telemetryConfig(root *cobra.Command, args []string, stderr io.Writer) instrument.Config {
	return instrument.Config{
		Tool:     "pipectl",
		Version:  version,
		Endpoint: defaultEndpoint,
		Root:     cobracli.Tree(root),
		Project: identity.ProjectFile{
			Name:           "pyproject.toml",
			Table:          "tool.pipectl",
			PackageNameKey: "package_name",
			IDTable:        "tool.pipectl_telemetry",
			IDKey:          "project_id",
		},
		ProjectAttributes: func(dir string) ([]instrument.Attr, error) {
			datasets, nodes, pipelines, err := project.Stats(dir)
			return instrument.ProjectCounts(datasets, nodes, pipelines), err
		},
		Args:   args,
		Stderr: stderr,
	}
}

// runWithTelemetry is run with anonymous usage telemetry: one span per
// invocation, sent only with consent and with every argument value masked.
func runWithTelemetry(args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, onProjectCreated: recordNewProject}
	root := newRootCmd(a)
	allowFlagValues(root)
	t := instrument.Start(telemetryConfig(root, args, stderr))
	err := cobracli.Execute(t, root)
	t.Shutdown()
	return a.exitCode(err)
}

// allowFlagValues names the flag values that may be sent as they are: the
// fixed choices. Everything else a user types is masked.
func allowFlagValues(root *cobra.Command) {
	yesNo := []string{"yes", "no", "y", "n"}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "new":
			cobracli.AllowListValues(c.Flags(), "tools", project.AllTools...)
			cobracli.AllowValues(c.Flags(), "example", yesNo...)
			cobracli.AllowValues(c.Flags(), "telemetry", yesNo...)
		case "run":
			cobracli.AllowValues(c.Flags(), "runner", "sequential", "parallel")
		}
	}
}

// recordNewProject writes the new project's .telemetry when --telemetry was
// given, and records the choices of `new` on its span. The span of `new`
// itself is still sent (consent was decided where `new` ran), as Kedro does.
func recordNewProject(ctx context.Context, dir string, telemetry *bool, tools []string, example bool) error {
	if telemetry != nil {
		if err := consent.WriteProjectConsent(dir, *telemetry); err != nil {
			return err
		}
	}
	instrument.SetAttributes(ctx, instrument.NewProjectChoices(tools, project.AllTools, example)...)
	return nil
}
