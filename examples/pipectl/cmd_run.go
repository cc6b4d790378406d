package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/examples/pipectl/internal/engine"
	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

func newRunCmd(a *app) *cobra.Command {
	var (
		pipeline, env, params string
		nodes                 []string
		async                 bool
		runner                = choiceValue{value: "sequential", choices: []string{"sequential", "parallel"}}
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a pipeline of the current project",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			overrides, err := project.ParseParams(params)
			if err != nil {
				return usageError{fmt.Errorf("--params: %w", err)}
			}
			root, err := projectRoot()
			if err != nil {
				return err
			}
			conf, err := project.Load(root, env)
			if err != nil {
				return err
			}
			for k, v := range overrides {
				conf.SetParameter(k, v)
			}
			res, err := engine.Run(cmd.Context(), engine.Config{
				Project:  conf,
				Pipeline: pipeline,
				Nodes:    nodes,
				Parallel: runner.value == "parallel",
				Async:    async,
				Out:      a.stdout,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Pipeline %q completed: %d node(s) ran with the %s runner", res.Pipeline, res.NodesRun, runner.value)
			if len(res.Saved) > 0 {
				fmt.Fprintf(a.stdout, "; saved %s", strings.Join(res.Saved, ", "))
			}
			fmt.Fprintln(a.stdout, ".")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&pipeline, "pipeline", "p", project.DefaultPipeline, "pipeline to run")
	f.StringVarP(&env, "env", "e", project.DefaultEnv, "configuration environment (conf/<env> overrides conf/base)")
	f.StringVar(&params, "params", "", "parameter overrides, key=value,key2=value2 (dotted keys reach nested values)")
	f.StringSliceVar(&nodes, "nodes", nil, "run only these nodes (comma list)")
	f.Var(&runner, "runner", "sequential or parallel (independent nodes run concurrently)")
	f.BoolVar(&async, "async", false, "save datasets in the background while later nodes run")
	return cmd
}
