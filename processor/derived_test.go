package processor

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/anontel/anontel/internal/mask"
)

// TestProcessorScrubsDerivedForms is a program using the processor
// directly whose code records the arguments in the forms other code makes
// of them: query-escaped in a URL, path-escaped, as an absolute path and a
// base name, lower- and upper-cased. None may leak (issue 11, item 3).
func TestProcessorScrubsDerivedForms(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	args := []string{"search", "--query", "Alice Smith", "--input", "./customers_acme.csv"}
	tree := mask.Command{Name: "finder", Commands: []mask.Command{{Name: "search", Flags: []mask.Flag{
		{Name: "query", TakesValue: true}, {Name: "input", TakesValue: true},
	}}}}
	abs, err := filepath.Abs(args[4])
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{}
	g.on.Store(true)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{
		Consent: g, Root: tree, Args: args,
	})))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_, span := tp.Tracer("t").Start(context.Background(), "search")
	recorded := []attribute.KeyValue{
		attribute.String("url.full", "https://api.example.com/search?q="+url.QueryEscape(args[2])+"&page=2"),
		attribute.String("url.path", "/v1/"+url.PathEscape(args[2])+"/"+url.PathEscape(args[4])),
		attribute.String("url.query", "file="+url.QueryEscape(abs)),
		attribute.String("file.path", abs),
		attribute.String("file.clean", filepath.Clean(args[4])),
		attribute.String("file.name", filepath.Base(args[4])),
		attribute.String("query.lower", strings.ToLower(args[2])),
		attribute.String("query.upper", "Q="+strings.ToUpper(args[2])),
		attribute.String("query.title", "searching for alice SMITH"),
		attribute.String("file.upper", strings.ToUpper(filepath.Base(args[4]))),
	}
	span.SetAttributes(recorded...)
	span.End()

	want := map[attribute.Key]string{
		"url.full":    "https://api.example.com/search?q=*****&page=2",
		"url.path":    "/v1/*****/*****",
		"url.query":   "file=*****",
		"file.path":   "*****",
		"file.clean":  "*****",
		"file.name":   "*****",
		"query.lower": "*****",
		"query.upper": "Q=*****",
		"query.title": "searching for *****",
		"file.upper":  "*****",
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, kv := range recorded {
		if got := attr(spans[0].Attributes, kv.Key).AsString(); got != want[kv.Key] {
			t.Errorf("%s: %q became %q, want %q", kv.Key, kv.Value.AsString(), got, want[kv.Key])
		}
	}
	for _, s := range exported(spans) {
		for _, secret := range []string{"alice", "smith", "customers", "acme"} {
			if strings.Contains(strings.ToLower(s), secret) {
				t.Errorf("exported %q contains %q", s, secret)
			}
		}
	}
}

// A path argument put in a URL path the usual way (a file URL, or
// url.JoinPath) keeps its slashes and escapes its spaces: no part of it
// leaves, the folder included.
func TestProcessorScrubsPathsInURLs(t *testing.T) {
	t.Chdir(t.TempDir())
	in, out := "Client Data/acme q3.csv", "/srv/Acme Corp/out.csv"
	abs, _ := filepath.Abs(in)
	exp := tracetest.NewInMemoryExporter()
	g := &gate{}
	g.on.Store(true)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{
		Consent: g, Root: testTree(), Args: []string{"run", "--input", in, "--out", out},
	})))
	_, span := tp.Tracer("t").Start(context.Background(), "upload")
	span.SetAttributes(
		attribute.String("a", (&url.URL{Scheme: "file", Path: abs}).String()),
		attribute.String("b", (&url.URL{Scheme: "https", Host: "x", Path: "/files/" + in}).String()),
		attribute.String("c", (&url.URL{Scheme: "file", Path: out}).String()),
	)
	span.End()
	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			v := kv.Value.AsString()
			for _, leak := range []string{"Client", "acme", "Acme", "srv/"} {
				if strings.Contains(v, leak) {
					t.Errorf("%s = %q carries %q", kv.Key, v, leak)
				}
			}
		}
	}
}
