package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
	"github.com/anontel/anontel/instrument/cobracli"
)

// version is pipectl's version, printed by --version and info.
var version = "0.3.0"

// app holds what one invocation of pipectl works with. Its func fields are
// the seams where telemetry is wired in; nil means do nothing.
type app struct {
	stdout, stderr io.Writer

	// onProjectCreated is called by `new` (with its command context) after
	// the project folder dir has
	// been written. telemetry is the --telemetry choice (nil when the flag
	// was not given); tools and example are the validated --tools and
	// --example choices. An error makes `new` fail (the project stays).
	onProjectCreated func(ctx context.Context, dir string, telemetry *bool, tools []string, example bool) error
}

// run executes pipectl with args and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	return a.execute(args)
}

// execute runs the command tree, recording nothing, and reports any error
// on stderr.
func (a *app) execute(args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	return a.exitCode(root.Execute())
}

// exitCode reports err on stderr and returns the process exit code.
func (a *app) exitCode(err error) int {
	if err != nil {
		fmt.Fprintf(a.stderr, "Error: %v\n", err)
		if isUsageError(err) {
			fmt.Fprintf(a.stderr, "Run 'pipectl --help' for usage.\n")
		}
		return 1
	}
	return 0
}

// newRootCmd builds the whole pipectl command tree.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "pipectl",
		Short:         "Build, run and inspect data pipelines",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runnable with argument checking, so that an unknown command is an
		// error (exit 1) rather than cobra printing help.
		Args: groupArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		newNewCmd(a),
		newRunCmd(a),
		newPipelineCmd(a),
		newCatalogCmd(a),
		newInfoCmd(a),
		cobracli.TelemetryCommand(),
	)
	return root
}

// groupCmd returns a command that only groups subcommands.
func groupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  groupArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	c.AddCommand(subs...)
	return c
}

// groupArgs rejects arguments to a command that only has subcommands: they
// name a subcommand that does not exist.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{errors.New(msg)}
}

// exactArgs is cobra.ExactArgs whose error is a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// usageError marks an error in how pipectl was called (unknown command or
// flag, bad flag value, wrong arguments), as opposed to a failure doing it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// projectRoot finds the project containing the working directory.
func projectRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	return project.FindRoot(wd)
}
