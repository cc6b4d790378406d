package otlpwire

import (
	"bytes"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func sample(n int) []*tracepb.ResourceSpans {
	var rs []*tracepb.ResourceSpans
	for i := 0; i < n; i++ {
		rs = append(rs, &tracepb.ResourceSpans{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "pipectl"}}}}},
			ScopeSpans: []*tracepb.ScopeSpans{{
				Scope: &commonpb.InstrumentationScope{Name: "s", Version: "1"},
				Spans: []*tracepb.Span{{
					TraceId: bytes.Repeat([]byte{byte(i + 1)}, 16),
					SpanId:  bytes.Repeat([]byte{2}, 8),
					Name:    "pipectl run",
					Kind:    tracepb.Span_SPAN_KIND_INTERNAL,
					Status:  &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "x"},
				}},
			}},
		})
	}
	return rs
}

func TestMatchesGeneratedCode(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		rs := sample(n)
		want, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("n=%d: Marshal differs from the generated code", n)
		}
		back, err := Unmarshal(want)
		if err != nil || len(back) != n {
			t.Fatalf("n=%d: Unmarshal = %d, %v", n, len(back), err)
		}
		for i := range back {
			if !proto.Equal(back[i], rs[i]) {
				t.Errorf("n=%d: resource spans %d differ after a round trip", n, i)
			}
		}
		checkJSON(t, rs)
	}
}

func TestUnmarshalSkipsUnknownAndRejectsGarbage(t *testing.T) {
	body, _ := Marshal(sample(1))
	// An unknown field 5 (varint) before the real one is skipped.
	withUnknown := append([]byte{5 << 3 /* field 5, wire type 0 (varint) */, 42}, body...)
	if rs, err := Unmarshal(withUnknown); err != nil || len(rs) != 1 {
		t.Errorf("with an unknown field: %d, %v", len(rs), err)
	}
	for _, bad := range [][]byte{{0xff}, {1<<3 | 2, 10, 1}, body[:len(body)-3], []byte("<html>portal</html>")} {
		if _, err := Unmarshal(bad); err == nil {
			t.Errorf("Unmarshal(%q) succeeded", bad)
		}
	}
}
