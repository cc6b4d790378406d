package otlpwire

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// generatedValid is ValidRequest's rule as the generated code applies it.
func generatedValid(body []byte) bool {
	var req coltracepb.ExportTraceServiceRequest
	if proto.Unmarshal(body, &req) != nil {
		return false
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			if len(ss.Spans) > 0 {
				return true
			}
		}
	}
	return false
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withUnknown returns m with unknown fields appended, as a newer sender's.
func withUnknown[M proto.Message](m M) M {
	var u []byte
	u = protowire.AppendTag(u, 99, protowire.Fixed32Type)
	u = protowire.AppendFixed32(u, 7)
	u = protowire.AppendTag(u, 100, protowire.StartGroupType)
	u = protowire.AppendTag(u, 1, protowire.BytesType)
	u = protowire.AppendString(u, "in a group, \xff is not checked")
	u = protowire.AppendTag(u, 100, protowire.EndGroupType)
	u = protowire.AppendTag(u, 101, protowire.VarintType)
	u = protowire.AppendVarint(u, 1<<63)
	m.ProtoReflect().SetUnknown(u)
	return m
}

func oneSpanRequest(s *tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "pipectl"}}}}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "s"}, Spans: []*tracepb.Span{s}}},
	}}}
}

func TestValidRequest(t *testing.T) {
	encoded, err := Encode(context.Background(), tracetest.SpanStubs{{
		Name:       "pipectl run",
		Attributes: []attribute.KeyValue{attribute.StringSlice("a", []string{"x"})},
		Resource:   resource.NewSchemaless(attribute.String("service.name", "pipectl")),
	}}.Snapshots())
	if err != nil {
		t.Fatal(err)
	}
	span := &tracepb.Span{Name: "pipectl run", TraceId: make([]byte, 16), SpanId: make([]byte, 8)}
	// A known field with another wire type is skipped, as unknown.
	nameAsVarint := protowire.AppendVarint(protowire.AppendTag(nil, spanName, protowire.VarintType), 5)
	// A string that is not UTF-8, written without the generated code.
	badName := protowire.AppendString(protowire.AppendTag(nil, spanName, protowire.BytesType), "\xff")
	wrap := func(spanBytes []byte) []byte {
		ss := protowire.AppendBytes(protowire.AppendTag(nil, scopeSpansSpans, protowire.BytesType), spanBytes)
		rs := protowire.AppendBytes(protowire.AppendTag(nil, resourceSpansScope, protowire.BytesType), ss)
		return protowire.AppendBytes(protowire.AppendTag(nil, requestResourceSpans, protowire.BytesType), rs)
	}
	// A span, then a resource with an entity ref whose type is not UTF-8.
	ref := protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "\xfe")
	res := protowire.AppendBytes(protowire.AppendTag(nil, resourceEntityRefs, protowire.BytesType), ref)
	rs := protowire.AppendBytes(protowire.AppendTag(nil, resourceSpansResource, protowire.BytesType), res)
	badRef := append(wrap(nil), protowire.AppendBytes(protowire.AppendTag(nil, requestResourceSpans, protowire.BytesType), rs)...)
	cases := []struct {
		name string
		body []byte
		want bool
	}{
		{"Encode's", encoded, true},
		{"one span", marshal(t, oneSpanRequest(span)), true},
		{"an empty span", marshal(t, oneSpanRequest(&tracepb.Span{})), true},
		{"two requests end to end", append(append([]byte(nil), encoded...), encoded...), true},
		{"unknown fields everywhere", marshal(t, withUnknown(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{withUnknown(&tracepb.ResourceSpans{
			ScopeSpans: []*tracepb.ScopeSpans{withUnknown(&tracepb.ScopeSpans{Spans: []*tracepb.Span{withUnknown(&tracepb.Span{
				Attributes: []*commonpb.KeyValue{withUnknown(&commonpb.KeyValue{Key: "k", Value: withUnknown(&commonpb.AnyValue{})})},
				Status:     withUnknown(&tracepb.Status{}),
			})}})},
		})}})), true},
		{"a known field of another wire type", wrap(nameAsVarint), true},
		{"entity refs and string indexes", marshal(t, &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource: &resourcepb.Resource{EntityRefs: []*commonpb.EntityRef{{Type: "service", IdKeys: []string{"service.name"}}},
				Attributes: []*commonpb.KeyValue{{KeyStrindex: 3, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 2}}}}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{span}}},
		}}}), true},
		{"nil", nil, false},
		{"empty", []byte{}, false},
		{"no spans", marshal(t, &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource: &resourcepb.Resource{}, ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "s"}}},
		}}}), false},
		{"only unknown fields", marshal(t, withUnknown(&coltracepb.ExportTraceServiceRequest{})), false},
		{"a string not UTF-8", wrap(badName), false},
		{"an entity ref not UTF-8", badRef, false},
		{"HTML", []byte("<html>portal</html>"), false},
		{"JSON", []byte(`{"resourceSpans":[]}`), false},
		{"0xff", []byte{0xff}, false},
		{"field 0", []byte{0 << 3, 0}, false},
		{"field 2^29", protowire.AppendVarint(protowire.AppendVarint(nil, 1<<29<<3), 0), false},
		{"end group alone", []byte{1<<3 | 4}, false},
		{"wire type 6", []byte{1<<3 | 6, 0}, false},
		{"varint of 11 bytes", append([]byte{2 << 3}, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0), false},
		{"varint overflow", append([]byte{2 << 3}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), false},
		{"length past the end", []byte{1<<3 | 2, 10, 1}, false},
		{"unterminated group", []byte{2<<3 | 3, 1 << 3, 0}, false},
		{"group ended by another", []byte{2<<3 | 3, 3<<3 | 4}, false},
	}
	for _, c := range cases {
		if got := ValidRequest(c.body); got != c.want {
			t.Errorf("%s: ValidRequest = %v, want %v", c.name, got, c.want)
		}
		if got := generatedValid(c.body); got != c.want {
			t.Errorf("%s: the generated code says %v: the case is wrong", c.name, got)
		}
	}
}

