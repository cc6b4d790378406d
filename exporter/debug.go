package exporter

import (
	"context"
	"fmt"
	"io"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/anontel/anontel/internal/otlpwire"
)

// NewDebug returns an exporter that sends nothing and writes to w, for each
// export, the request the spool would store, rendered as indented OTLP/JSON:
// field names in lowerCamelCase, trace and span IDs in hex, enums as
// numbers, 64-bit integers as strings. A collector accepts it as is at
// /v1/traces with Content-Type application/json. Write errors are ignored:
// debug output must not break the command.
func NewDebug(w io.Writer) sdktrace.SpanExporter {
	return &debugExporter{w: w}
}

type debugExporter struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *debugExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	out, err := otlpwire.DebugJSON(ctx, spans)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		fmt.Fprintf(d.w, "telemetry: %v\n", err)
		return nil
	}
	d.w.Write(out)
	return nil
}

func (*debugExporter) Shutdown(context.Context) error { return nil }
