package main

import (
	"context"
	"log/slog"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/exporter"
	"github.com/anontel/anontel/processor"
)

// newSplitProvider keeps the program's own traces as they were (its
// exporter, its backend, OTEL_EXPORTER_OTLP_*) and adds a second processor
// for anonymous usage: only the usage tracer's spans, gated and masked, go
// to the vendor's collector. <TOOL>_TELEMETRY_ENDPOINT overrides the
// vendor's endpoint; OTEL_EXPORTER_OTLP_* never reach this path.
func newSplitProvider(ctx context.Context, args []string, logger *slog.Logger) *sdktrace.TracerProvider {
	var opts []sdktrace.TracerProviderOption
	if exp := ownExporter(ctx, logger); exp != nil {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	gate := consent.NewGate(consent.Config{Tool: tool})
	if gate.Enabled() {
		usage, err := exporter.NewDirect(ctx, exporter.Config{
			Tool:     tool,
			Endpoint: "https://telemetry.example.com", // the vendor's collector
			Logger:   logger,
		})
		if err != nil {
			logger.Debug("usage telemetry off", "err", err)
		} else {
			opts = append(opts, sdktrace.WithSpanProcessor(processor.New(
				sdktrace.NewBatchSpanProcessor(usage), processor.Config{
					Consent: gate,
					Root:    commands,
					Args:    args,
					Scope:   usageScope,
					// The program's own resource stays on its own traces;
					// the vendor gets the fixed one of the span contract.
					ServiceName:    tool,
					ServiceVersion: version,
				})))
		}
	}
	return sdktrace.NewTracerProvider(opts...)
}
