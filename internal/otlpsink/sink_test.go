package otlpsink

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestSinkDecodesOTLPHTTP(t *testing.T) {
	for _, gzip := range []bool{false, true} {
		s, err := Start("")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(s.URL + "/v1/traces")}
		if gzip {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}
		exp, err := otlptracehttp.New(context.Background(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		_, span := tp.Tracer("test").Start(context.Background(), "pipectl run")
		span.SetAttributes(attribute.StringSlice("process.command_args", []string{"pipectl", "run"}), attribute.Int("n", 3))
		span.AddEvent("ev")
		span.End()
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := s.Spans()
		if len(spans) != 1 {
			t.Fatalf("gzip=%v: got %d spans, want 1", gzip, len(spans))
		}
		got := spans[0]
		if got.Name != "pipectl run" || got.Scope != "test" || got.Attributes["n"] != int64(3) || len(got.Events) != 1 {
			t.Errorf("gzip=%v: span = %+v", gzip, got)
		}
		if args, _ := got.Attributes["process.command_args"].([]string); len(args) != 2 || args[1] != "run" {
			t.Errorf("gzip=%v: command_args = %#v", gzip, got.Attributes["process.command_args"])
		}
		if s.Connections() < 1 {
			t.Errorf("gzip=%v: connections = %d", gzip, s.Connections())
		}
	}
}
