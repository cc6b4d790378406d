package otlpwire

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/anontel/anontel/internal/otlpsink"
)

func randAttrValue(r *rand.Rand, depth int) attribute.Value {
	n := r.IntN(4)
	switch r.IntN(12) {
	case 0:
		return attribute.BoolValue(r.IntN(2) == 0)
	case 1:
		return attribute.Int64Value(randInt64(r))
	case 2:
		return attribute.Float64Value(randFloat(r))
	case 3:
		return attribute.StringValue(randString(r))
	case 4:
		v := make([]bool, n)
		for i := range v {
			v[i] = r.IntN(2) == 0
		}
		return attribute.BoolSliceValue(v)
	case 5:
		v := make([]int64, n)
		for i := range v {
			v[i] = randInt64(r)
		}
		return attribute.Int64SliceValue(v)
	case 6:
		v := make([]float64, n)
		for i := range v {
			v[i] = randFloat(r)
		}
		return attribute.Float64SliceValue(v)
	case 7:
		v := make([]string, n)
		for i := range v {
			v[i] = randString(r)
		}
		return attribute.StringSliceValue(v)
	case 8:
		return attribute.ByteSliceValue(randBytes(r, n*50))
	case 9:
		if depth > 0 {
			v := make([]attribute.Value, n)
			for i := range v {
				v[i] = randAttrValue(r, depth-1)
			}
			return attribute.SliceValue(v...)
		}
	case 10:
		if depth > 0 {
			return attribute.MapValue(randAttrs(r, depth-1)...)
		}
	}
	return attribute.Value{} // EMPTY
}

func randInt64(r *rand.Rand) int64 {
	return []int64{0, 1, -1, 300, math.MaxInt64, math.MinInt64, r.Int64() - math.MaxInt64/2}[r.IntN(7)]
}

func randFloat(r *rand.Rand) float64 {
	return []float64{0, math.Copysign(0, -1), -1.5, 1e300, 3.14159, math.Inf(1), math.Inf(-1), math.NaN(), 1e-7}[r.IntN(9)]
}

func randAttrs(r *rand.Rand, depth int) []attribute.KeyValue {
	var kvs []attribute.KeyValue
	for range r.IntN(5) {
		kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(randString(r)), Value: randAttrValue(r, depth)})
	}
	return kvs
}

// randCount covers the clamping of counts to uint32.
func randCount(r *rand.Rand) int {
	return []int{0, 0, 1, 7, -3, math.MaxUint32, math.MaxUint32 + 5, math.MaxInt}[r.IntN(8)]
}

func randTime(r *rand.Rand) time.Time {
	switch r.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) // before 1970: 0
	}
	return time.Unix(0, r.Int64N(math.MaxInt64))
}

var traceStates = []string{"", "a=1", "vendor@tenant=x,b=2"}

func randSpanContext(r *rand.Rand) trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	if r.IntN(5) > 0 {
		copy(tid[:], randBytes(r, 16))
		copy(sid[:], randBytes(r, 8))
	}
	ts, err := trace.ParseTraceState(traceStates[r.IntN(len(traceStates))])
	if err != nil {
		panic(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(r.IntN(256)),
		TraceState: ts, Remote: r.IntN(2) == 0,
	})
}

// Resources and scopes to pick from. Two resources share their attributes
// and differ in schema URL only; nil and Empty share theirs too: the
// request groups them under the first one seen, as tracetransform does.
var (
	testResources = []*resource.Resource{
		nil,
		resource.Empty(),
		resource.NewSchemaless(attribute.String("service.name", "a")),
		resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "a")),
		resource.NewWithAttributes("s2", attribute.String("service.name", "b"), attribute.Int("n", 3), attribute.StringSlice("l", []string{"x", ""})),
	}
	testScopes = []instrumentation.Scope{
		{},
		{Name: "a"},
		{Name: "a", Version: "1.2"},
		{Name: "a", Version: "1.2", SchemaURL: "https://example.com/s"},
		{Name: "b", Attributes: attribute.NewSet(attribute.String("k", "v"), attribute.Bool("b", true))},
		{Attributes: attribute.NewSet(attribute.Int("only", 1))},
	}
)

