package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

func generateCmd() *cobra.Command {
	cfg := synth.Demo()
	var opts exportfile.Options
	var start string
	var batch int
	cmd := &cobra.Command{
		Use:   "generate FILE",
		Short: "Write seeded synthetic usage as the collector's file exporter would (the demo data)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := time.Parse(time.DateOnly, start)
			if err != nil {
				return fmt.Errorf("--start: %w", err)
			}
			cfg.Start = t
			ev := synth.Generate(cfg)
			f, err := os.OpenFile(args[0], os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			w, err := exportfile.NewWriter(f, opts)
			if err == nil {
				err = synth.Write(w, ev, cfg.Tool, batch)
			}
			if err == nil {
				err = w.Close()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(args[0])
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d invocations of %s by %d users in %d projects over %d weeks\n",
				args[0], len(ev), cfg.Tool, cfg.Users, cfg.Projects, cfg.Weeks)
			return nil
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	f.IntVar(&cfg.Users, "users", cfg.Users, "users")
	f.IntVar(&cfg.Projects, "projects", cfg.Projects, "projects")
	f.IntVar(&cfg.Weeks, "weeks", cfg.Weeks, "weeks of activity (a release every 3 weeks)")
	f.Float64Var(&cfg.CIShare, "ci-share", cfg.CIShare, "share of users that are CI machines")
	f.StringVar(&cfg.Tool, "tool", cfg.Tool, "the tool's name (service.name)")
	f.StringVar(&start, "start", cfg.Start.Format(time.DateOnly), "the first day (a Monday)")
	f.StringVar(&opts.Format, "format", "json", "the file exporter's format: json or proto")
	f.StringVar(&opts.Compression, "compression", "", "the file exporter's compression: zstd or none")
	f.BoolVar(&opts.NativeCompression, "native-compression", false, "zstd the whole file (the exporter.file.nativeCompression feature gate)")
	f.IntVar(&batch, "batch", 50, "spans per record (the collector's batching)")
	return cmd
}