// TestValidRequestTruncated: a request cut at any byte is refused (or, if
// the cut falls between two resource spans, judged as the generated code
// judges it).
func TestValidRequestTruncated(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		body, err := Encode(context.Background(), randSpans(r))
		if err != nil {
			t.Fatal(err)
		}
		refused := 0
		for i := range len(body) {
			got := ValidRequest(body[:i])
			if got != generatedValid(body[:i]) {
				t.Fatalf("cut at %d of %d: ValidRequest = %v, the generated code disagrees", i, len(body), got)
			}
			if !got {
				refused++
			}
		}
		if refused < len(body)-len(resourceSpansFields(t, body)) {
			t.Errorf("only %d of %d truncations refused", refused, len(body))
		}
		if !ValidRequest(body) {
			t.Errorf("the whole request is refused")
		}
	}
}

// FuzzValidRequest: ValidRequest never panics and agrees with the
// generated code; what it accepts renders as JSON.
func FuzzValidRequest(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 10 {
		body, err := Encode(context.Background(), randSpans(r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
		f.Add(body[:len(body)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{2<<3 | 3, 1 << 3, 0, 2<<3 | 4})
	f.Add(marshal(f, withUnknown(oneSpanRequest(withUnknown(&tracepb.Span{Name: "x"})))))
	f.Fuzz(func(t *testing.T, body []byte) {
		got := ValidRequest(body)
		if want := generatedValid(body); got != want {
			t.Fatalf("ValidRequest = %v, the generated code says %v", got, want)
		}
		if rs, err := decodeRequest(body); err == nil && !json.Valid(requestJSON(rs)) {
			t.Fatalf("invalid JSON for an accepted request: %s", requestJSON(rs))
		}
	})
}

// TestValidRequestMutated: for requests with random bytes changed,
// inserted or removed, ValidRequest agrees with the generated code (the
// fuzz target does the same, guided, when run with -fuzz).
func TestValidRequestMutated(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var seeds [][]byte
	for range 10 {
		body, err := Encode(context.Background(), randSpans(r))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, body)
	}
	accepted := 0
	for i := range 20000 {
		b := slices.Clone(seeds[r.IntN(len(seeds))])
		for range r.IntN(4) + 1 {
			j := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b[j] = byte(r.IntN(256))
			case 1:
				b = slices.Insert(b, j, byte(r.IntN(256)))
			case 2:
				b = slices.Delete(b, j, j+1)
			}
		}
		got := ValidRequest(b)
		if want := generatedValid(b); got != want {
			t.Fatalf("case %d: ValidRequest = %v, the generated code says %v: %q", i, got, want, b)
		}
		if got {
			accepted++
		}
	}
	if accepted == 0 || accepted == 20000 {
		t.Errorf("%d of 20000 mutated requests accepted: the check is void", accepted)
	}
}