func randSpans(r *rand.Rand) []sdktrace.ReadOnlySpan {
	res := append(slices.Clone(testResources), resource.NewSchemaless(randAttrs(r, 2)...))
	var stubs tracetest.SpanStubs
	for range r.IntN(6) + 1 {
		s := tracetest.SpanStub{
			Name:                 randString(r),
			SpanContext:          randSpanContext(r),
			SpanKind:             trace.SpanKind(r.IntN(7)), // 6 is no kind: UNSPECIFIED
			StartTime:            randTime(r),
			EndTime:              randTime(r),
			Attributes:           randAttrs(r, 2),
			DroppedAttributes:    randCount(r),
			DroppedEvents:        randCount(r),
			DroppedLinks:         randCount(r),
			Status:               sdktrace.Status{Code: codes.Code(r.IntN(4)), Description: randString(r)},
			Resource:             res[r.IntN(len(res))],
			InstrumentationScope: testScopes[r.IntN(len(testScopes))],
		}
		if r.IntN(2) == 0 {
			s.Parent = randSpanContext(r)
		}
		for range r.IntN(3) {
			s.Events = append(s.Events, sdktrace.Event{Name: randString(r), Attributes: randAttrs(r, 1), DroppedAttributeCount: randCount(r), Time: randTime(r)})
		}
		for range r.IntN(3) {
			s.Links = append(s.Links, sdktrace.Link{SpanContext: randSpanContext(r), Attributes: randAttrs(r, 1), DroppedAttributeCount: randCount(r)})
		}
		stubs = append(stubs, s)
	}
	return stubs.Snapshots()
}

// newOTLPTraceHTTP returns otlptracehttp, the SDK's exporter, sending
// uncompressed protobuf to a fake collector on loopback that keeps the
// bodies.
func newOTLPTraceHTTP(t *testing.T) (sdktrace.SpanExporter, *otlpsink.Sink) {
	t.Helper()
	sink, err := otlpsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(sink.URL+"/v1/traces"),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exp.Shutdown(context.Background()) })
	return exp, sink
}

// resourceSpansFields splits a request into its resource_spans fields.
func resourceSpansFields(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			t.Fatalf("not a request field: %d %d %d", num, typ, n)
		}
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			t.Fatal("truncated request")
		}
		out = append(out, v)
		b = b[n+m:]
	}
	return out
}

// sameRequest fails unless got and want hold the same resource spans,
// byte for byte, in any order (tracetransform's is a map's), and the
// generated code decodes them to equal messages.
func sameRequest(t *testing.T, got, want []byte) {
	t.Helper()
	g, w := resourceSpansFields(t, got), resourceSpansFields(t, want)
	sortBytes := func(a, b []byte) int { return bytes.Compare(a, b) }
	slices.SortFunc(g, sortBytes)
	slices.SortFunc(w, sortBytes)
	var gr, wr coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(got, &gr); err != nil {
		t.Fatalf("the generated code cannot decode Encode's bytes: %v", err)
	}
	if err := proto.Unmarshal(want, &wr); err != nil {
		t.Fatal(err)
	}
	// Put the expected resource spans in our order to compare messages.
	var ordered coltracepb.ExportTraceServiceRequest
	used := make([]bool, len(wr.ResourceSpans))
	for _, rs := range gr.ResourceSpans {
		for i, c := range wr.ResourceSpans {
			if !used[i] && proto.Equal(rs, c) {
				used[i] = true
				ordered.ResourceSpans = append(ordered.ResourceSpans, c)
				break
			}
		}
	}
	if !slices.EqualFunc(g, w, bytes.Equal) || len(ordered.ResourceSpans) != len(wr.ResourceSpans) || !proto.Equal(&gr, &ordered) {
		t.Fatalf("Encode\n%s\notlptracehttp\n%s", prototext.Format(&gr), prototext.Format(&wr))
	}
}

// TestEncodeMatchesOTLPTraceHTTP: for randomized spans using every field,
// attribute type, kind, status and parent, and several resources and
// scopes, Encode gives the bytes otlptracehttp sends a collector, up to
// the order of resources.
func TestEncodeMatchesOTLPTraceHTTP(t *testing.T) {
	exp, sink := newOTLPTraceHTTP(t)
	r := rand.New(rand.NewPCG(3, 4))
	// Fields longer than 127 and 16383 bytes, whose lengths take two and
	// three bytes, nested.
	large := tracetest.SpanStubs{{Name: "large", Attributes: []attribute.KeyValue{
		attribute.String("s", string(bytes.Repeat([]byte("x"), 20000))),
		attribute.StringSlice("l", slices.Repeat([]string{"0123456789"}, 2000)),
	}}}.Snapshots()
	for i := range 400 {
		spans := large
		if i > 0 {
			spans = randSpans(r)
		}
		if err := exp.ExportSpans(context.Background(), spans); err != nil {
			t.Fatalf("case %d: otlptracehttp: %v", i, err)
		}
		bodies := sink.Bodies()
		if len(bodies) != i+1 {
			t.Fatalf("case %d: the collector has %d bodies", i, len(bodies))
		}
		got, err := Encode(context.Background(), spans)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		sameRequest(t, got, bodies[i])
		checkDebugJSON(t, spans, got)
	}
}

