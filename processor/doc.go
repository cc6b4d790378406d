// Package processor is anontel's privacy core: the one place that
// guarantees that nothing is exported without consent and that no argument
// value leaves the process.
//
// It masks with the masker of internal/mask, built once from the tool's
// command tree (Config.Root, an instrument.Command), whose package doc
// gives the masking rules.
//
// A [Processor] is an sdktrace.SpanProcessor placed in front of any other
// (batch, simple, an exporter pipeline). It drops every span while consent
// is off, and otherwise hands downstream a masked copy of each span. What
// follows holds for spans made by any code sharing the provider, not only
// for anontel's own.
//
// # Guaranteed
//
//   - Argument attributes (process.command_args, process.command_line and
//     Config.ArgKeys) go through the masker: they hold only allow-listed
//     words and "*****".
//   - A secret is a token, or part of a token, that the masker masked: in
//     Config.Args, or in an argument attribute of the span, its events,
//     links or resource. Every secret of 3 bytes or more is replaced by
//     "*****" wherever it occurs as a substring of: the span name,
//     attribute keys and string values (at any depth of slices and maps),
//     event names and attributes, link attributes, the status description,
//     and the resource when it is kept. Overlapping and adjacent
//     occurrences become one "*****".
//   - Case is ignored (Unicode simple folding of the lower case, so
//     strings.ToLower, strings.ToUpper and mixed case are all found), and
//     so are these forms code makes of a secret before recording it:
//     quoted with %q or %+q; escaped by url.QueryEscape ('+' for a space)
//     or url.PathEscape; as a path, cleaned (filepath.Clean), its base name
//     (filepath.Base), and made absolute (filepath.Abs against the working
//     directory the process had when the processor was made: the directory
//     goes together with the path); and those paths escaped for URLs.
//   - The resource of every span is replaced by [NewResource]'s, which
//     names the tool, anontel, the runtime, os.type and host.arch and
//     nothing else, or by Config.Resource. Only Config.KeepResource passes
//     the program's own (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME,
//     host and process detectors), masked and scrubbed like the span.
//
// # Not guaranteed
//
//   - Secrets shorter than 3 bytes, or that fold to fewer than 3 bytes (a
//     Kelvin sign folds to K), are masked as argument tokens but not looked
//     for in other text, in any form: they would shred every string. (The
//     folded ones are still looked for byte for byte.)
//   - A string made only of allow-listed words is passed as it is.
//   - Numbers and booleans (and their slices) are passed as they are: an
//     argument "8080" recorded as server.port=8080 is sent.
//   - Config.TrustedKeys are passed as they are, and the keys (not the
//     values) of common semantic-convention attributes and
//     Config.FixedKeys are not scrubbed. Nor is the instrumentation scope.
//   - Any other transformation of an argument: a hash, base64 or hex,
//     encryption, another escaping (JSON's \u00e4, HTML entities), a
//     Unicode normalisation, a part of it (one word of "Alice Smith",
//     the directory of a path, a truncated value), a path resolved through
//     symbolic links or against another directory, a relative path made
//     absolute after an os.Chdir.
//   - Data that is not an argument: what a file or variable the arguments
//     name holds, the working directory on its own, host and user names,
//     query text, remote addresses.
//
// # Attributes to drop
//
// Code that records URLs, file paths and database queries (the url.*,
// file.* and db.* families of the semantic conventions) derives them from
// user input in ways no scrub can follow, and they carry more than the
// arguments: home directories, user names, host names, query parameters,
// SQL text. Drop them when spans go to a vendor: Config.DropKeyPrefixes
// with "url.", "file." and "db." does. "server.", "client.", "network.",
// "host.", "user." and "http.request.header." name people and machines
// too.
package processor
