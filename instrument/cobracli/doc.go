// Package cobracli wires anontel into a tool built on cobra: the command
// tree for the masker (Tree), the flag values that may be sent as typed
// (AllowValues, AllowListValues), running the root command inside the
// invocation's span (Execute), and the "telemetry" command
// (TelemetryCommand).
//
// It is apart from package instrument so that a tool on the standard flag
// package, or any other framework, does not link cobra.
//
//	root := newRootCmd()
//	root.AddCommand(cobracli.TelemetryCommand())
//	cobracli.AllowValues(runCmd.Flags(), "runner", "sequential", "parallel")
//	t := instrument.Start(instrument.Config{Tool: "pipectl", Version: version,
//		Endpoint: "https://telemetry.example.com", Root: cobracli.Tree(root)})
//	err := cobracli.Execute(t, root)
//	t.Shutdown()
package cobracli
