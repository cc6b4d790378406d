// Package processor is anontel's privacy core: the one place that
// guarantees that nothing is exported without consent and that no argument
// value leaves the process.
//
// It masks with a [mask.Masker] (package processor/mask), built once from
// the tool's command tree.
//
// A [Processor] is an sdktrace.SpanProcessor placed in front of any other
// (batch, simple, an exporter pipeline). It drops every span while consent
// is off, and otherwise hands downstream a masked copy of each span: the
// argument attributes (process.command_args, process.command_line and
// configured keys) go through the masker, and every raw argument token the
// masker masked is replaced by "*****" wherever it appears in the span name,
// attribute keys and values, events (exception.message), links, status
// and resource. This holds for spans made by any code sharing the
// provider, not only for anontel's own.
package processor
