//go:build costbench_otelsdk

package main

import (
	"context"
	"os"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Linked only into the cost benchmark's reference build: a notelemetry
// pipectl that links the OpenTelemetry SDK and records one span, which
// anontel's telemetry build also does. The span is never recorded in the
// benchmark; the code only has to be reachable, or the linker would drop it.
// With costbench_nethttp it is the floor of any design that records spans
// with the SDK in the tool and uploads over HTTPS from the tool's binary.
func init() {
	if os.Getenv("PIPECTL_COSTBENCH_SPAN") != "" {
		tp := sdktrace.NewTracerProvider()
		_, span := tp.Tracer("pipectl").Start(context.Background(), "info")
		span.End()
		_ = tp.Shutdown(context.Background())
	}
}
