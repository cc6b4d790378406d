// Package processor is anontel's privacy core: the one place that
// guarantees that nothing is exported without consent and that no argument
// value leaves the process.
//
// A [Masker], built once from the tool's command tree, turns an argument
// vector into its masked form: command words, known flag names and
// allow-listed flag values are kept, everything else becomes [Mask]
// ("*****"). It resolves the command path the way cobra does and closes the
// leaks Kedro's masking had (--help foo, unknown flags, --flag=value,
// -fvalue, everything after --).
//
// A [Processor] is an sdktrace.SpanProcessor placed in front of any other
// (batch, simple, an exporter pipeline). It drops every span while consent
// is off, and otherwise hands downstream a masked copy of each span: the
// argument attributes (process.command_args, process.command_line and
// configured keys) go through the masker, and every raw argument token the
// masker masked is replaced by Mask wherever it appears in the span name,
// attribute keys and values, events (exception.message), links, status
// and resource. This holds for spans made by any code sharing the
// provider, not only for anontel's own.
package processor
