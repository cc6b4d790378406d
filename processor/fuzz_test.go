package processor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/processor/mask"
)

// fuzzSep separates the arguments of a fuzz input.
const fuzzSep = "\n"

// FuzzProcessorNoLeak checks, for any argument vector, that no argument
// text the allow-list does not name reaches the exporter: not in span
// names, attribute keys or values, events (exception.message), links,
// status or resource. Spans are recorded the careless way a CLI or a
// library sharing the provider might: raw arguments everywhere.
func FuzzProcessorNoLeak(f *testing.F) {
	for _, seed := range []string{
		"",
		"info",
		"run\n--pipeline=data_science",
		"pipeline\ncreate\nmypipeline",
		"run\n-p\nbar",
		"run\n--params=hello=4\n--pipeline=my_pipeline",
		"new\n--starter=spaceflights-pandas\n--name=my_project",
		"--help\nfoo-secret",
		"--version\nsecret",
		"-h\nxsecret",
		"-v\nsecret-value",
		"unknown-top\nrun\n--pipeline\nxyz",
		"create\nknown-elsewhere",
		"run\n--api-key=XYZ123",
		"run\n--sk-live-abcdef",
		"run\n-xyzsecret",
		"run\n-psecret-short",
		"run\n-dpsecret",
		"run\n-p=secret",
		"run\n--\n--pipeline\nrun\nafter-dashes",
		"run\n--tags=lint,secret,test",
		"run\n--runner\nparallel\n--runner\nfast-secret",
		"run\n--dry-run=maybe-secret",
		"run\n-p\n*****",
		"run\n-p\nab*",
		"run\n-p\n**ab\nzzz\nzzzab",
		"run\n-p\nsecret\nsecret-longer\nxsecretx",
		"run\n-p\nabcd\ncdef",
		"run\n-p\npässwörd\n日本語",
		"run\n-p\na\"b\\c",
		"run\n-p\n\x01\x02\x03",
		"run\n-p\nmy secret with spaces",
		"/home/alice/bin/pipectl\nrun",
		"run\n-p\nipe",
		"run\n-p\nunknown flag",
		"run\n--pipeline\n--env\nvalue-after",
		"--config\nrun\ninfo\npos-arg",
		"r\n-t\nlint,\n--log-format=json",
		"run\n-p\n\xff\xfe\xfd",
		// Found by fuzzing.
		"000\nine",  // secret inside the key process.command_line
		"r\n-tlint", // -t + allowed value, split but nothing masked
		"run\n-pipeline\nsecret\n-runner=parallel\n-dry-run=maybe",
		"-=se ",         // the value of an unknown -x=value, alone
		"--0\n-0",       // single-dash form of a token also typed with two dashes
		"run\n-p\ncept", // inside the conventions' "exception" event name
	} {
		f.Add(seed)
	}
	single := testTree()
	single.SingleDash = true
	maskers := []*mask.Masker{mask.New(testTree()), mask.New(single)}
	f.Fuzz(func(t *testing.T, in string) {
		raw := strings.Split(in, fuzzSep)
		if in == "" {
			raw = nil
		}
		if len(raw) > 32 {
			raw = raw[:32]
		}
		for _, m := range maskers {
			fuzzOne(t, m, raw)
		}
	})
}

// fuzzOne checks one argument vector against masker m.
func fuzzOne(t *testing.T, m *mask.Masker, raw []string) {
	{
		res := m.Mask(raw)
		for _, tok := range res.Args {
			if !structural(m, tok) {
				t.Fatalf("Mask(%q) emitted %q, which the allow-list does not name", raw, tok)
			}
		}
		if again := m.Mask(res.Args[1:]); again.Line != res.Line || !slices.Equal(again.Path, res.Path) {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, res.Line, again.Line)
		}

		line := strings.Join(append([]string{"pipectl"}, raw...), " ")
		// Global secrets (Config.Args), with a leaky resource.
		checkNoLeak(t, m, raw, recordFuzzSpan(t, m, raw, raw, true))
		// Per-span secrets only: unrelated code sets raw argument attributes.
		checkNoLeak(t, m, raw, recordFuzzSpan(t, m, nil, raw, true))
		// Only a raw command line: its tokens are what it can reveal.
		checkNoLeak(t, m, strings.Fields(line)[1:], recordFuzzSpan(t, m, nil, raw, false))
	}
}

