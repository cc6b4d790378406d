package processor

import (
	"context"
	"maps"
	"runtime"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/internal/distro"
)

// TestProcessorReplacesProgramResource is a program with its own provider
// whose resource comes from the environment and the SDK's detectors, as
// examples/existing-otel's does: by default none of it reaches the
// exporter, only NewResource's fixed attributes (issue 11, item 4).
// Keeping it is an explicit opt-in.
func TestProcessorReplacesProgramResource(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=alice-laptop,user.name=alice,deployment.environment=alice-prod")
	t.Setenv("OTEL_SERVICE_NAME", "alice-billing")
	ctx := context.Background()
	// As the SDK's default does, the environment wins over the detectors.
	fromEnv, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithProcessOwner(), resource.WithProcessExecutableName(), resource.WithFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	providers := map[string][]sdktrace.TracerProviderOption{
		"environment":     {sdktrace.WithResource(fromEnv)},
		"the SDK default": nil, // resource.Default(): unknown_service:<program> or the environment
	}
	g := &gate{}
	g.on.Store(true)
	record := func(t *testing.T, opts []sdktrace.TracerProviderOption, cfg Config) *resource.Resource {
		t.Helper()
		exp := tracetest.NewInMemoryExporter()
		cfg.Consent, cfg.Root = g, testTree()
		tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), cfg)))...)
		_, span := tp.Tracer("t").Start(ctx, "pipectl info")
		span.End()
		spans := exp.GetSpans()
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if len(spans) != 1 {
			t.Fatalf("%d spans", len(spans))
		}
		return spans[0].Resource
	}
	fixed := func(service, version string) map[string]string {
		m := map[string]string{
			"service.name":             service,
			"telemetry.distro.name":    "anontel",
			"telemetry.distro.version": distro.Version,
			"telemetry.sdk.name":       "opentelemetry",
			"telemetry.sdk.language":   "go",
			"process.runtime.name":     "go",
			"process.runtime.version":  runtime.Version(),
			"os.type":                  runtime.GOOS,
			"host.arch":                hostArch(runtime.GOARCH),
		}
		if version != "" {
			m["service.version"] = version
		}
		return m
	}
	asMap := func(r *resource.Resource) map[string]string {
		m := map[string]string{}
		for _, kv := range r.Attributes() {
			m[string(kv.Key)] = kv.Value.String()
		}
		return m
	}
	for name, opts := range providers {
		for _, c := range []struct {
			cfg  Config
			want map[string]string
		}{
			{Config{}, fixed("unknown_service", "")},
			{Config{ServiceName: "pipectl", ServiceVersion: "0.3.0"}, fixed("pipectl", "0.3.0")},
		} {
			got := asMap(record(t, opts, c.cfg))
			if !maps.Equal(got, c.want) {
				t.Errorf("%s, %+v: resource = %v, want exactly %v", name, c.cfg, got, c.want)
			}
		}
	}
	// The opt-in: the program's own resource, as it is.
	got := asMap(record(t, providers["environment"], Config{KeepResource: true}))
	for k, v := range map[string]string{"host.name": "alice-laptop", "user.name": "alice", "service.name": "alice-billing"} {
		if got[k] != v {
			t.Errorf("KeepResource: %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestProcessorDropKeyPrefixes(t *testing.T) {
	g := &gate{}
	g.on.Store(true)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("file.owner", "alice"), attribute.String("service.name", "finder"))),
		sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{
			Consent: g, Root: testTree(), KeepResource: true,
			DropKeyPrefixes: []string{"url.", "file.", "db."},
		})))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_, span := tp.Tracer("t").Start(context.Background(), "query")
	span.SetAttributes(
		attribute.String("url.full", "https://example.com/?q=c2VjcmV0"), // base64: no scrub can follow
		attribute.Int("db.response.returned_rows", 3),
		attribute.String("urlx", "kept"),
		attribute.String("file.path", "/home/alice/x"),
		attribute.Int("app.count", 1),
	)
	span.AddEvent("read", trace.WithAttributes(attribute.String("file.name", "x"), attribute.String("phase", "load")))
	span.End()
	s := exp.GetSpans()[0]
	var keys []string
	for _, kv := range s.Attributes {
		keys = append(keys, string(kv.Key))
	}
	if want := []string{"urlx", "app.count"}; !slices.Equal(keys, want) {
		t.Errorf("span keys = %q, want %q", keys, want)
	}
	if ev := s.Events[0].Attributes; len(ev) != 1 || ev[0].Key != "phase" {
		t.Errorf("event attributes = %v", ev)
	}
	if r := s.Resource.Attributes(); len(r) != 1 || r[0].Key != "service.name" {
		t.Errorf("kept resource = %v", r)
	}
}

func TestHostArch(t *testing.T) {
	for in, want := range map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "x86", "arm": "arm32", "s390x": "s390x"} {
		if got := hostArch(in); got != want {
			t.Errorf("hostArch(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProcessorTrustedKeysAndFixedResource(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=my-laptop,user.name=alice")
	own := resource.NewSchemaless(semconv.ServiceName("pipectl"), semconv.OSTypeKey.String("linux"))
	exp := tracetest.NewInMemoryExporter()
	g := &gate{}
	g.on.Store(true)
	args := []string{"run", "-p", "linux", "--env", "a1b2", "cep"}
	p := New(sdktrace.NewSimpleSpanProcessor(exp), Config{
		Consent:     g,
		Root:        testTree(),
		Args:        args,
		TrustedKeys: []attribute.Key{"cli.id", semconv.ProcessCommandLineKey},
		Resource:    own,
	})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithResource(resource.NewSchemaless(semconv.ProcessCommandArgs(append([]string{"pipectl"}, args...)...))))
	_, span := tp.Tracer("t").Start(context.Background(), "pipectl run")
	span.AddEvent("exception", trace.WithAttributes(semconv.ExceptionType("x")))
	span.AddEvent("parse linux")
	span.SetAttributes(
		attribute.String("cli.id", "ffa1b2c3"),             // trusted: kept though it holds "a1b2"
		attribute.String("other", "ffa1b2c3 linux"),        // not trusted: scrubbed
		semconv.ProcessCommandLine("pipectl run -p linux"), // argument keys are always masked
	)
	span.End()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	got := map[attribute.Key]string{}
	for _, kv := range spans[0].Attributes {
		got[kv.Key] = kv.Value.String()
	}
	if got["cli.id"] != "ffa1b2c3" {
		t.Errorf("trusted value changed: %q", got["cli.id"])
	}
	if got["other"] != "ff*****c3 *****" {
		t.Errorf("untrusted value = %q", got["other"])
	}
	if got[semconv.ProcessCommandLineKey] != "pipectl run -p *****" {
		t.Errorf("command line = %q (an argument key cannot be trusted)", got[semconv.ProcessCommandLineKey])
	}
	if ev := spans[0].Events; len(ev) != 2 || ev[0].Name != "exception" || ev[1].Name != "parse *****" {
		t.Errorf("events = %+v; want the conventions' exception name intact, others scrubbed", ev)
	}
	if r := spans[0].Resource; r != own {
		t.Errorf("resource = %v, want exactly the configured one (no environment, no raw arguments)", r.Attributes())
	}
}
