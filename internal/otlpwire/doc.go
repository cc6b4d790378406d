// Package otlpwire encodes and decodes the OTLP/HTTP trace request,
// ExportTraceServiceRequest, without the generated collector package: that
// package also holds the gRPC service and so links gRPC, x/net/trace and
// html/template into every tool, about 10 ms of package initialisation on
// each command. The request is one repeated field, so the wire format is
// simple to produce by hand; tests compare it with the generated code.
package otlpwire
