package processor

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// TestCleanStringsAreRememberedPerScrubber: a string that passed clean
// under the processor's own secrets is still scrubbed in a span that brings
// a secret of its own, before and after it was remembered, and what is
// remembered stays bounded.
func TestCleanStringsAreRememberedPerScrubber(t *testing.T) {
	g := &gate{}
	g.on.Store(true)
	exp := tracetest.NewInMemoryExporter()
	p := New(sdktrace.NewSimpleSpanProcessor(exp), Config{Consent: g, Root: testTree(),
		Args: []string{"run", "--pipeline", "data_science"}})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	note := attribute.String("note", "deploy to staging")
	end := func(attrs ...attribute.KeyValue) string {
		exp.Reset()
		_, span := tp.Tracer("t").Start(context.Background(), "pipectl run", trace.WithAttributes(attrs...))
		span.End()
		return attr(exp.GetSpans()[0].Attributes, "note").AsString()
	}
	withSecret := semconv.ProcessCommandArgs("pipectl", "run", "--pipeline", "staging")
	tests := []struct {
		name  string
		attrs []attribute.KeyValue
		want  string
	}{
		{"clean", []attribute.KeyValue{note}, "deploy to staging"},
		{"clean again (remembered)", []attribute.KeyValue{note}, "deploy to staging"},
		{"a secret of the span's own", []attribute.KeyValue{note, withSecret}, "deploy to *****"},
		{"the processor's secret", []attribute.KeyValue{attribute.String("note", "ran data_science")}, "ran *****"},
		{"clean once more", []attribute.KeyValue{note}, "deploy to staging"},
	}
	for _, tc := range tests {
		if got := end(tc.attrs...); got != tc.want {
			t.Errorf("%s: note = %q, want %q", tc.name, got, tc.want)
		}
	}
	if !p.global.clean.has("deploy to staging") || p.global.clean.has("ran data_science") {
		t.Errorf("the processor's scrubber remembers the wrong strings")
	}
	for i := range 2 * maxCleanStrings {
		end(attribute.String("note", fmt.Sprintf("clean value %d", i)))
	}
	if n := len(*p.global.clean.m.Load()); n != maxCleanStrings {
		t.Errorf("remembered %d strings, want the bound %d", n, maxCleanStrings)
	}
}
