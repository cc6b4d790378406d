package otlpwire

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// requestClient is an otlptrace.Client that marshals the request into
// body instead of sending it. otlptrace.Exporter does the span→OTLP
// transform and proto.Marshal of the ExportTraceServiceRequest is what
// otlptracehttp puts on the wire for http/protobuf, so the bytes are those
// otlptracehttp would send (TestEncodeMatchesOTLPTraceHTTP proves it).
// Unlike an otlptracehttp client it reads no OTEL_EXPORTER_OTLP_*
// variable, so a malformed one cannot print a parse error to stderr.
type requestClient struct {
	body []byte
}

func (*requestClient) Start(context.Context) error { return nil }
func (*requestClient) Stop(context.Context) error  { return nil }

func (c *requestClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	body, err := Marshal(rs)
	c.body = body
	return err
}

// Encode returns the OTLP/HTTP protobuf request body (an uncompressed
// ExportTraceServiceRequest) for spans: the bytes the spool stores and
// the uploader sends. It returns nil for no spans.
func Encode(ctx context.Context, spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	c := &requestClient{}
	if err := otlptrace.NewUnstarted(c).ExportSpans(ctx, spans); err != nil {
		return nil, fmt.Errorf("otlpwire: encoding spans: %w", err)
	}
	return c.body, nil
}

// DebugJSON renders the request Encode makes for spans as indented
// OTLP/JSON (see JSON). A collector accepts it as is at /v1/traces with
// Content-Type application/json.
func DebugJSON(ctx context.Context, spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	body, err := Encode(ctx, spans)
	if err != nil {
		return nil, err
	}
	rs, err := Unmarshal(body)
	if err != nil {
		return nil, fmt.Errorf("otlpwire: decoding the request: %w", err)
	}
	raw, err := JSON(rs)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("otlpwire: rendering the request: %w", err)
	}
	return append(out.Bytes(), '\n'), nil
}

// ValidRequest reports whether body is an ExportTraceServiceRequest with
// at least one span.
func ValidRequest(body []byte) bool {
	req, err := Unmarshal(body)
	if len(body) == 0 || err != nil {
		return false
	}
	for _, rs := range req {
		for _, ss := range rs.ScopeSpans {
			if len(ss.Spans) > 0 {
				return true
			}
		}
	}
	return false
}

// WarmUp marshals a request using every OTLP message type a span can
// produce. The protobuf runtime builds its per-type tables on first use,
// which costs 1-2 ms; the spool runs this in the background so that the
// cost overlaps the command's work instead of sitting on its exit path.
func WarmUp() {
	kv := []*commonpb.KeyValue{{Key: "k", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{
		ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{
			{Value: &commonpb.AnyValue_StringValue{StringValue: "v"}},
			{Value: &commonpb.AnyValue_IntValue{IntValue: 1}},
			{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}},
			{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 1}},
			{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{}}},
		}}}}}}
	Marshal([]*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: kv},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "warm-up", Attributes: kv},
			Spans: []*tracepb.Span{{
				Name:       "warm-up",
				Attributes: kv,
				Events:     []*tracepb.Span_Event{{Attributes: kv}},
				Links:      []*tracepb.Span_Link{{Attributes: kv}},
				Status:     &tracepb.Status{},
			}},
		}},
	}})
}
