// Package otlpwire writes the OTLP/HTTP trace request,
// ExportTraceServiceRequest, from SDK spans, reads it back, and renders
// it as OTLP/JSON, all by hand on encoding/binary. The generated OTLP
// types would link the protobuf runtime into every tool: about 1.5-2 ms of
// package initialisation on each command (descriptor tables, registries,
// and a read of the executable) and a megabyte or two of binary. The
// messages are few and fixed; tests compare the bytes with otlptracehttp's
// and the JSON with protojson's.
package otlpwire
