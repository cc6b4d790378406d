package mask_test

import (
	"fmt"

	"github.com/anontel/anontel/internal/mask"
)

func pipectl() mask.Command {
	return mask.Command{
		Name: "pipectl",
		Commands: []mask.Command{{
			Name: "run",
			Flags: []mask.Flag{
				{Name: "pipeline", Shorthand: "p", TakesValue: true},
				{Name: "env", TakesValue: true},
				{Name: "runner", TakesValue: true, Allowed: []string{"sequential", "parallel"}},
			},
		}},
	}
}

func ExampleMasker_Mask() {
	m := mask.New(pipectl())
	masked := m.Mask([]string{"run", "--pipeline=data_science", "--env", "prod", "--runner", "parallel"})
	fmt.Println(masked.Line)
	masked = m.Mask([]string{"run", "--pipeline", "data_science", "--env=prod"})
	fmt.Println(masked.Line)
	fmt.Println(masked.Path, masked.Secrets)
	// Output:
	// pipectl run --pipeline ***** --env ***** --runner parallel
	// pipectl run --pipeline ***** --env *****
	// [pipectl run] [data_science prod --env=prod]
}
