package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

func newPipelineCmd(a *app) *cobra.Command {
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Add an empty pipeline to the project's pipeline definitions",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := project.ValidatePipelineName(args[0]); err != nil {
				return usageError{err}
			}
			root, err := projectRoot()
			if err != nil {
				return err
			}
			if err := project.AddPipeline(root, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Created pipeline %q in %s\n", args[0], project.PipelinesFile)
			return nil
		},
	}
	return groupCmd("pipeline", "Manage the project's pipelines", create)
}

func newCatalogCmd(a *app) *cobra.Command {
	var env string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the datasets in the data catalog",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := projectRoot()
			if err != nil {
				return err
			}
			conf, err := project.Load(root, env)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tTYPE")
			for _, name := range slices.Sorted(maps.Keys(conf.Catalog)) {
				if !project.IsParameter(name) {
					fmt.Fprintf(w, "%s\t%s\n", name, conf.Catalog[name].Type)
				}
			}
			return w.Flush()
		},
	}
	list.Flags().StringVarP(&env, "env", "e", project.DefaultEnv, "configuration environment")
	return groupCmd("catalog", "Inspect the data catalog", list)
}

func newInfoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show pipectl's version and the current project",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "pipectl version %s\n", version)
			root, err := projectRoot()
			if errors.Is(err, project.ErrNotInProject) {
				fmt.Fprintln(a.stdout, "Not inside a pipectl project.")
				return nil
			}
			if err != nil {
				return err
			}
			s, err := project.ReadSettings(root)
			if err != nil {
				return err
			}
			datasets, nodes, pipelines, err := project.Stats(root)
			if err != nil {
				return err
			}
			tools := "none"
			if len(s.Tools) > 0 {
				tools = strings.Join(s.Tools, ", ")
			}
			fmt.Fprintf(a.stdout, "Project:          %s\n", s.ProjectName)
			fmt.Fprintf(a.stdout, "Package:          %s\n", s.PackageName)
			fmt.Fprintf(a.stdout, "Root:             %s\n", root)
			fmt.Fprintf(a.stdout, "Tools:            %s\n", tools)
			fmt.Fprintf(a.stdout, "Example pipeline: %t\n", s.ExamplePipeline)
			fmt.Fprintf(a.stdout, "Datasets:         %d\n", datasets)
			fmt.Fprintf(a.stdout, "Pipelines:        %d\n", pipelines)
			fmt.Fprintf(a.stdout, "Default nodes:    %d\n", nodes)
			return nil
		},
	}
}
