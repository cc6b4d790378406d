package otlpwire

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// checkJSON compares the OTLP/JSON of the request, read back by our
// decoder, with protojson's rendering of it, ids turned from base64 into
// hex as OTLP/JSON wants them.
func checkJSON(t *testing.T, req *coltracepb.ExportTraceServiceRequest) {
	t.Helper()
	body, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := decodeRequest(body)
	if err != nil {
		t.Fatalf("decoding what the generated code wrote: %v", err)
	}
	sameJSON(t, requestJSON(rs), req)
}

// checkDebugJSON compares DebugJSON for spans with protojson's rendering
// of body, Encode's bytes for them, as the generated code reads them.
func checkDebugJSON(t *testing.T, spans []sdktrace.ReadOnlySpan, body []byte) {
	t.Helper()
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	got, err := DebugJSON(context.Background(), spans)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, &req)
}

func sameJSON(t *testing.T, got []byte, req *coltracepb.ExportTraceServiceRequest) {
	t.Helper()
	want, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	hexIDs(a)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("ours\n%s\nprotojson (ids in hex)\n%s", got, want)
	}
}

// hexIDs rewrites the base64 ids protojson writes into hex.
func hexIDs(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "traceId" || k == "spanId" || k == "parentSpanId") {
				raw, _ := base64.StdEncoding.DecodeString(s)
				x[k] = hex.EncodeToString(raw)
				continue
			}
			hexIDs(e)
		}
	case []any:
		for _, e := range x {
			hexIDs(e)
		}
	}
}

func randString(r *rand.Rand) string {
	pieces := []string{"", "a", "pipectl run", "é", "\x00", "\n\t\"\\", "\u2028", "<html>", "😀", "\x1f"}
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randValue(r *rand.Rand, depth int) *commonpb.AnyValue {
	switch r.IntN(8) {
	case 0:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: randString(r)}}
	case 1:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: r.IntN(2) == 0}}
	case 2:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: r.Int64() - math.MaxInt64/2}}
	case 3:
		fs := []float64{0, -1.5, 1e300, 3.14159, math.Inf(1), math.Inf(-1), math.NaN(), 1e-7}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: fs[r.IntN(len(fs))]}}
	case 4:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte(randString(r))}}
	case 5:
		if depth > 0 {
			var vs []*commonpb.AnyValue
			for range r.IntN(3) {
				vs = append(vs, randValue(r, depth-1))
			}
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
		}
	case 6:
		if depth > 0 {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: randKVs(r, depth-1)}}}
		}
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: ""}}
}

func randKVs(r *rand.Rand, depth int) []*commonpb.KeyValue {
	var kvs []*commonpb.KeyValue
	for range r.IntN(4) {
		kvs = append(kvs, &commonpb.KeyValue{Key: randString(r), Value: randValue(r, depth)})
	}
	return kvs
}

func randBytes(r *rand.Rand, n int) []byte {
	if r.IntN(4) == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func randSpan(r *rand.Rand) *tracepb.Span {
	s := &tracepb.Span{
		TraceId: randBytes(r, 16), SpanId: randBytes(r, 8), ParentSpanId: randBytes(r, 8),
		TraceState: randString(r), Flags: uint32(r.IntN(0x400)), Name: randString(r),
		Kind: tracepb.Span_SpanKind(r.IntN(6)), StartTimeUnixNano: r.Uint64(), EndTimeUnixNano: r.Uint64() >> r.IntN(64),
		Attributes: randKVs(r, 2), DroppedAttributesCount: uint32(r.IntN(3)),
		DroppedEventsCount: uint32(r.IntN(2)), DroppedLinksCount: uint32(r.IntN(2)),
	}
	for range r.IntN(3) {
		s.Events = append(s.Events, &tracepb.Span_Event{TimeUnixNano: r.Uint64(), Name: randString(r), Attributes: randKVs(r, 1), DroppedAttributesCount: uint32(r.IntN(2))})
	}
	for range r.IntN(3) {
		s.Links = append(s.Links, &tracepb.Span_Link{TraceId: randBytes(r, 16), SpanId: randBytes(r, 8), TraceState: randString(r), Attributes: randKVs(r, 1), DroppedAttributesCount: uint32(r.IntN(2)), Flags: uint32(r.IntN(0x400))})
	}
	if r.IntN(3) > 0 {
		s.Status = &tracepb.Status{Message: randString(r), Code: tracepb.Status_StatusCode(r.IntN(3))}
	}
	return s
}

// TestJSONMatchesProtojson: the decoder and the hand-written OTLP/JSON
// agree with the generated code and protojson (ids in hex) for randomized
// requests using every field and value kind, also those Encode does not
// write.
func TestJSONMatchesProtojson(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		var rs []*tracepb.ResourceSpans
		for range r.IntN(3) + 1 {
			res := &tracepb.ResourceSpans{SchemaUrl: randString(r)}
			if r.IntN(4) > 0 {
				res.Resource = &resourcepb.Resource{Attributes: randKVs(r, 2), DroppedAttributesCount: uint32(r.IntN(2))}
			}
			for range r.IntN(3) {
				ss := &tracepb.ScopeSpans{SchemaUrl: randString(r)}
				if r.IntN(4) > 0 {
					ss.Scope = &commonpb.InstrumentationScope{Name: randString(r), Version: randString(r), Attributes: randKVs(r, 1), DroppedAttributesCount: uint32(r.IntN(2))}
				}
				for range r.IntN(3) {
					ss.Spans = append(ss.Spans, randSpan(r))
				}
				res.ScopeSpans = append(res.ScopeSpans, ss)
			}
			rs = append(rs, res)
		}
		checkJSON(t, &coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
	}
	if got := requestJSON(nil); !bytes.Equal(got, []byte(`{}`)) {
		t.Errorf("requestJSON(nil) = %s", got)
	}
}