// TestEncodeInvalidUTF8: a string that is not UTF-8 is sent with its bad
// bytes replaced by U+FFFD, where otlptracehttp fails the whole request
// (proto.Marshal refuses it): the span is kept, and the collector gets
// valid UTF-8.
func TestEncodeInvalidUTF8(t *testing.T) {
	exp, _ := newOTLPTraceHTTP(t)
	bad, fixed := "bad\xff", "bad\uFFFD"
	cases := map[string]tracetest.SpanStub{
		"name":         {Name: bad},
		"attribute":    {Attributes: []attribute.KeyValue{attribute.String("k", bad)}},
		"key":          {Attributes: []attribute.KeyValue{attribute.Int(bad, 1)}},
		"string slice": {Attributes: []attribute.KeyValue{attribute.StringSlice("k", []string{"ok", bad})}},
		"event":        {Events: []sdktrace.Event{{Name: bad}}},
		"status":       {Status: sdktrace.Status{Code: codes.Error, Description: bad}},
		"scope":        {InstrumentationScope: instrumentation.Scope{Name: "s", Version: bad}},
		"resource":     {Resource: resource.NewSchemaless(attribute.String("service.name", bad))},
	}
	for name, stub := range cases {
		spans := tracetest.SpanStubs{stub}.Snapshots()
		body, err := Encode(context.Background(), spans)
		if err != nil {
			t.Errorf("%s: Encode: %v", name, err)
			continue
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("%s: the request is not valid: %v", name, err)
			continue
		}
		if bytes.Contains(body, []byte(bad)) || !bytes.Contains(body, []byte(fixed)) {
			t.Errorf("%s: bad bytes not replaced by U+FFFD: %q", name, body)
		}
		if err := exp.ExportSpans(context.Background(), spans); err == nil {
			t.Errorf("%s: otlptracehttp sent it: the rule changed", name)
		}
	}
}

func TestEncodeNoSpans(t *testing.T) {
	for _, spans := range [][]sdktrace.ReadOnlySpan{nil, {}, {nil, nil}} {
		if body, err := Encode(context.Background(), spans); body != nil || err != nil {
			t.Errorf("Encode(%v) = %x, %v", spans, body, err)
		}
		if out, err := DebugJSON(context.Background(), spans); string(out) != "{}\n" || err != nil {
			t.Errorf("DebugJSON(%v) = %q, %v", spans, out, err)
		}
	}
}

// TestEncodeOrder: resources, and scopes within one, come in the order of
// their first span; a resource with the same attributes is the same one.
func TestEncodeOrder(t *testing.T) {
	ra := resource.NewSchemaless(attribute.String("service.name", "a"))
	raSchema := resource.NewWithAttributes("s", attribute.String("service.name", "a"))
	rb := resource.NewSchemaless(attribute.String("service.name", "b"))
	stub := func(name string, res *resource.Resource, scope string) tracetest.SpanStub {
		return tracetest.SpanStub{Name: name, Resource: res, InstrumentationScope: instrumentation.Scope{Name: scope}}
	}
	// Enough scopes to switch from the linear search to the index.
	var stubs tracetest.SpanStubs
	var want []string
	for i := range 12 {
		stubs = append(stubs, stub(fmt.Sprint("b", i), rb, fmt.Sprint("s", i)))
		want = append(want, fmt.Sprintf("%s/%s/%s", "b", fmt.Sprint("s", i), fmt.Sprint("b", i)))
	}
	stubs = append(stubs, stub("a1", ra, "x"), stub("b12", rb, "s3"), stub("a2", raSchema, "y"), stub("a3", ra, "x"))
	want = slices.Insert(want, 4, "b/s3/b12")
	want = append(want, "a/x/a1", "a/x/a3", "a/y/a2")
	body, err := Encode(context.Background(), stubs.Snapshots())
	if err != nil {
		t.Fatal(err)
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rs := range req.ResourceSpans {
		if rs.SchemaUrl != "" {
			t.Errorf("resource a has schema URL %q, want that of its first span (none)", rs.SchemaUrl)
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				got = append(got, fmt.Sprintf("%s/%s/%s", rs.Resource.Attributes[0].Value.GetStringValue(), ss.Scope.Name, s.Name))
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("order\n got %q\nwant %q", got, want)
	}
}
