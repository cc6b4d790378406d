package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/collector-config/usage/report"
	"github.com/anontel/anontel/collector-config/usage/store"
)

func reportCmd(dbPath *string) *cobra.Command {
	var since, tool, format, htmlPath string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Answer the maintainers' questions: users, commands, flags, versions, projects, new, CI and consent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := report.Options{Tool: tool}
			if since != "" {
				t, err := parseSince(since)
				if err != nil {
					return err
				}
				o.Since = t
			}
			db, err := openExisting(cmd, *dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := report.Build(cmd.Context(), db.DB, o)
			if err != nil {
				return err
			}
			if htmlPath != "" {
				if err := writeHTML(htmlPath, r); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: the report as one self-contained page\n", htmlPath)
				if !cmd.Flags().Changed("format") {
					return nil
				}
			}
			return r.Write(cmd.OutOrStdout(), format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "only invocations from this date (YYYY-MM-DD, UTC) or time (RFC 3339) on")
	f.StringVar(&tool, "tool", "", "only this tool (service.name)")
	f.StringVar(&format, "format", "text", "text, csv, json or markdown")
	f.StringVar(&htmlPath, "html", "", "write the report with charts to this HTML file (instead of text on stdout, unless --format is given)")
	return cmd
}

// writeHTML writes the page beside its final name and renames it, so a
// reader never sees half a page and a failure leaves no temporary behind.
func writeHTML(path string, r *report.Report) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	err = r.WriteHTML(tmp, time.Now())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want YYYY-MM-DD or an RFC 3339 time", s)
}

// openExisting opens a database that must exist: report and sql on a
// mistyped path should not create an empty one.
func openExisting(cmd *cobra.Command, path string) (*store.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s (run usage load first, or give --db): %w", path, err)
	}
	return store.OpenReadOnly(cmd.Context(), path)
}
