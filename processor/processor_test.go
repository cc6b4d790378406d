package processor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/internal/mask"
)

// gate is a consent switch that can be flipped while spans flow.
type gate struct{ on atomic.Bool }

func (g *gate) Enabled() bool { return g.on.Load() }

// recorder is a downstream processor that counts calls and keeps the spans.
type recorder struct {
	mu                         sync.Mutex
	starts, flushes, shutdowns int
	ended                      []sdktrace.ReadOnlySpan
}

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts++
}

func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, s)
}

func (r *recorder) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutdowns++
	return nil
}

func (r *recorder) ForceFlush(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushes++
	return nil
}

// discard is a downstream processor that does nothing.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// exported collects every string of the exported spans, as an exporter
// would send them: names, keys (but the semantic-convention constants),
// values, events, links, status, resource.
func exported(spans tracetest.SpanStubs) []string {
	var out []string
	var kvs func([]attribute.KeyValue)
	var val func(attribute.Value)
	val = func(v attribute.Value) {
		switch v.Type() {
		case attribute.STRING:
			out = append(out, v.AsString())
		case attribute.STRINGSLICE:
			out = append(out, v.AsStringSlice()...)
		case attribute.BYTESLICE:
			out = append(out, string(v.AsByteSlice()))
		case attribute.SLICE:
			for _, e := range v.AsSlice() {
				val(e)
			}
		case attribute.MAP:
			kvs(v.AsMap())
		}
	}
	kvs = func(list []attribute.KeyValue) {
		for _, kv := range list {
			if !slices.Contains(fixedKeys, kv.Key) { // constants: no user text
				out = append(out, string(kv.Key))
			}
			val(kv.Value)
		}
	}
	for _, s := range spans {
		out = append(out, s.Name, s.Status.Description)
		kvs(s.Attributes)
		for _, e := range s.Events {
			if e.Name != semconv.ExceptionEventName { // a constant: no user text
				out = append(out, e.Name)
			}
			kvs(e.Attributes)
		}
		for _, l := range s.Links {
			kvs(l.Attributes)
		}
		if s.Resource != nil {
			kvs(s.Resource.Attributes())
		}
	}
	return out
}

func attr(attrs []attribute.KeyValue, k attribute.Key) attribute.Value {
	for _, kv := range attrs {
		if kv.Key == k {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func TestProcessorConsent(t *testing.T) {
	g := &gate{}
	exp := tracetest.NewInMemoryExporter()
	args := []string{"run", "--pipeline", "s3cret-pipe"}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{
		Consent: g, Root: testTree(), Args: args,
	})))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := context.Background()

	record := func(tracer trace.Tracer) {
		_, span := tracer.Start(ctx, "pipectl run --pipeline s3cret-pipe")
		span.SetAttributes(semconv.ProcessCommandArgs(append([]string{"pipectl"}, args...)...))
		span.End()
	}

	record(tp.Tracer("anontel"))
	if got := exp.GetSpans(); len(got) != 0 {
		t.Fatalf("consent off: exporter got %d spans", len(got))
	}

	g.on.Store(true) // e.g. `pipectl telemetry enable` earlier in the same process
	record(tp.Tracer("anontel"))
	// Unrelated code sharing the provider writes a raw command line.
	_, other := tp.Tracer("example.com/otherlib").Start(ctx, "work")
	other.SetAttributes(semconv.ProcessCommandLine("/usr/bin/pipectl run -p other-secret"))
	other.SetStatus(codes.Error, "other-secret not found")
	other.End()

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("consent on: exporter got %d spans, want 2", len(spans))
	}
	if spans[0].Name != "pipectl run --pipeline *****" {
		t.Errorf("name = %q", spans[0].Name)
	}
	if got := attr(spans[0].Attributes, semconv.ProcessCommandArgsKey).AsStringSlice(); !slices.Equal(got, []string{"pipectl", "run", "--pipeline", mask.Placeholder}) {
		t.Errorf("command_args = %q", got)
	}
	if got := attr(spans[1].Attributes, semconv.ProcessCommandLineKey).AsString(); got != "pipectl run -p *****" {
		t.Errorf("other code's command_line = %q", got)
	}
	if got := spans[1].Status.Description; got != "***** not found" {
		t.Errorf("other code's status = %q", got)
	}
	for _, s := range exported(spans) {
		for _, secret := range []string{"s3cret-pipe", "other-secret", "/usr/bin"} {
			if strings.Contains(s, secret) {
				t.Errorf("exported %q contains %q", s, secret)
			}
		}
	}

	g.on.Store(false) // `pipectl telemetry disable`
	record(tp.Tracer("anontel"))
	if got := exp.GetSpans(); len(got) != 2 {
		t.Errorf("consent off again: exporter has %d spans, want 2", len(got))
	}
}

