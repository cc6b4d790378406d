package otlpwire

import (
	"context"
	"encoding/binary"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Encode returns the OTLP/HTTP protobuf request body (an uncompressed
// ExportTraceServiceRequest) for spans: the bytes the spool stores and
// the uploader sends. It returns nil when there is no span.
//
// The mapping is that of otlptrace's tracetransform, field for field, and
// the bytes are those proto.Marshal of the generated types gives, so what
// otlptracehttp would send (TestEncodeMatchesOTLPTraceHTTP). Unlike
// proto.Marshal, which fails the whole request on a string that is not
// valid UTF-8 (an error message holding a Latin-1 file name would lose the
// span), it writes such a string with each bad byte sequence replaced by
// U+FFFD. Unlike tracetransform, which groups through maps,
// resources and scopes come in the order their first span does.
func Encode(_ context.Context, spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	groups := groupSpans(spans)
	if len(groups) == 0 {
		return nil, nil
	}
	e := encoder{b: make([]byte, 0, 512*len(spans))}
	for _, g := range groups {
		e.resourceSpans(g)
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.b, nil
}

// resourceGroup holds the spans of one resource, by scope; first is the
// first span seen with that resource, whose resource and schema URL the
// request carries (tracetransform keys resources by attributes only).
type resourceGroup struct {
	first  sdktrace.ReadOnlySpan
	res    attribute.Distinct
	scopes []*scopeGroup
}

type scopeGroup struct {
	scope instrumentation.Scope
	spans []sdktrace.ReadOnlySpan
}

// groupSpans groups spans by resource, then by scope, in first-seen
// order. A linear search serves the usual one or two groups; past a few,
// an index keeps the cost linear in the number of spans.
func groupSpans(spans []sdktrace.ReadOnlySpan) []*resourceGroup {
	type key struct {
		res   attribute.Distinct
		scope instrumentation.Scope
	}
	const linear = 8
	var (
		groups []*resourceGroup
		byRes  map[attribute.Distinct]*resourceGroup
		byKey  map[key]*scopeGroup
		nScope int
	)
	for _, s := range spans {
		if s == nil {
			continue
		}
		res, scope := s.Resource().Equivalent(), s.InstrumentationScope()
		var rg *resourceGroup
		if byRes != nil {
			rg = byRes[res]
		} else {
			for _, g := range groups {
				if g.res == res {
					rg = g
					break
				}
			}
		}
		if rg == nil {
			rg = &resourceGroup{first: s, res: res}
			groups = append(groups, rg)
			if byRes != nil {
				byRes[res] = rg
			}
		}
		var sg *scopeGroup
		if byKey != nil {
			sg = byKey[key{res, scope}]
		} else {
			for _, g := range rg.scopes {
				if g.scope == scope {
					sg = g
					break
				}
			}
		}
		if sg == nil {
			sg = &scopeGroup{scope: scope}
			rg.scopes = append(rg.scopes, sg)
			nScope++
			if byKey != nil {
				byKey[key{res, scope}] = sg
			}
		}
		sg.spans = append(sg.spans, s)
		if byKey == nil && nScope > linear {
			byRes = make(map[attribute.Distinct]*resourceGroup, len(groups))
			byKey = make(map[key]*scopeGroup, nScope)
			for _, g := range groups {
				byRes[g.res] = g
				for _, sg := range g.scopes {
					byKey[key{g.res, sg.scope}] = sg
				}
			}
		}
	}
	return groups
}

// Field numbers of the OTLP messages (opentelemetry/proto/.../v1), in the
// order the generated code writes them: by number.
const (
	requestResourceSpans = 1 // ExportTraceServiceRequest

	resourceSpansResource  = 1
	resourceSpansScope     = 2
	resourceSpansSchemaURL = 3

	resourceAttributes = 1
	resourceDropped    = 2
	resourceEntityRefs = 3

	scopeSpansScope     = 1
	scopeSpansSpans     = 2
	scopeSpansSchemaURL = 3

	scopeName       = 1
	scopeVersion    = 2
	scopeAttributes = 3
	scopeDropped    = 4

	spanTraceID       = 1
	spanSpanID        = 2
	spanTraceState    = 3
	spanParentSpanID  = 4
	spanName          = 5
	spanKind          = 6
	spanStart         = 7 // fixed64
	spanEnd           = 8 // fixed64
	spanAttributes    = 9
	spanDropped       = 10
	spanEvents        = 11
	spanDroppedEvents = 12
	spanLinks         = 13
	spanDroppedLinks  = 14
	spanStatus        = 15
	spanFlags         = 16 // fixed32

	eventTime       = 1 // fixed64
	eventName       = 2
	eventAttributes = 3
	eventDropped    = 4

	linkTraceID    = 1
	linkSpanID     = 2
	linkTraceState = 3
	linkAttributes = 4
	linkDropped    = 5
	linkFlags      = 6 // fixed32

	statusMessage = 2
	statusCode    = 3

	keyValueKey   = 1
	keyValueValue = 2

	anyString   = 1
	anyBool     = 2
	anyInt      = 3
	anyDouble   = 4 // fixed64
	anyArray    = 5
	anyKvlist   = 6
	anyBytes    = 7
	anyStrindex = 8

	listValues = 1 // ArrayValue and KeyValueList
)

// SpanFlags bits above the W3C trace flags.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// encoder appends a request to b; err is the first invalid string met.
type encoder struct {
	b   []byte
	err error
}

// open starts a length-delimited field and returns where its length
// goes; close writes the length there.
func (e *encoder) open(num int) int {
	e.b = appendTag(e.b, num, wireBytes)
	e.b = append(e.b, 0)
	return len(e.b) - 1
}

// close writes the length of the field opened at at. The length was given
// one byte; a longer one moves the contents up, which nesting bounds.
func (e *encoder) close(at int) {
	n := len(e.b) - at - 1
	if n < 0x80 {
		e.b[at] = byte(n)
		return
	}
	size := uvarintLen(uint64(n))
	e.b = append(e.b, make([]byte, size-1)...)
	copy(e.b[at+size:], e.b[at+1:at+1+n])
	binary.PutUvarint(e.b[at:], uint64(n))
}

// str writes a string field, left out when empty as proto3 does.
func (e *encoder) str(num int, s string) {
	if s != "" {
		e.strAlways(num, s)
	}
}

// strAlways writes a string field even when empty: a oneof member.
func (e *encoder) strAlways(num int, s string) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	e.b = appendTag(e.b, num, wireBytes)
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) bytes(num int, v []byte) {
	if len(v) > 0 {
		e.b = appendTag(e.b, num, wireBytes)
		e.b = binary.AppendUvarint(e.b, uint64(len(v)))
		e.b = append(e.b, v...)
	}
}

func (e *encoder) uvarint(num int, v uint64) {
	if v != 0 {
		e.b = appendTag(e.b, num, wireVarint)
		e.b = binary.AppendUvarint(e.b, v)
	}
}

func (e *encoder) fixed64(num int, v uint64) {
	if v != 0 {
		e.b = appendTag(e.b, num, wireFixed64)
		e.b = binary.LittleEndian.AppendUint64(e.b, v)
	}
}

func (e *encoder) fixed32(num int, v uint32) {
	if v != 0 {
		e.b = appendTag(e.b, num, wireFixed32)
		e.b = binary.LittleEndian.AppendUint32(e.b, v)
	}
}

func (e *encoder) resourceSpans(g *resourceGroup) {
	at := e.open(requestResourceSpans)
	res := g.first.Resource()
	if res != nil {
		r := e.open(resourceSpansResource)
		e.iterator(resourceAttributes, res.Iter())
		e.close(r)
	}
	for _, sg := range g.scopes {
		ss := e.open(resourceSpansScope)
		if sg.scope != (instrumentation.Scope{}) {
			sc := e.open(scopeSpansScope)
			e.str(scopeName, sg.scope.Name)
			e.str(scopeVersion, sg.scope.Version)
			e.iterator(scopeAttributes, sg.scope.Attributes.Iter())
			e.close(sc)
		}
		for _, s := range sg.spans {
			e.span(s)
		}
		e.str(scopeSpansSchemaURL, sg.scope.SchemaURL)
		e.close(ss)
	}
	e.str(resourceSpansSchemaURL, res.SchemaURL())
	e.close(at)
}

func (e *encoder) span(s sdktrace.ReadOnlySpan) {
	at := e.open(scopeSpansSpans)
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	e.bytes(spanTraceID, tid[:])
	e.bytes(spanSpanID, sid[:])
	e.str(spanTraceState, sc.TraceState().String())
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		e.bytes(spanParentSpanID, psid[:])
	}
	e.str(spanName, s.Name())
	e.uvarint(spanKind, kind(s.SpanKind()))
	e.fixed64(spanStart, unixNano(s.StartTime()))
	e.fixed64(spanEnd, unixNano(s.EndTime()))
	for _, kv := range s.Attributes() {
		e.keyValue(spanAttributes, kv)
	}
	e.uvarint(spanDropped, clampUint32(s.DroppedAttributes()))
	for _, ev := range s.Events() {
		ea := e.open(spanEvents)
		e.fixed64(eventTime, unixNano(ev.Time))
		e.str(eventName, ev.Name)
		for _, kv := range ev.Attributes {
			e.keyValue(eventAttributes, kv)
		}
		e.uvarint(eventDropped, clampUint32(ev.DroppedAttributeCount))
		e.close(ea)
	}
	e.uvarint(spanDroppedEvents, clampUint32(s.DroppedEvents()))
	for _, l := range s.Links() {
		// tracetransform sends no trace state for a link.
		la := e.open(spanLinks)
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		e.bytes(linkTraceID, ltid[:])
		e.bytes(linkSpanID, lsid[:])
		for _, kv := range l.Attributes {
			e.keyValue(linkAttributes, kv)
		}
		e.uvarint(linkDropped, clampUint32(l.DroppedAttributeCount))
		e.fixed32(linkFlags, flags(l.SpanContext.TraceFlags(), l.SpanContext))
		e.close(la)
	}
	e.uvarint(spanDroppedLinks, clampUint32(s.DroppedLinks()))
	// The status is always there, its message whatever the code.
	st := s.Status()
	sa := e.open(spanStatus)
	e.str(statusMessage, st.Description)
	e.uvarint(statusCode, statusCodeOf(st.Code))
	e.close(sa)
	e.fixed32(spanFlags, flags(sc.TraceFlags(), parent))
	e.close(at)
}

// flags is the W3C trace flags plus whether the parent (for a link, the
// linked context) is known to be remote, which is always known here.
func flags(tf trace.TraceFlags, parent trace.SpanContext) uint32 {
	f := uint32(tf) | flagHasIsRemote
	if parent.IsRemote() {
		f |= flagIsRemote
	}
	return f
}

// kind maps to Span.SpanKind; anything unknown is UNSPECIFIED (0).
func kind(k trace.SpanKind) uint64 {
	switch k {
	case trace.SpanKindInternal:
		return 1
	case trace.SpanKindServer:
		return 2
	case trace.SpanKindClient:
		return 3
	case trace.SpanKindProducer:
		return 4
	case trace.SpanKindConsumer:
		return 5
	}
	return 0
}

// statusCodeOf maps to Status.StatusCode: UNSET 0, OK 1, ERROR 2.
func statusCodeOf(c codes.Code) uint64 {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

// unixNano is t in nanoseconds, 0 before 1970 (and for the zero time).
func unixNano(t time.Time) uint64 { return uint64(max(0, t.UnixNano())) }

func clampUint32(v int) uint64 { return uint64(min(max(v, 0), math.MaxUint32)) }

func (e *encoder) iterator(num int, it attribute.Iterator) {
	for it.Next() {
		e.keyValue(num, it.Attribute())
	}
}

func (e *encoder) keyValue(num int, kv attribute.KeyValue) {
	at := e.open(num)
	e.str(keyValueKey, string(kv.Key))
	e.value(keyValueValue, kv.Value)
	e.close(at)
}

// value writes an AnyValue field. As in tracetransform, EMPTY is an
// AnyValue with no member set and a type it does not know is "INVALID".
func (e *encoder) value(num int, v attribute.Value) {
	at := e.open(num)
	switch v.Type() {
	case attribute.EMPTY:
	case attribute.BOOL:
		e.boolValue(v.AsBool())
	case attribute.INT64:
		e.intValue(v.AsInt64())
	case attribute.FLOAT64:
		e.doubleValue(v.AsFloat64())
	case attribute.STRING:
		e.strAlways(anyString, v.AsString())
	case attribute.BYTESLICE:
		b := v.AsByteSlice()
		e.b = appendTag(e.b, anyBytes, wireBytes)
		e.b = binary.AppendUvarint(e.b, uint64(len(b)))
		e.b = append(e.b, b...)
	case attribute.BOOLSLICE:
		arrayValue(e, v.AsBoolSlice(), e.boolValue)
	case attribute.INT64SLICE:
		arrayValue(e, v.AsInt64Slice(), e.intValue)
	case attribute.FLOAT64SLICE:
		arrayValue(e, v.AsFloat64Slice(), e.doubleValue)
	case attribute.STRINGSLICE:
		arrayValue(e, v.AsStringSlice(), func(x string) { e.strAlways(anyString, x) })
	case attribute.SLICE:
		arr := e.open(anyArray)
		for _, x := range v.AsSlice() {
			e.value(listValues, x)
		}
		e.close(arr)
	case attribute.MAP:
		m := e.open(anyKvlist)
		for _, kv := range v.AsMap() {
			e.keyValue(listValues, kv)
		}
		e.close(m)
	default:
		e.strAlways(anyString, "INVALID")
	}
	e.close(at)
}

// arrayValue writes an ArrayValue member holding one AnyValue per item,
// each written by member.
func arrayValue[T any](e *encoder, items []T, member func(T)) {
	arr := e.open(anyArray)
	for _, x := range items {
		el := e.open(listValues)
		member(x)
		e.close(el)
	}
	e.close(arr)
}

// The scalar members of AnyValue are a oneof: written even when zero.

func (e *encoder) boolValue(v bool) {
	e.b = appendTag(e.b, anyBool, wireVarint)
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) intValue(v int64) {
	e.b = appendTag(e.b, anyInt, wireVarint)
	e.b = binary.AppendUvarint(e.b, uint64(v))
}

func (e *encoder) doubleValue(v float64) {
	e.b = appendTag(e.b, anyDouble, wireFixed64)
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}