// recordFuzzSpan records one span full of raw arguments through a real
// provider and returns what the exporter received.
func recordFuzzSpan(t *testing.T, m *mask.Masker, cfgArgs, raw []string, withArgv bool) tracetest.SpanStubs {
	exp := tracetest.NewInMemoryExporter()
	g := &gate{}
	g.on.Store(true)
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), Config{Consent: g, Masker: m, Args: cfgArgs, KeepResource: true})),
		sdktrace.WithResource(resource.Empty()),
	}
	if withArgv {
		opts[1] = sdktrace.WithResource(resource.NewSchemaless(semconv.ProcessCommandArgs(append([]string{"pipectl"}, raw...)...)))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	line := strings.Join(append([]string{"pipectl"}, raw...), " ")
	_, span := tp.Tracer("fuzz").Start(context.Background(), line)
	span.SetAttributes(semconv.ProcessCommandLine(line))
	if withArgv {
		span.SetAttributes(
			semconv.ProcessCommandArgs(append([]string{"pipectl"}, raw...)...),
			attribute.StringSlice("app.args", raw),
		)
	}
	first, last := "", ""
	if len(raw) > 0 {
		first, last = raw[0], raw[len(raw)-1]
	}
	span.SetAttributes(attribute.String("app.first", first), attribute.String("arg."+last, "set"))
	for i, tok := range raw {
		if i == 8 {
			break
		}
		span.RecordError(errors.New("unknown flag: " + tok))
	}
	span.AddEvent("parse "+last, trace.WithAttributes(attribute.String("arg", last)))
	span.SetStatus(codes.Error, fmt.Sprintf("invalid argument %q for %q flag: %s", last, first, line))
	span.End()
	spans := exp.GetSpans() // before Shutdown, which empties the exporter
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return spans
}

// checkNoLeak fails if a piece of the raw arguments that was masked is in
// an exported string. Pieces are the tokens, the values of --flag=value
// forms, what the masker reports, and their %q-quoted forms. Shorter than 3
// bytes, made only of '*', or allow-listed: not secret. A string made only
// of allow-listed words reveals nothing and is not searched.
func checkNoLeak(t *testing.T, m *mask.Masker, raw []string, spans tracetest.SpanStubs) {
	t.Helper()
	if len(spans) != 1 {
		t.Fatalf("exported %d spans, want 1", len(spans))
	}
	// Kept: output tokens (checked by structural) and joins of two, the
	// split forms of -tlint and --runner=parallel.
	kept := map[string]bool{}
	out := m.Mask(raw).Args
	for i, tok := range out {
		kept[tok] = true
		if i+1 < len(out) {
			kept[tok+out[i+1]] = true
			kept[tok+"="+out[i+1]] = true
		}
	}
	var pieces []string
	pieces = append(pieces, raw...)
	pieces = append(pieces, m.Mask(raw).Secrets...)
	for _, tok := range raw {
		if strings.HasPrefix(tok, "-") {
			if _, v, ok := strings.Cut(tok, "="); ok {
				pieces = append(pieces, v)
			}
		}
	}
	var secrets []string
	for _, p := range pieces {
		if len(p) < minSecret || onlyStars(p) || kept[p] || structural(m, p) {
			continue
		}
		secrets = append(secrets, p)
		q := strconv.Quote(p)
		secrets = append(secrets, q[1:len(q)-1])
	}
	for _, s := range exported(spans) {
		if onlyStructural(m, s) {
			continue
		}
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Fatalf("args %q: exported %q contains %q", raw, s, secret)
			}
		}
	}
}

// structural reports whether tok is built only from allow-listed parts:
// an allow-listed word, a comma list of allowed values and mask.Mask, a run of
// known short flags (-dp), or such a flag with =allowed-value.
func structural(m *mask.Masker, tok string) bool {
	if m.Allowed(tok) {
		return true
	}
	if name, v, ok := strings.Cut(tok, "="); ok && strings.HasPrefix(tok, "-") {
		return structural(m, name) && structural(m, v)
	}
	if strings.Contains(tok, ",") {
		for _, e := range strings.Split(tok, ",") {
			if !m.Allowed(e) {
				return false
			}
		}
		return true
	}
	if len(tok) > 2 && tok[0] == '-' && tok[1] != '-' {
		for i := 1; i < len(tok); i++ {
			if !m.Allowed("-" + tok[i:i+1]) {
				return false
			}
		}
		return true
	}
	return false
}

func onlyStructural(m *mask.Masker, s string) bool {
	words := strings.Fields(s)
	for _, w := range words {
		if !structural(m, w) {
			return false
		}
	}
	return len(words) > 0
}