// TestProcessorScope: with Config.Scope set, only the spans of that
// instrumentation scope pass, at their start and at their end; without
// consent none does.
func TestProcessorScope(t *testing.T) {
	tests := []struct {
		name    string
		scope   string
		consent bool
		want    int // of the 3 spans, one per tracer below
	}{
		{"no scope: every span", "", true, 3},
		{"one scope", "usage", true, 1},
		{"a scope no tracer has", "other", true, 0},
		{"no consent", "usage", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &gate{}
			g.on.Store(tc.consent)
			rec := &recorder{}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(New(rec, Config{Consent: g, Root: testTree(), Scope: tc.scope})))
			for _, tracer := range []string{"usage", "library", "http"} {
				_, span := tp.Tracer(tracer).Start(context.Background(), "pipectl run")
				span.End()
			}
			if rec.starts != tc.want || len(rec.ended) != tc.want {
				t.Errorf("%d spans started and %d ended downstream, want %d", rec.starts, len(rec.ended), tc.want)
			}
			for _, s := range rec.ended {
				if s.InstrumentationScope().Name != tc.scope && tc.scope != "" {
					t.Errorf("a span of scope %q passed", s.InstrumentationScope().Name)
				}
			}
		})
	}
}

func TestProcessorConsentOffStillFlushesAndShutsDown(t *testing.T) {
	for _, c := range []Consent{nil, &gate{}} {
		next := &recorder{}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(New(next, Config{Consent: c})))
		_, span := tp.Tracer("t").Start(context.Background(), "x")
		span.End()
		if err := tp.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if next.starts != 0 || len(next.ended) != 0 {
			t.Errorf("consent %v: next saw %d starts, %d ends", c, next.starts, len(next.ended))
		}
		if next.flushes != 1 || next.shutdowns != 1 {
			t.Errorf("consent %v: flushes %d, shutdowns %d; want 1, 1", c, next.flushes, next.shutdowns)
		}
	}
}

