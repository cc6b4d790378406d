package processor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/internal/mask"
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
		// Derived forms (issue 11, item 3).
		"search\n--query\nAlice Smith\n--input\n./customers_acme.csv",
		"run\n-p\n../up/../x.csv",
		"run\n-p\nİstanbul\nPÄSS",
		"run\n-p\na b&c/d",
		"run\n-p\n\u212a\u212a\u212a",
	} {
		f.Add(seed)
	}
	single := testTree()
	single.SingleDash = true
	trees := []mask.Command{testTree(), single}
	f.Fuzz(func(t *testing.T, in string) {
		raw := strings.Split(in, fuzzSep)
		if in == "" {
			raw = nil
		}
		if len(raw) > 32 {
			raw = raw[:32]
		}
		for _, tree := range trees {
			fuzzOne(t, tree, raw)
		}
	})
}

// fuzzOne checks one argument vector against the masker of tree.
func fuzzOne(t *testing.T, tree mask.Command, raw []string) {
	m := mask.New(tree)
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
		checkNoLeak(t, m, raw, recordFuzzSpan(t, tree, raw, raw, true))
		// Per-span secrets only: unrelated code sets raw argument attributes.
		checkNoLeak(t, m, raw, recordFuzzSpan(t, tree, nil, raw, true))
		// Only a raw command line: its tokens are what it can reveal.
		checkNoLeak(t, m, strings.Fields(line)[1:], recordFuzzSpan(t, tree, nil, raw, false))
		// The default: the provider's leaky resource is replaced by the
		// fixed one, which holds no user text.
		spans := recordFuzzSpanWith(t, tree, raw, raw, true, Config{})
		if len(spans) == 1 && !spans[0].Resource.Equal(NewResource("", "")) {
			t.Fatalf("resource = %v, want NewResource's", spans[0].Resource.Attributes())
		}
		for i := range spans {
			spans[i].Resource = nil
		}
		checkNoLeak(t, m, raw, spans)
	}
}

// recordFuzzSpan records one span full of raw arguments, in the forms code
// makes of them too, through a real provider and returns what the exporter
// received. The processor keeps the provider's resource, to scrub it.
func recordFuzzSpan(t *testing.T, tree mask.Command, cfgArgs, raw []string, withArgv bool) tracetest.SpanStubs {
	return recordFuzzSpanWith(t, tree, cfgArgs, raw, withArgv, Config{KeepResource: true})
}

func recordFuzzSpanWith(t *testing.T, tree mask.Command, cfgArgs, raw []string, withArgv bool, cfg Config) tracetest.SpanStubs {
	exp := tracetest.NewInMemoryExporter()
	g := &gate{}
	g.on.Store(true)
	cfg.Consent, cfg.Root, cfg.Args = g, tree, cfgArgs
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSpanProcessor(New(sdktrace.NewSimpleSpanProcessor(exp), cfg)),
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
	span.SetAttributes(
		attribute.String("url.full", "https://example.com/s?q="+url.QueryEscape(first)+"&f="+url.QueryEscape(absPath(last))),
		attribute.String("url.path", "/v1/"+url.PathEscape(last)+"/"+url.PathEscape(filepath.Base(first))),
		attribute.String("file.path", absPath(first)),
		attribute.String("file.dir", filepath.Clean(last)+"/out"),
		attribute.String("file.name", filepath.Base(last)),
		attribute.String("query.lower", strings.ToLower(first)),
		attribute.String("query.upper", "Q="+strings.ToUpper(last)),
	)
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

// absPath is filepath.Abs, or p when it fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// derived returns p and the forms code commonly makes of it: quoted with
// %q and %+q, escaped for a URL query and path, cleaned, absolute and base
// name paths (and those escaped), upper and lower case.
func derived(p string) []string {
	q, qa := strconv.Quote(p), strconv.QuoteToASCII(p)
	out := []string{p, q[1 : len(q)-1], qa[1 : len(qa)-1], strings.ToLower(p), strings.ToUpper(p)}
	for _, path := range []string{p, filepath.Clean(p), absPath(p), filepath.Base(filepath.Clean(p))} {
		out = append(out, path, url.QueryEscape(path), url.PathEscape(path), (&url.URL{Path: path}).EscapedPath())
	}
	return out
}

// lowerRunes is s as runes in lower case; a byte that is not UTF-8 becomes
// a rune of its own outside Unicode, so that it equals only itself.
func lowerRunes(s string) []rune {
	var out []rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			r = unicode.MaxRune + 1 + rune(s[i])
		} else {
			r = unicode.ToLower(r)
		}
		out = append(out, r)
		i += size
	}
	return out
}

// containsFold reports whether s holds secret, byte for byte or in any
// case: the lower case of a run of runes of s equals secret's.
func containsFold(s, secret string) bool {
	if strings.Contains(s, secret) {
		return true
	}
	hay, needle := lowerRunes(s), lowerRunes(secret)
	for i := 0; i+len(needle) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

// checkNoLeak fails if a piece of the raw arguments that was masked is in
// an exported string, in any case or in a form code makes of it (see
// derived). Pieces are the tokens, the values of --flag=value forms, and
// what the masker reports. Shorter than 3 bytes, made only of '*', or
// allow-listed: not secret; so is a form shorter than 3 bytes in lower
// case (a Kelvin sign is then only looked for as it is). A string made
// only of allow-listed words reveals nothing and is not searched.
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
	type secret struct {
		s    string
		fold bool // also looked for in any case
	}
	var secrets []secret
	for _, p := range pieces {
		if len(p) < minSecret || onlyStars(p) || kept[p] || structural(m, p) {
			continue
		}
		for _, f := range derived(p) {
			if len(f) < minSecret || onlyStars(f) || kept[f] || structural(m, f) {
				continue
			}
			secrets = append(secrets, secret{f, len(string(lowerRunes(f))) >= minSecret && utf8.ValidString(f)})
		}
	}
	for _, s := range exported(spans) {
		if onlyStructural(m, s) {
			continue
		}
		for _, sec := range secrets {
			if strings.Contains(s, sec.s) || sec.fold && containsFold(s, sec.s) {
				t.Fatalf("args %q: exported %q contains %q", raw, s, sec.s)
			}
		}
	}
}

// structural reports whether tok is built only from allow-listed parts:
// an allow-listed word, a comma list of allowed values and mask.Placeholder, a run of
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
