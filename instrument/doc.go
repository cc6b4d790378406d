// Package instrument turns each invocation of a command-line tool into one
// anonymous OpenTelemetry span, and is the only package a tool's author
// needs to touch.
//
// It asks [consent] whether it may collect, takes anonymous ids from
// [identity], masks the command line, and hands the span to
// [processor] (the privacy guarantee) and then to a local spool that a
// detached uploader ships to the collector (internal/spool). When consent is off it
// builds no OpenTelemetry pipeline at all: no file, no connection, no child
// process. Built with the notelemetry tag, the same API compiles to no-ops
// and the telemetry code is not linked into the tool.
//
// A cobra tool wires it in main, with package cobracli:
//
//	root := newRootCmd()
//	root.AddCommand(cobracli.TelemetryCommand())
//	cfg.Root = cobracli.Tree(root)
//	t := instrument.Start(cfg)
//	err := cobracli.Execute(t, root)
//	t.Shutdown()
//	if err != nil {
//		fmt.Fprintln(os.Stderr, "Error:", err)
//		os.Exit(1)
//	}
//
// Tools on the standard flag package (or anything else) declare their
// [Command] tree and use [Telemetry.Begin] and [Invocation.End] around their
// own dispatch. A command adds what only it knows with [SetAttributes].
//
// The notice: with implicit consent, the first run shows a one-time notice
// on stderr and sends nothing; so does any run whose process started before
// the notice was recorded. Debug mode (<TOOL>_TELEMETRY_DEBUG=1) prints what
// would be sent and writes nothing: no id, no project id, no notice.
package instrument