func TestProcessorMasksEverySpanPart(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	args := []string{"run", "--pipeline", "s3cret-pipe", "--api-key=XYZ123", "extra-pos"}
	res := resource.NewSchemaless(
		semconv.ProcessCommandArgs("/home/alice/bin/pipectl", "run", "--pipeline", "s3cret-pipe"),
		attribute.String("service.name", "pipectl"),
	)
	g := &gate{}
	g.on.Store(true)
	appArgv := attribute.Key("app.argv")
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{
			Consent: g, Root: testTree(), Args: args, ArgKeys: []attribute.Key{appArgv}, KeepResource: true,
		})),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("t")
	ctx, parent := tracer.Start(context.Background(), "parent")
	parent.End()
	_, span := tracer.Start(ctx, "pipectl "+strings.Join(args, " "),
		trace.WithLinks(trace.Link{SpanContext: parent.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("why", "extra-pos")}}))
	span.SetAttributes(
		semconv.ProcessCommandArgs(append([]string{"pipectl"}, args...)...),
		semconv.ProcessCommandLine("pipectl "+strings.Join(args, " ")),
		appArgv.String("run -p per-span-secret"),
		attribute.String("app.note", "loading s3cret-pipe from disk"),
		attribute.StringSlice("app.list", []string{"ok", "x-extra-pos-y"}),
		attribute.Int("app.count", 3),
		attribute.String("flag.XYZ123", "set"),
		attribute.Slice("app.mixed", attribute.StringValue("s3cret-pipe"), attribute.IntValue(1)),
		attribute.Map("app.map", attribute.String("k", "extra-pos")),
		attribute.ByteSlice("app.bytes", []byte("per-span-secret")),
	)
	span.AddEvent("open s3cret-pipe", trace.WithAttributes(attribute.String("path", "/data/s3cret-pipe.csv")))
	span.RecordError(errors.New("unknown flag: --api-key"))
	span.SetStatus(codes.Error, `invalid argument "s3cret-pipe" for "--pipeline" flag`)
	span.End()

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans", len(spans))
	}
	s := spans[1]
	checks := []struct {
		what, got, want string
	}{
		{"name", s.Name, "pipectl run --pipeline ***** ***** *****"},
		{"command_args", strings.Join(attr(s.Attributes, semconv.ProcessCommandArgsKey).AsStringSlice(), " "), "pipectl run --pipeline ***** ***** *****"},
		{"command_line", attr(s.Attributes, semconv.ProcessCommandLineKey).AsString(), "pipectl run --pipeline ***** ***** *****"},
		{"extra arg key", attr(s.Attributes, appArgv).AsString(), "pipectl run -p *****"},
		{"string attr", attr(s.Attributes, "app.note").AsString(), "loading ***** from disk"},
		{"string slice attr", strings.Join(attr(s.Attributes, "app.list").AsStringSlice(), ","), "ok,x-*****-y"},
		{"key", attr(s.Attributes, "flag.*****").AsString(), "set"},
		{"bytes attr", string(attr(s.Attributes, "app.bytes").AsByteSlice()), "*****"},
		{"slice attr", attr(s.Attributes, "app.mixed").String(), `["*****",1]`},
		{"map attr", attr(s.Attributes, "app.map").String(), `{"k":"*****"}`},
		{"event name", s.Events[0].Name, "open *****"},
		{"event attr", attr(s.Events[0].Attributes, "path").AsString(), "/data/*****.csv"},
		{"exception.message", attr(s.Events[1].Attributes, semconv.ExceptionMessageKey).AsString(), "unknown flag: *****"},
		{"status", s.Status.Description, `invalid argument "*****" for "--pipeline" flag`},
		{"link attr", attr(s.Links[0].Attributes, "why").AsString(), "*****"},
		{"resource args", strings.Join(attr(s.Resource.Attributes(), semconv.ProcessCommandArgsKey).AsStringSlice(), " "), "pipectl run --pipeline *****"},
		{"resource kept", attr(s.Resource.Attributes(), "service.name").AsString(), "pipectl"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if got := attr(s.Attributes, "app.count").AsInt64(); got != 3 {
		t.Errorf("int attr = %d", got)
	}
	for _, str := range exported(spans) {
		for _, secret := range []string{"s3cret-pipe", "XYZ123", "api-key", "extra-pos", "per-span-secret", "alice"} {
			if strings.Contains(str, secret) {
				t.Errorf("exported %q contains %q", str, secret)
			}
		}
	}
}

// TestProcessorKeepsSnapshot proves the SDK's snapshot, shared by all
// processors, is not changed: a processor after ours still sees raw data.
func TestProcessorKeepsSnapshot(t *testing.T) {
	g := &gate{}
	g.on.Store(true)
	masked, raw := tracetest.NewInMemoryExporter(), tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(masked), Config{Consent: g, Root: testTree(), Args: []string{"run", "top-secret"}})),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(raw)),
	)
	_, span := tp.Tracer("t").Start(context.Background(), "pipectl run top-secret")
	span.SetAttributes(semconv.ProcessCommandArgs("pipectl", "run", "top-secret"), attribute.StringSlice("l", []string{"top-secret"}))
	span.AddEvent("e top-secret")
	span.End()
	if got := masked.GetSpans()[0].Name; got != "pipectl run *****" {
		t.Errorf("masked name = %q", got)
	}
	r := raw.GetSpans()[0]
	if r.Name != "pipectl run top-secret" || r.Events[0].Name != "e top-secret" ||
		attr(r.Attributes, "l").AsStringSlice()[0] != "top-secret" ||
		attr(r.Attributes, semconv.ProcessCommandArgsKey).AsStringSlice()[2] != "top-secret" {
		t.Errorf("snapshot was changed: %+v", r)
	}
}

