package exporter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sync"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/anontel/anontel/exporter/internal/otlpwire"
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
	body, err := otlpwire.Marshal(rs)
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
		return nil, fmt.Errorf("exporter: encoding spans: %w", err)
	}
	return c.body, nil
}

// NewDebug returns an exporter that sends nothing and writes to w, for each
// export, the request the spool would store (the ExportTraceServiceRequest
// Encode makes) as indented OTLP/JSON: field names in lowerCamelCase,
// trace and span IDs in hex, enums as numbers, 64-bit integers as strings.
// A collector accepts it as is at /v1/traces with Content-Type
// application/json. Write errors are ignored: debug output must not break
// the command.
func NewDebug(w io.Writer) sdktrace.SpanExporter {
	return &debugExporter{w: w}
}

type debugExporter struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *debugExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	out, err := debugJSON(ctx, spans)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		fmt.Fprintf(d.w, "telemetry: %v\n", err)
		return nil
	}
	d.w.Write(out)
	return nil
}

func (*debugExporter) Shutdown(context.Context) error { return nil }

// idField matches the ID fields protojson renders in base64.
var idField = regexp.MustCompile(`("(?:traceId|spanId|parentSpanId)"): "([A-Za-z0-9+/=]*)"`)

// debugJSON renders the request Encode makes for spans as indented JSON.
func debugJSON(ctx context.Context, spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	body, err := Encode(ctx, spans)
	if err != nil {
		return nil, err
	}
	rs, err := otlpwire.Unmarshal(body)
	if err != nil {
		return nil, fmt.Errorf("exporter: decoding the request: %w", err)
	}
	// OTLP/JSON is protojson with enums as numbers and IDs in hex.
	raw, err := otlpwire.JSON(rs)
	if err != nil {
		return nil, fmt.Errorf("exporter: rendering the request: %w", err)
	}
	// protojson varies its whitespace on purpose; json.Indent makes the
	// output stable.
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("exporter: rendering the request: %w", err)
	}
	text := idField.ReplaceAllFunc(out.Bytes(), func(m []byte) []byte {
		sub := idField.FindSubmatch(m)
		id, err := base64.StdEncoding.DecodeString(string(sub[2]))
		if err != nil {
			return m
		}
		return []byte(fmt.Sprintf("%s: %q", sub[1], hex.EncodeToString(id)))
	})
	return append(text, '\n'), nil
}

// warmUp marshals a request using every OTLP message type a span can
// produce. The protobuf runtime builds its per-type tables on first use,
// which costs 1-2 ms; NewSpool runs this in the background so that the
// cost overlaps the command's work instead of sitting on its exit path.
func warmUp() {
	kv := []*commonpb.KeyValue{{Key: "k", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{
		ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{
			{Value: &commonpb.AnyValue_StringValue{StringValue: "v"}},
			{Value: &commonpb.AnyValue_IntValue{IntValue: 1}},
			{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}},
			{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 1}},
			{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{}}},
		}}}}}}
	otlpwire.Marshal([]*tracepb.ResourceSpans{{
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
