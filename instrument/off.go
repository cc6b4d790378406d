//go:build notelemetry

package instrument

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Compiled reports whether telemetry is compiled into this build (false
// with the notelemetry build tag).
const Compiled = false

// Telemetry records nothing in this build: telemetry is compiled out.
type Telemetry struct{ cfg Config }

// Start returns a Telemetry that records nothing.
func Start(cfg Config) *Telemetry {
	if cfg.Args == nil && len(os.Args) > 0 {
		cfg.Args = os.Args[1:]
	}
	return &Telemetry{cfg: cfg}
}

// Recording reports false.
func (t *Telemetry) Recording() bool { return false }

// Shutdown does nothing.
func (t *Telemetry) Shutdown() {}

// Invocation does nothing in this build.
type Invocation struct{ ctx context.Context }

// Begin returns an Invocation that records nothing.
func (t *Telemetry) Begin(ctx context.Context) *Invocation { return &Invocation{ctx: ctx} }

// Context returns the context given to Begin.
func (inv *Invocation) Context() context.Context { return inv.ctx }

// End does nothing.
func (inv *Invocation) End(int, error) {}

// SetNewProject does nothing.
func SetNewProject(context.Context, []string, bool) {}

const compiledOut = "Telemetry is compiled out of this build (notelemetry): nothing is collected or sent.\n"

// TelemetryCommand returns a "telemetry" command that says telemetry is
// compiled out, so scripts calling it keep working.
func TelemetryCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "telemetry", Short: "Telemetry is compiled out of this build"}
	for _, name := range []string{"status", "enable", "disable"} {
		cmd.AddCommand(&cobra.Command{
			Use:  name,
			Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				_, err := fmt.Fprint(c.OutOrStdout(), compiledOut)
				return err
			},
		})
	}
	return cmd
}

// WriteStatus says that telemetry is compiled out.
func (t *Telemetry) WriteStatus(w io.Writer) error {
	_, err := fmt.Fprint(w, compiledOut)
	return err
}
