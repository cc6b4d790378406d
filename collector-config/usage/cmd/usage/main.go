package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/collector-config/usage/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries an exit code through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var dbPath string
	root := &cobra.Command{
		Use:           "usage",
		Short:         "Usage analytics of anontel spans from the collector's file export, on DuckDB",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&dbPath, "db", "usage.duckdb", "the DuckDB database file")
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		loadCmd(&dbPath),
		reportCmd(&dbPath),
		sqlCmd(&dbPath),
		generateCmd(),
	)
	if err := root.ExecuteContext(ctx); err != nil {
		if e, ok := err.(exitError); ok {
			return e.code
		}
		fmt.Fprintln(stderr, "usage:", err)
		return 2
	}
	return 0
}

func loadCmd(dbPath *string) *cobra.Command {
	return &cobra.Command{
		Use:   "load FILE...",
		Short: "Load file-exporter output (json or proto, zstd or not, rotated backups too) incrementally",
		Long: `Load the collector's file export into the database. Each file is loaded in
one transaction; what was loaded before (by any path, e.g. before the file
was rotated) is not loaded again, and a record the collector is still
writing is left for the next run. Spans outside the README's span contract
are counted and skipped. The exit code is 1 only when a file could not be
loaded and nothing was loaded from any other.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			db, err := store.Open(cmd.Context(), *dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			failed, progressed := 0, 0
			for _, f := range files {
				r := db.LoadFile(cmd.Context(), f)
				fmt.Fprintln(cmd.ErrOrStderr(), r)
				if r.Err != nil {
					failed++
				} else if r.Progress() {
					progressed++
				}
			}
			st, err := db.Stats(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d invocations from %d files (%d spans skipped as outside the span contract)\n",
				*dbPath, st.Invocations, st.Files, st.Skipped)
			if failed > 0 && progressed == 0 {
				return exitError{1}
			}
			return nil
		},
	}
}
