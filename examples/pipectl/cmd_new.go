package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

func newNewCmd(a *app) *cobra.Command {
	var (
		name, directory string
		tools           toolsValue
		example         yesNoValue
		telemetry       yesNoValue
	)
	cmd := &cobra.Command{
		Use:   "new --name NAME",
		Short: "Create a new pipectl project",
		Long: "Create a new pipectl project in DIR/NAME with settings, a data catalog,\n" +
			"parameters and pipeline definitions; --example yes adds example data and pipelines.",
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usageError{errors.New("--name is required")}
			}
			if err := project.ValidateName(name); err != nil {
				return usageError{err}
			}
			chosen := tools.tools
			if chosen == nil {
				chosen = []string{}
			}
			dir, err := project.Create(project.NewOptions{
				Name:        name,
				Directory:   directory,
				Tools:       chosen,
				Example:     example.value,
				ToolVersion: version,
			})
			if err != nil {
				return err
			}
			if a.onProjectCreated != nil {
				if err := a.onProjectCreated(cmd.Context(), dir, telemetry.ptr(), chosen, example.value); err != nil {
					return err
				}
			}
			shown := dir
			if abs, err := filepath.Abs(dir); err == nil {
				shown = abs
			}
			fmt.Fprintf(a.stdout, "Created project %q in %s\n", name, shown)
			if len(chosen) > 0 {
				fmt.Fprintf(a.stdout, "Tools: %s\n", strings.Join(chosen, ", "))
			}
			if example.value {
				fmt.Fprintf(a.stdout, "Example pipelines included; run them with: cd %s && pipectl run\n", filepath.Base(dir))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "project name (letters, digits, spaces, - and _)")
	f.Var(&tools, "tools", "comma list of tools: "+strings.Join(project.AllTools, ","))
	f.Var(&example, "example", "add example data and pipelines (yes|no)")
	f.Var(&telemetry, "telemetry", "allow anonymous usage telemetry for this project (yes|no)")
	f.StringVar(&directory, "directory", "", "folder to create the project in (default: the working directory)")
	return cmd
}
