package cobracli

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/anontel/anontel/instrument"
)

// Flag annotations that Tree reads.
const (
	annotationAllowed = "anontel.allowed"
	annotationList    = "anontel.list"
)

// AllowValues lets the given values of flag name pass unmasked (an enum
// such as --runner sequential|parallel). Any other value stays masked.
func AllowValues(flags *pflag.FlagSet, name string, values ...string) error {
	return flags.SetAnnotation(name, annotationAllowed, values)
}

// AllowListValues is AllowValues for a flag whose value is a comma list
// (--tools lint,test): each element is checked on its own.
func AllowListValues(flags *pflag.FlagSet, name string, values ...string) error {
	if err := flags.SetAnnotation(name, annotationList, []string{"true"}); err != nil {
		return err
	}
	return AllowValues(flags, name, values...)
}

// Tree returns root's whole command tree (names, aliases, flags and the
// values allowed by AllowValues) for instrument.Config.Root. It adds cobra's
// default help and completion commands and help flags first, as Execute
// would, so that they are known words too.
func Tree(root *cobra.Command) instrument.Command {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return cobraCommand(root)
}

func cobraCommand(c *cobra.Command) instrument.Command {
	c.InitDefaultHelpFlag()
	c.InitDefaultVersionFlag()
	out := instrument.Command{Name: c.Name(), Aliases: c.Aliases}
	c.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		out.Flags = append(out.Flags, cobraFlag(f, true))
	})
	c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		out.Flags = append(out.Flags, cobraFlag(f, false))
	})
	for _, sub := range c.Commands() {
		out.Commands = append(out.Commands, cobraCommand(sub))
	}
	return out
}

func cobraFlag(f *pflag.Flag, persistent bool) instrument.Flag {
	return instrument.Flag{
		Name:       f.Name,
		Shorthand:  f.Shorthand,
		TakesValue: f.NoOptDefVal == "",
		Allowed:    f.Annotations[annotationAllowed],
		List:       len(f.Annotations[annotationList]) > 0,
		Persistent: persistent,
	}
}

// Execute executes root with the invocation's arguments
// (instrument.Config.Args) inside the invocation's span and returns what
// root.Execute returned; the span records exit code 1 for an error (usage
// errors included), as cobra tools exit. Telemetry never changes the error
// or the output.
func Execute(t *instrument.Telemetry, root *cobra.Command) error {
	inv := t.Begin(context.Background())
	root.SetArgs(t.Args())
	err := root.ExecuteContext(inv.Context())
	code := 0
	if err != nil {
		code = 1
	}
	inv.End(code, err)
	return err
}
