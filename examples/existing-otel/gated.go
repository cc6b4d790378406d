package main

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/processor"
)

// newOTLPTraceHTTP is the program's own exporter, configured by
// OTEL_EXPORTER_OTLP_* as usual.
func newOTLPTraceHTTP(ctx context.Context) (sdktrace.SpanExporter, error) {
	return otlptracehttp.New(ctx)
}

// newGatedProvider puts anontel's processor in front of the program's own
// batcher and exporter: without consent nothing is exported, and with it
// no argument value leaves the process, whatever code recorded it.
func newGatedProvider(ctx context.Context, args []string, logger *slog.Logger) *sdktrace.TracerProvider {
	gate := consent.NewGate(consent.Config{Tool: tool})
	if !gate.Enabled() {
		// Consent off: no pipeline at all, no connection.
		return sdktrace.NewTracerProvider()
	}
	exp := ownExporter(ctx, logger)
	if exp == nil {
		return sdktrace.NewTracerProvider()
	}
	guard := processor.New(sdktrace.NewBatchSpanProcessor(exp), processor.Config{
		Consent: gate,
		Root:    commands,
		Args:    args,
		// Fields that other code derives from what the user typed in
		// ways no scrub can follow (see the processor package doc).
		DropKeyPrefixes: []string{"url.", "file.", "db."},
		ServiceName:     tool,
		ServiceVersion:  version,
	})
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(guard))
}
