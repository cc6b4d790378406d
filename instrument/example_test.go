//go:build !notelemetry

package instrument_test

import (
	"fmt"

	"github.com/anontel/anontel/instrument"
)

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