// cleanSpan returns a finished SDK span carrying no argument data, from
// a provider whose resource is the one the processor puts on spans.
func cleanSpan(t testing.TB) sdktrace.ReadOnlySpan {
	rec := &recorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(NewResource("pipectl", "0.3.0")))
	_, span := tp.Tracer("t").Start(context.Background(), "pipectl run")
	span.SetAttributes(attribute.String("process.executable.name", "pipectl"), attribute.Int("process.exit.code", 1), attribute.Bool("ci", false))
	span.AddEvent("done", trace.WithAttributes(attribute.String("phase", "load")))
	span.SetStatus(codes.Error, "exit status 1")
	span.End()
	return rec.ended[0]
}

func TestProcessorPassesCleanSpanUntouched(t *testing.T) {
	g := &gate{}
	g.on.Store(true)
	args := []string{"run", "--pipeline", "s3cret-pipe", "ipe"}
	for _, cfg := range []Config{
		{ServiceName: "pipectl", ServiceVersion: "0.3.0"}, // the same resource as the provider's
		{KeepResource: true},
	} {
		cfg.Consent, cfg.Root, cfg.Args = g, testTree(), args
		next := &recorder{}
		p := New(next, cfg)
		s := cleanSpan(t)
		p.OnEnd(s)
		if next.ended[0] != s {
			t.Errorf("%+v: a span with nothing to mask was wrapped: %T", cfg, next.ended[0])
		}
		p = New(discard{}, cfg)
		allocs := testing.AllocsPerRun(100, func() { p.OnEnd(s) })
		if allocs != 0 {
			t.Errorf("%+v: OnEnd allocates %v times for a clean span", cfg, allocs)
		}
	}
}

// TestProcessorResourceArgsScrubSpans covers a provider built with
// resource.WithProcessCommandArgs and no Config.Args: the resource's raw
// arguments are masked, and they are scrubbed from its spans too.
func TestProcessorResourceArgsScrubSpans(t *testing.T) {
	g := &gate{}
	g.on.Store(true)
	exp := tracetest.NewInMemoryExporter()
	res := resource.NewSchemaless(semconv.ProcessCommandArgs("/opt/pipectl", "run", "-p", "resource-secret"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{Consent: g, Root: testTree(), KeepResource: true})))
	for range 2 { // the second span uses the cached resource view
		_, span := tp.Tracer("t").Start(context.Background(), "pipectl run -p resource-secret")
		span.End()
	}
	spans := exp.GetSpans()
	for _, s := range spans {
		if s.Name != "pipectl run -p *****" {
			t.Errorf("name = %q", s.Name)
		}
		if got := attr(s.Resource.Attributes(), semconv.ProcessCommandArgsKey).AsStringSlice(); !slices.Equal(got, []string{"pipectl", "run", "-p", mask.Placeholder}) {
			t.Errorf("resource args = %q", got)
		}
	}
	if got := attr(res.Attributes(), semconv.ProcessCommandArgsKey).AsStringSlice()[3]; got != "resource-secret" {
		t.Errorf("the provider's resource was changed: %q", got)
	}
}

// TestProcessorConcurrent ends spans from many goroutines while consent
// flips; run with -race. Every exported span is masked.
func TestProcessorConcurrent(t *testing.T) {
	g := &gate{}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{
		Consent: g, Root: testTree(), Args: []string{"run", "-p", "conc-secret"},
	})))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				g.on.Store((i+j)%2 == 0)
				_, span := tp.Tracer("t").Start(context.Background(), "pipectl run -p conc-secret")
				span.SetAttributes(semconv.ProcessCommandLine("pipectl run -p span-secret"))
				span.End()
			}
		}()
	}
	wg.Wait()
	for _, s := range exported(exp.GetSpans()) {
		if strings.Contains(s, "secret") {
			t.Fatalf("exported %q", s)
		}
	}
}
