// Package exporter ships spans over OTLP/HTTP for programs that already
// have an OpenTelemetry TracerProvider, without ever slowing down or
// breaking them.
//
// NewDirect is an OTLP/HTTP exporter for long-running programs and existing
// providers (use it under a BatchSpanProcessor, behind processor.New): no
// compression, a short timeout per request, a bounded retry that honours
// Retry-After, and failures in the debug log only. NewDebug writes what
// would be sent, as OTLP/JSON, and sends nothing.
//
// Command-line tools use package instrument instead, whose spans go to a
// local spool that a detached uploader ships after the command has
// returned (internal/spool), so a command never waits on the network.
//
// # Endpoint
//
// The tool author sets the collector in Config.Endpoint; a user or a team
// routes the telemetry to their own collector with
// <TOOL>_TELEMETRY_ENDPOINT. The standard OTEL_EXPORTER_OTLP_* variables
// do not apply: they configure the user's own services, which must not
// silently capture, or reshape, a vendor tool's telemetry (nor receive a
// vendor's traffic with the user's API-key headers). Plain http:// is
// accepted for loopback hosts only, unless Config.AllowInsecure. The
// answers' meaning (what is retried, what dropped) is the package doc of
// internal/otlphttp.
package exporter
