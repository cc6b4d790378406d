package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/collector-config/usage/store"
)

func sqlCmd(dbPath *string) *cobra.Command {
	var schema bool
	cmd := &cobra.Command{
		Use:   "sql [QUERY]",
		Short: "Query the database (read-only) through the documented invocations view",
		Long: `Run SQL on the database, opened read-only. With a QUERY argument, run it;
otherwise read statements (each ending with ';') from standard input. The
view invocations has one row per span; --schema lists its columns.`,
		Example: `  usage sql "SELECT command, count(*) FROM invocations GROUP BY ALL ORDER BY 2 DESC"
  echo "SELECT count(DISTINCT enduser_pseudo_id) FROM invocations;" | usage sql`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if schema {
				return printSchema(out)
			}
			db, err := openExisting(cmd, *dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			if len(args) == 1 {
				return query(cmd, db, args[0])
			}
			interactive := false
			if f, ok := cmd.InOrStdin().(*os.File); ok {
				if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
					interactive = true
				}
			}
			if interactive {
				fmt.Fprintf(out, "%s (read-only). The view invocations has one row per span:\n", *dbPath)
				printSchema(out)
				fmt.Fprint(out, "End each statement with ';'. Ctrl-D quits.\nusage> ")
			}
			var stmt strings.Builder
			failed := false
			sc := bufio.NewScanner(cmd.InOrStdin())
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			for sc.Scan() {
				stmt.WriteString(sc.Text() + "\n")
				if strings.HasSuffix(strings.TrimSpace(sc.Text()), ";") {
					if err := query(cmd, db, stmt.String()); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
						failed = true
					}
					stmt.Reset()
					if interactive {
						fmt.Fprint(out, "usage> ")
					}
				}
			}
			if s := strings.TrimSpace(stmt.String()); s != "" {
				if err := query(cmd, db, s); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
					failed = true
				}
			}
			if failed {
				return exitError{1}
			}
			return sc.Err()
		},
	}
	cmd.Flags().BoolVar(&schema, "schema", false, "list the invocations view's columns and stop")
	return cmd
}

func printSchema(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  column\ttype\tspan key\tnote")
	for _, c := range store.View {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Name, c.Type, c.Key, c.Doc)
	}
	return tw.Flush()
}

// query runs one statement and prints its rows as an aligned table.
func query(cmd *cobra.Command, db *store.DB, q string) error {
	rows, err := db.QueryContext(cmd.Context(), q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			cells[i] = cell(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	tw.Flush()
	fmt.Fprintf(cmd.ErrOrStderr(), "(%d rows)\n", n)
	return nil
}

func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("%x", v)
	case sql.RawBytes:
		return string(v)
	}
	s := fmt.Sprint(v)
	return strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
}
