package otlpwire

import (
	"fmt"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// resourceSpansField is ExportTraceServiceRequest.resource_spans.
const resourceSpansField protowire.Number = 1

// Marshal returns the protobuf encoding of an ExportTraceServiceRequest
// holding rs: the same bytes proto.Marshal of the generated type gives.
func Marshal(rs []*tracepb.ResourceSpans) ([]byte, error) {
	var b []byte
	for _, r := range rs {
		m, err := proto.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("otlpwire: marshal: %w", err)
		}
		b = protowire.AppendTag(b, resourceSpansField, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b, nil
}

// Unmarshal decodes an ExportTraceServiceRequest. Unknown fields are
// skipped, as the generated code does.
func Unmarshal(body []byte) ([]*tracepb.ResourceSpans, error) {
	var out []*tracepb.ResourceSpans
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return nil, fmt.Errorf("otlpwire: unmarshal: %w", protowire.ParseError(n))
		}
		body = body[n:]
		if num != resourceSpansField || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, body)
			if n < 0 {
				return nil, fmt.Errorf("otlpwire: unmarshal: %w", protowire.ParseError(n))
			}
			body = body[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(body)
		if n < 0 {
			return nil, fmt.Errorf("otlpwire: unmarshal: %w", protowire.ParseError(n))
		}
		body = body[n:]
		r := &tracepb.ResourceSpans{}
		if err := proto.Unmarshal(v, r); err != nil {
			return nil, fmt.Errorf("otlpwire: unmarshal: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}
