//go:build !notelemetry

package instrument_test

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/instrument"
	"github.com/anontel/anontel/processor/mask"
)

// A cobra tool's tree becomes the masker's allow-list: command words, flag
// names and the values allowed with AllowValues pass; nothing else does.
func ExampleCobraTree() {
	root := &cobra.Command{Use: "pipectl"}
	run := &cobra.Command{Use: "run", Run: func(*cobra.Command, []string) {}}
	run.Flags().StringP("pipeline", "p", "", "pipeline to run")
	run.Flags().String("runner", "sequential", "sequential or parallel")
	instrument.AllowValues(run.Flags(), "runner", "sequential", "parallel")
	root.AddCommand(run)

	m := mask.New(instrument.CobraTree(root))
	fmt.Println(m.Mask([]string{"run", "-p", "ds", "--runner", "parallel", "--token=abc"}).Line)
	// Output: pipectl run -p ***** --runner parallel *****
}

// With DO_NOT_TRACK set, Start builds nothing and says why.
func ExampleStart() {
	t := instrument.Start(instrument.Config{
		Tool:    "pipectl",
		Version: "1.0.0",
		LookupEnv: func(name string) (string, bool) {
			return "1", name == "DO_NOT_TRACK"
		},
	})
	defer t.Shutdown()
	d := t.Decision()
	fmt.Println(t.Recording(), d.Source, d.Detail)
	// Output: false environment DO_NOT_TRACK is set
}
