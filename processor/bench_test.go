package processor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/internal/mask"
)

// nopExporter accepts spans and does nothing, so the benchmark measures the
// pipeline rather than an exporter.
type nopExporter struct{}

func (nopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (nopExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkPipeline compares the same pipeline (TracerProvider →
// SimpleSpanProcessor → no-op exporter) without and with the Processor.
// One op is one span: start, attributes, end.
func BenchmarkPipeline(b *testing.B) {
	args := []string{"run", "--pipeline", "data_science", "--env=prod", "--runner", "parallel"}
	spans := []struct {
		name  string
		attrs []attribute.KeyValue
		err   bool
	}{
		{"clean", []attribute.KeyValue{
			attribute.String("process.executable.name", "pipectl"),
			attribute.Int("process.exit.code", 0),
			attribute.Bool("ci", false),
		}, false},
		// What instrument writes: already masked arguments.
		{"masked-args", []attribute.KeyValue{
			semconv.ProcessCommandArgs("pipectl", "run", "--pipeline", mask.Placeholder, "--env", mask.Placeholder, "--runner", "parallel"),
			attribute.Int("process.exit.code", 0),
		}, false},
		// What careless code writes: raw arguments and an error.
		{"raw-args", []attribute.KeyValue{
			semconv.ProcessCommandArgs(append([]string{"/usr/local/bin/pipectl"}, args...)...),
			semconv.ProcessCommandLine("pipectl run --pipeline data_science --env=prod --runner parallel"),
			attribute.Int("process.exit.code", 1),
		}, true},
	}
	g := &gate{}
	g.on.Store(true)
	for _, sp := range spans {
		for _, variant := range []string{"plain", "processor"} {
			b.Run(sp.name+"/"+variant, func(b *testing.B) {
				var proc sdktrace.SpanProcessor = sdktrace.NewBatchSpanProcessor(nopExporter{})
				if variant == "processor" {
					proc = New(proc, Config{Consent: g, Root: testTree(), Args: args, ServiceName: "pipectl", ServiceVersion: "0.3.0"})
				}
				// As instrument does: the provider has the processor's resource.
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc), sdktrace.WithResource(NewResource("pipectl", "0.3.0")))
				defer func() { _ = tp.Shutdown(context.Background()) }()
				tracer := tp.Tracer("bench")
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					_, span := tracer.Start(ctx, "pipectl run", trace.WithAttributes(sp.attrs...))
					if sp.err {
						span.SetStatus(codes.Error, "pipeline data_science not found")
					}
					span.End()
				}
			})
		}
	}
}

// BenchmarkMask measures masking one argument vector.
func BenchmarkMask(b *testing.B) {
	m := mask.New(testTree())
	args := []string{"run", "--pipeline", "data_science", "--env=prod", "--runner", "parallel", "-t", "lint,x"}
	b.ReportAllocs()
	for b.Loop() {
		m.Mask(args)
	}
}

// BenchmarkManyArgs measures what an invocation with n arguments (a shell
// glob) pays the processor: building it from the arguments (masking them
// and preparing the scrub) and ending one span. The span is either what
// instrument records (masked arguments) or one recorded carelessly, with
// the raw command line, a list of the inputs and an error that quotes one.
// Growth should be linear: compare the ns/arg figures. cpu-ns/arg is the
// process's CPU time (GC included), steadier than wall time on a shared
// machine.
func BenchmarkManyArgs(b *testing.B) {
	g := &gate{}
	g.on.Store(true)
	m := mask.New(testTree())
	for _, kind := range []string{"masked", "raw"} {
		for _, n := range []int{1000, 10000, 60000} {
			b.Run(kind+"/"+strconv.Itoa(n), func(b *testing.B) {
				args := []string{"run", "--pipeline", "data_science"}
				for i := range n {
					args = append(args, fmt.Sprintf("data/raw/file_%05d.csv", i))
				}
				rec := &recorder{}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
				_, span := tp.Tracer("bench").Start(context.Background(), "pipectl run")
				if kind == "masked" {
					res := m.Mask(args)
					span.SetAttributes(semconv.ProcessCommandArgs(res.Args...), semconv.ProcessCommandLine(res.Line), attribute.Int("process.exit.code", 1))
				} else {
					span.SetAttributes(
						semconv.ProcessCommandLine("pipectl "+strings.Join(args, " ")),
						attribute.String("app.input", args[len(args)-1]),
						attribute.String("app.note", "loaded "+strings.Join(args[3:], ",")),
					)
					span.SetStatus(codes.Error, "cannot read "+args[len(args)/2])
				}
				span.End()
				s := rec.ended[0]
				b.ReportAllocs()
				cpu0 := cpuTime()
				b.ResetTimer()
				for b.Loop() {
					p := New(discard{}, Config{Consent: g, Root: testTree(), Args: args})
					p.OnEnd(s)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/arg")
				b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/arg")
			})
		}
	}
}

// BenchmarkOnEndClean is the processor's own work on one span without
// argument data, in front of a processor that does nothing: what
// BenchmarkPipeline's clean ratio is made of, without the batcher's noise.
func BenchmarkOnEndClean(b *testing.B) {
	g := &gate{}
	g.on.Store(true)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(NewResource("pipectl", "0.3.0")))
	_, span := tp.Tracer("bench").Start(context.Background(), "pipectl run", trace.WithAttributes(
		attribute.String("process.executable.name", "pipectl"),
		attribute.Int("process.exit.code", 0),
		attribute.Bool("ci", false),
	))
	span.End()
	s := rec.Ended()[0]
	p := New(discard{}, Config{Consent: g, Root: testTree(), ServiceName: "pipectl", ServiceVersion: "0.3.0",
		Args: []string{"run", "--pipeline", "data_science", "--env=prod", "--runner", "parallel"}})
	b.ReportAllocs()
	for b.Loop() {
		p.OnEnd(s)
	}
}
