package otlpwire

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// DebugJSON renders the request Encode makes for spans as indented
// OTLP/JSON (see requestJSON). A collector accepts it as is at /v1/traces
// with Content-Type application/json. It decodes Encode's bytes rather
// than walking the spans again, so that the mapping has one home.
func DebugJSON(ctx context.Context, spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	body, err := Encode(ctx, spans)
	if err != nil {
		return nil, err
	}
	rs, err := decodeRequest(body)
	if err != nil {
		return nil, fmt.Errorf("otlpwire: decoding the request: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, requestJSON(rs), "", "  "); err != nil {
		return nil, fmt.Errorf("otlpwire: rendering the request: %w", err)
	}
	return append(out.Bytes(), '\n'), nil
}

// requestJSON returns the request as OTLP/JSON, the protobuf JSON mapping
// with the OTLP specification's exceptions: trace and span ids in hex,
// enums as numbers. Fields come in declaration order and zero values are
// left out, as protojson does (TestJSONMatchesProtojson checks the two
// agree); protojson's package initialisation alone cost every command
// about 0.7 ms.
func requestJSON(rs []*resourceSpans) []byte {
	if len(rs) == 0 {
		return []byte(`{}`)
	}
	w := &jsonWriter{}
	w.b = append(w.b, `{"resourceSpans":[`...)
	for i, r := range rs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.resourceSpans(r)
	}
	w.b = append(w.b, "]}"...)
	return w.b
}

// jsonWriter appends one JSON object at a time; first tells whether the
// object being written has no field yet.
type jsonWriter struct {
	b     []byte
	first bool
}

func (w *jsonWriter) open()  { w.b, w.first = append(w.b, '{'), true }
func (w *jsonWriter) close() { w.b, w.first = append(w.b, '}'), false }

func (w *jsonWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = strconv.AppendQuote(w.b, k)
	w.b = append(w.b, ':')
}

func (w *jsonWriter) str(k, v string) {
	if v != "" {
		w.key(k)
		w.b = appendString(w.b, v)
	}
}

func (w *jsonWriter) hexID(k string, v []byte) {
	if len(v) > 0 {
		w.key(k)
		w.b = strconv.AppendQuote(w.b, hex.EncodeToString(v))
	}
}

// u64 writes a 64-bit integer as a string, as the mapping requires.
func (w *jsonWriter) u64(k string, v uint64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendQuote(w.b, strconv.FormatUint(v, 10))
	}
}

func (w *jsonWriter) u32(k string, v uint32) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendUint(w.b, uint64(v), 10)
	}
}

func (w *jsonWriter) enum(k string, v int32) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendInt(w.b, int64(v), 10)
	}
}

// array writes items under k with each, unless there are none.
func array[T any](w *jsonWriter, k string, items []T, each func(T)) {
	if len(items) == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i, it := range items {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		each(it)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) resourceSpans(r *resourceSpans) {
	w.open()
	if r.resource != nil {
		w.key("resource")
		w.open()
		w.attributes("attributes", r.resource.attributes)
		w.u32("droppedAttributesCount", r.resource.dropped)
		w.close()
	}
	array(w, "scopeSpans", r.scopeSpans, w.scopeSpans)
	w.str("schemaUrl", r.schemaURL)
	w.close()
}

func (w *jsonWriter) scopeSpans(ss *scopeSpans) {
	w.open()
	if s := ss.scope; s != nil {
		w.key("scope")
		w.open()
		w.str("name", s.name)
		w.str("version", s.version)
		w.attributes("attributes", s.attributes)
		w.u32("droppedAttributesCount", s.dropped)
		w.close()
	}
	array(w, "spans", ss.spans, w.span)
	w.str("schemaUrl", ss.schemaURL)
	w.close()
}

func (w *jsonWriter) span(s *span) {
	w.open()
	w.hexID("traceId", s.traceID)
	w.hexID("spanId", s.spanID)
	w.str("traceState", s.traceState)
	w.hexID("parentSpanId", s.parentSpanID)
	w.u32("flags", s.flags)
	w.str("name", s.name)
	w.enum("kind", s.kind)
	w.u64("startTimeUnixNano", s.start)
	w.u64("endTimeUnixNano", s.end)
	w.attributes("attributes", s.attributes)
	w.u32("droppedAttributesCount", s.dropped)
	array(w, "events", s.events, func(e *event) {
		w.open()
		w.u64("timeUnixNano", e.time)
		w.str("name", e.name)
		w.attributes("attributes", e.attributes)
		w.u32("droppedAttributesCount", e.dropped)
		w.close()
	})
	w.u32("droppedEventsCount", s.droppedEvents)
	array(w, "links", s.links, func(l *link) {
		w.open()
		w.hexID("traceId", l.traceID)
		w.hexID("spanId", l.spanID)
		w.str("traceState", l.traceState)
		w.attributes("attributes", l.attributes)
		w.u32("droppedAttributesCount", l.dropped)
		w.u32("flags", l.flags)
		w.close()
	})
	w.u32("droppedLinksCount", s.droppedLinks)
	if st := s.status; st != nil {
		w.key("status")
		w.open()
		w.str("message", st.message)
		w.enum("code", st.code)
		w.close()
	}
	w.close()
}

func (w *jsonWriter) attributes(k string, kvs []*keyValue) {
	array(w, k, kvs, func(kv *keyValue) {
		w.open()
		w.str("key", kv.key)
		if kv.value != nil {
			w.key("value")
			w.anyValue(kv.value)
		}
		w.close()
	})
}

// anyValue writes the value's one member, even when it holds a zero
// value: a oneof member is present when it is set.
func (w *jsonWriter) anyValue(v *anyValue) {
	w.open()
	switch v.which {
	case anyString:
		w.key("stringValue")
		w.b = appendString(w.b, v.str)
	case anyBool:
		w.key("boolValue")
		w.b = strconv.AppendBool(w.b, v.i != 0)
	case anyInt:
		w.key("intValue")
		w.b = strconv.AppendQuote(w.b, strconv.FormatInt(int64(v.i), 10))
	case anyDouble:
		w.key("doubleValue")
		w.b = appendDouble(w.b, math.Float64frombits(v.i))
	case anyBytes:
		w.key("bytesValue")
		w.b = strconv.AppendQuote(w.b, base64.StdEncoding.EncodeToString(v.bytes))
	case anyArray:
		w.key("arrayValue")
		w.open()
		array(w, "values", v.values, w.anyValue)
		w.close()
	case anyKvlist:
		w.key("kvlistValue")
		w.open()
		w.attributes("values", v.kvs)
		w.close()
	}
	w.close()
}

// appendDouble writes a double as the JSON mapping does: a number, or
// "NaN", "Infinity" and "-Infinity" as strings.
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, string(r)...)
		}
	}
	return append(b, '"')
}
