package cobracli

import (
	"github.com/spf13/cobra"

	"github.com/anontel/anontel/instrument"
)

// TelemetryCommand returns the "telemetry" command with its status,
// enable and disable subcommands. It finds the Telemetry through the
// command's context, so it works under Execute.
func TelemetryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "telemetry",
		Short: "Show or change what anonymous usage data is collected",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "status",
			Short: "Explain whether telemetry is on, why, and what it collects",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				return instrument.FromContext(c.Context()).WriteStatus(c.OutOrStdout())
			},
		},
		&cobra.Command{
			Use:   "enable",
			Short: "Allow anonymous usage data for this user",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				return instrument.FromContext(c.Context()).SetUserChoice(true, c.OutOrStdout())
			},
		},
		&cobra.Command{
			Use:   "disable",
			Short: "Stop anonymous usage data for this user and delete what is queued",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				return instrument.FromContext(c.Context()).SetUserChoice(false, c.OutOrStdout())
			},
		},
	)
	return cmd
}
