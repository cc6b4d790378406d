package otlpwire

import (
	"unicode/utf8"
)

// The decoded request: what Encode writes, for DebugJSON. Other fields
// (EntityRef, the *_strindex ones, unknown ones) are checked as the
// generated code checks them and left out.
type (
	resourceSpans struct {
		resource   *resourceMsg
		scopeSpans []*scopeSpans
		schemaURL  string
	}
	resourceMsg struct {
		attributes []*keyValue
		dropped    uint32
	}
	scopeSpans struct {
		scope     *scope
		spans     []*span
		schemaURL string
	}
	scope struct {
		name, version string
		attributes    []*keyValue
		dropped       uint32
	}
	span struct {
		traceID, spanID []byte
		traceState      string
		parentSpanID    []byte
		flags           uint32
		name            string
		kind            int32
		start, end      uint64
		attributes      []*keyValue
		dropped         uint32
		events          []*event
		droppedEvents   uint32
		links           []*link
		droppedLinks    uint32
		status          *status
	}
	event struct {
		time       uint64
		name       string
		attributes []*keyValue
		dropped    uint32
	}
	link struct {
		traceID, spanID []byte
		traceState      string
		attributes      []*keyValue
		dropped         uint32
		flags           uint32
	}
	status struct {
		message string
		code    int32
	}
	keyValue struct {
		key   string
		value *anyValue
	}
	// anyValue holds the oneof member numbered which (0: none).
	anyValue struct {
		which  int
		str    string
		i      uint64 // bool, int and double (as bits)
		bytes  []byte
		values []*anyValue
		kvs    []*keyValue
	}
)

// ValidRequest reports whether body is an ExportTraceServiceRequest, as
// the generated code would decode it, with at least one span.
func ValidRequest(body []byte) bool {
	rs, err := decodeRequest(body)
	if err != nil {
		return false
	}
	for _, r := range rs {
		for _, ss := range r.scopeSpans {
			if len(ss.spans) > 0 {
				return true
			}
		}
	}
	return false
}

// decodeRequest decodes an ExportTraceServiceRequest. Like the generated
// code it skips unknown fields and known ones of the wrong wire type,
// merges a repeated singular message, and refuses malformed input and
// strings that are not UTF-8.
func decodeRequest(b []byte) ([]*resourceSpans, error) {
	var out []*resourceSpans
	err := fields(b, maxDepth, func(f field, depth int) error {
		if f.num == requestResourceSpans && f.typ == wireBytes {
			r := &resourceSpans{}
			out = append(out, r)
			return r.decode(f.b, depth)
		}
		return nil
	})
	return out, err
}

// fields calls each for every field of the message b. depth is how many
// more levels of nesting are allowed below b.
func fields(b []byte, depth int, each func(f field, depth int) error) error {
	if depth < 0 {
		return errTooDeep
	}
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return err
		}
		if err := each(f, depth-1); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

func str(f field) (string, error) {
	if !utf8.Valid(f.b) {
		return "", errInvalidUTF
	}
	return string(f.b), nil
}

// is reports whether f is field num of wire type typ. A known field of
// another wire type is an unknown field to the generated code.
func (f field) is(num, typ int) bool { return f.num == num && f.typ == typ }

func (r *resourceSpans) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(resourceSpansResource, wireBytes):
			if r.resource == nil {
				r.resource = &resourceMsg{}
			}
			err = r.resource.decode(f.b, depth)
		case f.is(resourceSpansScope, wireBytes):
			ss := &scopeSpans{}
			r.scopeSpans = append(r.scopeSpans, ss)
			err = ss.decode(f.b, depth)
		case f.is(resourceSpansSchemaURL, wireBytes):
			r.schemaURL, err = str(f)
		}
		return err
	})
}

func (r *resourceMsg) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(resourceAttributes, wireBytes):
			r.attributes, err = appendKeyValue(r.attributes, f.b, depth)
		case f.is(resourceDropped, wireVarint):
			r.dropped = uint32(f.v)
		case f.is(resourceEntityRefs, wireBytes):
			err = checkEntityRef(f.b, depth)
		}
		return err
	})
}

// checkEntityRef checks an EntityRef, whose fields 1 to 4 are strings
// (3 and 4 repeated).
func checkEntityRef(b []byte, depth int) error {
	return fields(b, depth, func(f field, _ int) (err error) {
		if f.num >= 1 && f.num <= 4 && f.typ == wireBytes {
			_, err = str(f)
		}
		return err
	})
}

func (ss *scopeSpans) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(scopeSpansScope, wireBytes):
			if ss.scope == nil {
				ss.scope = &scope{}
			}
			err = ss.scope.decode(f.b, depth)
		case f.is(scopeSpansSpans, wireBytes):
			s := &span{}
			ss.spans = append(ss.spans, s)
			err = s.decode(f.b, depth)
		case f.is(scopeSpansSchemaURL, wireBytes):
			ss.schemaURL, err = str(f)
		}
		return err
	})
}

