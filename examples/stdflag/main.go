// Command stdflag is a tool on the standard flag package with anontel
// telemetry: the framework-neutral path, Telemetry.Begin and
// Invocation.End around the tool's own dispatch.
//
//	go run ./examples/stdflag greet -name Ada -loud
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/anontel/anontel/instrument"
)

var version = "1.0.0"

// commands is the tool's command tree, for the masker: "greet -name X"
// is sent as "stdflag greet -name *****".
var commands = instrument.Command{
	SingleDash: true, // -name, as the flag package parses it
	Commands: []instrument.Command{{
		Name: "greet",
		Flags: []instrument.Flag{
			{Name: "name", TakesValue: true},
			{Name: "loud"},
		},
	}},
}

func main() {
	t := instrument.Start(instrument.Config{
		Tool:     "stdflag",
		Version:  version,
		Endpoint: "http://127.0.0.1:4318",
		Root:     commands,
	})
	inv := t.Begin(context.Background())
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	inv.End(code, err)
	t.Shutdown()
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "greet" {
		fmt.Fprintln(stderr, "usage: stdflag greet -name NAME [-loud]")
		return 2, fmt.Errorf("unknown command")
	}
	fs := flag.NewFlagSet("greet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "world", "who to greet")
	loud := fs.Bool("loud", false, "shout")
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	msg := "hello, " + *name
	if *loud {
		msg = strings.ToUpper(msg)
	}
	fmt.Fprintln(stdout, msg)
	return 0, nil
}
