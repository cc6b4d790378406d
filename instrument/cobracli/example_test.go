package cobracli_test

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/anontel/anontel/instrument/cobracli"
	"github.com/anontel/anontel/internal/mask"
)

// A cobra tool's tree becomes the masker's allow-list: command words, flag
// names and the values allowed with AllowValues pass; nothing else does.
func ExampleTree() {
	root := &cobra.Command{Use: "pipectl"}
	run := &cobra.Command{Use: "run", Run: func(*cobra.Command, []string) {}}
	run.Flags().StringP("pipeline", "p", "", "pipeline to run")
	run.Flags().String("runner", "sequential", "sequential or parallel")
	cobracli.AllowValues(run.Flags(), "runner", "sequential", "parallel")
	root.AddCommand(run)

	m := mask.New(cobracli.Tree(root))
	fmt.Println(m.Mask([]string{"run", "-p", "ds", "--runner", "parallel", "--token=abc"}).Line)
	// Output: pipectl run -p ***** --runner parallel *****
}