func (s *scope) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(scopeName, wireBytes):
			s.name, err = str(f)
		case f.is(scopeVersion, wireBytes):
			s.version, err = str(f)
		case f.is(scopeAttributes, wireBytes):
			s.attributes, err = appendKeyValue(s.attributes, f.b, depth)
		case f.is(scopeDropped, wireVarint):
			s.dropped = uint32(f.v)
		}
		return err
	})
}

func (s *span) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(spanTraceID, wireBytes):
			s.traceID = f.b
		case f.is(spanSpanID, wireBytes):
			s.spanID = f.b
		case f.is(spanTraceState, wireBytes):
			s.traceState, err = str(f)
		case f.is(spanParentSpanID, wireBytes):
			s.parentSpanID = f.b
		case f.is(spanFlags, wireFixed32):
			s.flags = uint32(f.v)
		case f.is(spanName, wireBytes):
			s.name, err = str(f)
		case f.is(spanKind, wireVarint):
			s.kind = int32(f.v)
		case f.is(spanStart, wireFixed64):
			s.start = f.v
		case f.is(spanEnd, wireFixed64):
			s.end = f.v
		case f.is(spanAttributes, wireBytes):
			s.attributes, err = appendKeyValue(s.attributes, f.b, depth)
		case f.is(spanDropped, wireVarint):
			s.dropped = uint32(f.v)
		case f.is(spanEvents, wireBytes):
			ev := &event{}
			s.events = append(s.events, ev)
			err = ev.decode(f.b, depth)
		case f.is(spanDroppedEvents, wireVarint):
			s.droppedEvents = uint32(f.v)
		case f.is(spanLinks, wireBytes):
			l := &link{}
			s.links = append(s.links, l)
			err = l.decode(f.b, depth)
		case f.is(spanDroppedLinks, wireVarint):
			s.droppedLinks = uint32(f.v)
		case f.is(spanStatus, wireBytes):
			if s.status == nil {
				s.status = &status{}
			}
			err = s.status.decode(f.b, depth)
		}
		return err
	})
}

func (ev *event) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(eventTime, wireFixed64):
			ev.time = f.v
		case f.is(eventName, wireBytes):
			ev.name, err = str(f)
		case f.is(eventAttributes, wireBytes):
			ev.attributes, err = appendKeyValue(ev.attributes, f.b, depth)
		case f.is(eventDropped, wireVarint):
			ev.dropped = uint32(f.v)
		}
		return err
	})
}

func (l *link) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(linkTraceID, wireBytes):
			l.traceID = f.b
		case f.is(linkSpanID, wireBytes):
			l.spanID = f.b
		case f.is(linkTraceState, wireBytes):
			l.traceState, err = str(f)
		case f.is(linkAttributes, wireBytes):
			l.attributes, err = appendKeyValue(l.attributes, f.b, depth)
		case f.is(linkDropped, wireVarint):
			l.dropped = uint32(f.v)
		case f.is(linkFlags, wireFixed32):
			l.flags = uint32(f.v)
		}
		return err
	})
}

func (st *status) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, _ int) (err error) {
		switch {
		case f.is(statusMessage, wireBytes):
			st.message, err = str(f)
		case f.is(statusCode, wireVarint):
			st.code = int32(f.v)
		}
		return err
	})
}

func appendKeyValue(kvs []*keyValue, b []byte, depth int) ([]*keyValue, error) {
	kv := &keyValue{}
	return append(kvs, kv), kv.decode(b, depth)
}

func (kv *keyValue) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(keyValueKey, wireBytes):
			kv.key, err = str(f)
		case f.is(keyValueValue, wireBytes):
			if kv.value == nil {
				kv.value = &anyValue{}
			}
			err = kv.value.decode(f.b, depth)
		}
		return err
	})
}

// decode reads an AnyValue: a later member of the oneof replaces an
// earlier one, and the same message member twice merges.
func (v *anyValue) decode(b []byte, depth int) error {
	return fields(b, depth, func(f field, depth int) (err error) {
		switch {
		case f.is(anyString, wireBytes):
			*v = anyValue{which: anyString}
			v.str, err = str(f)
		case f.is(anyBool, wireVarint), f.is(anyInt, wireVarint), f.is(anyDouble, wireFixed64), f.is(anyStrindex, wireVarint):
			*v = anyValue{which: f.num, i: f.v}
		case f.is(anyBytes, wireBytes):
			*v = anyValue{which: anyBytes, bytes: f.b}
		case f.is(anyArray, wireBytes):
			if v.which != anyArray {
				*v = anyValue{which: anyArray}
			}
			err = fields(f.b, depth, func(f field, depth int) error {
				if !f.is(listValues, wireBytes) {
					return nil
				}
				el := &anyValue{}
				v.values = append(v.values, el)
				return el.decode(f.b, depth)
			})
		case f.is(anyKvlist, wireBytes):
			if v.which != anyKvlist {
				*v = anyValue{which: anyKvlist}
			}
			err = fields(f.b, depth, func(f field, depth int) (err error) {
				if f.is(listValues, wireBytes) {
					v.kvs, err = appendKeyValue(v.kvs, f.b, depth)
				}
				return err
			})
		}
		return err
	})
}
