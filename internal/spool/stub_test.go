package spool

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// stubSpans returns one finished span per name, with fixed IDs and times
// so that encodings are reproducible.
func stubSpans(names ...string) []sdktrace.ReadOnlySpan {
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var stubs tracetest.SpanStubs
	for i, name := range names {
		sc := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID:    trace.TraceID{0x0a, 0x0b, byte(i + 1)},
			SpanID:     trace.SpanID{0x01, byte(i + 1)},
			TraceFlags: trace.FlagsSampled,
		})
		stubs = append(stubs, tracetest.SpanStub{
			Name:                 name,
			SpanContext:          sc,
			SpanKind:             trace.SpanKindInternal,
			StartTime:            start,
			EndTime:              start.Add(1500 * time.Millisecond),
			Attributes:           []attribute.KeyValue{attribute.Int("process.exit.code", 0)},
			Resource:             resource.NewSchemaless(attribute.String("service.name", "pipectl")),
			InstrumentationScope: instrumentation.Scope{Name: "pipectl"},
		})
	}
	return stubs.Snapshots()
}
