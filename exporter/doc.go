// Package exporter ships spans over OTLP/HTTP without ever slowing down or
// breaking the program that records them.
//
// # Two ways out
//
// NewDirect is for long-running programs and existing TracerProviders: an
// OTLP/HTTP exporter with gzip, a short timeout per request and a bounded
// retry that honours Retry-After, whose failures go to the debug log only.
//
// For command-line tools, the default is the spool: Spool, a SpanExporter,
// keeps the spans of one invocation in memory and at exit writes them to
// one file, a ready OTLP/HTTP request body. StartUploader then starts a
// detached uploader that sends the spool to the collector while the
// command has already returned. The command never waits on the network:
// its telemetry cost is encoding and writing one small file (a few tens of
// microseconds) plus starting a process.
//
// # The uploader
//
// The uploader is the tool's own executable, started again with no
// arguments and the marker <TOOL>_TELEMETRY_UPLOAD=1 in its environment,
// in its own session, with stdin, stdout and stderr on the null device,
// and not waited for (as azd and Go's telemetry do). The tool calls
// IsUploader first thing in main and, when it is true, Upload and exits.
// Spans never travel through argv or the environment; the child reads the
// spool. There is no drain at the start of the next invocation: that would
// put the network on the command's path.
//
// Upload holds a file lock (one uploader at a time; a second one returns
// at once, and a command that finds the lock held starts none: the one at
// work looks at the spool again after letting go of the lock), stops at a wall-clock deadline (10 s by default; each request
// 5 s), and removes a file only after the collector answered 2xx, so
// delivery is at least once. A 4xx answer other than 408 and 429 drops the
// file (it would never be accepted); 408, 429, 5xx, network errors and
// timeouts keep it, and no uploader is started again before the
// collector's Retry-After (at most 6 h) or 2 minutes have passed, so an
// offline machine does not start an uploader per command. The next
// command after that sends everything recorded in between.
//
// # The spool
//
// The spool folder is os.UserCacheDir()/<tool>/spool/<endpoint key> unless
// Config.SpoolDir says otherwise: on Linux $XDG_CACHE_HOME/<tool>/spool or
// ~/.cache/<tool>/spool, on macOS ~/Library/Caches/<tool>/spool, on Windows
// %LocalAppData%\<tool>\spool, then one folder per collector endpoint (16
// hex characters of its SHA-256), so that spans recorded for one collector
// are never sent to another; an uploader also drops what is over the limits
// in the other endpoints' folders. Each folder is 0700; each file is 0600, named
// <unix-nanoseconds>-<pid>-<random>.otlp, holds one invocation's spans as
// an uncompressed OTLP ExportTraceServiceRequest in protobuf, and is
// written to a temporary name and renamed. The folder also holds
// upload.lock (the uploader's lock) and, after a failure, upload.next (the
// time before which no upload is tried).
//
// Limits, oldest files dropped first: 100 files, 4 MiB in total, 7 days
// of age, 1000 spans per invocation (Config.MaxFiles, MaxBytes, MaxAge,
// MaxSpans). A file that cannot be decoded is dropped by the uploader.
// Deleting the spool folder empties the spool, at any time; it is created
// again, 0700, when there is something to write.
//
// # Endpoint
//
// The tool author sets the collector in Config.Endpoint; a user or a team
// routes the tool's telemetry to their own collector with
// <TOOL>_TELEMETRY_ENDPOINT. The standard OTEL_EXPORTER_OTLP_* variables
// do not apply: they configure the user's own services, which must not
// silently capture, or reshape, a vendor tool's telemetry. Plain http://
// is accepted for loopback hosts only, unless Config.AllowInsecure.
//
// # Debug
//
// NewDebug writes what would be sent, the exact request the spool would
// store rendered as OTLP JSON, and sends nothing.
package exporter
