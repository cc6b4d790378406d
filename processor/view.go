package processor

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/anontel/anontel/internal/mask"
)

// maskedSpan is what downstream sees when something was masked.
type maskedSpan struct {
	sdktrace.ReadOnlySpan
	name   string
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	links  []sdktrace.Link
	status sdktrace.Status
	res    *sdkresource.Resource
}

func (s *maskedSpan) Name() string                     { return s.name }
func (s *maskedSpan) Attributes() []attribute.KeyValue { return s.attrs }
func (s *maskedSpan) Events() []sdktrace.Event         { return s.events }
func (s *maskedSpan) Links() []sdktrace.Link           { return s.links }
func (s *maskedSpan) Status() sdktrace.Status          { return s.status }
func (s *maskedSpan) Resource() *sdkresource.Resource  { return s.res }

// view returns s with argument attributes masked and secrets scrubbed.
func (p *Processor) view(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	attrs, events, links := s.Attributes(), s.Events(), s.Links()

	// Secrets of argument attributes in the resource or this span apply to
	// all of the span.
	in := s.Resource()
	rv := p.resourceView(in)
	sc := rv.sc
	var memo *argMemo
	if p.hasArgs(attrs) || p.eventsHaveArgs(events) || p.linksHaveArgs(links) {
		memo = &argMemo{}
		var secrets []string
		secrets = p.argSecrets(memo, attrs, secrets)
		for _, e := range events {
			secrets = p.argSecrets(memo, e.Attributes, secrets)
		}
		for _, l := range links {
			secrets = p.argSecrets(memo, l.Attributes, secrets)
		}
		sc = sc.with(secrets)
	}

	name, nameChanged := sc.scrub(s.Name())
	attrs, attrsChanged := p.maskAttrs(memo, attrs, sc)
	events, eventsChanged := p.maskEvents(memo, events, sc)
	links, linksChanged := p.maskLinks(memo, links, sc)
	status := s.Status()
	var statusChanged bool
	status.Description, statusChanged = sc.scrub(status.Description)
	res := rv.out
	if sc != rv.sc && res != nil && p.resource == nil {
		res = p.maskResource(res, sc)
	}
	resChanged := res != in
	if !(nameChanged || attrsChanged || eventsChanged || linksChanged || statusChanged || resChanged) {
		return s
	}
	return &maskedSpan{ReadOnlySpan: s, name: name, attrs: attrs, events: events, links: links, status: status, res: res}
}

// isArgKey reports whether kv is argument data: an argument key holding
// anything that can carry text.
func (p *Processor) isArgKey(kv *attribute.KeyValue) bool {
	switch kv.Value.Type() {
	case attribute.STRING, attribute.STRINGSLICE, attribute.BYTESLICE, attribute.SLICE, attribute.MAP:
		return containsKey(p.argKeys, kv.Key)
	}
	return false
}

func (p *Processor) hasArgs(attrs []attribute.KeyValue) bool {
	for i := range attrs {
		if p.isArgKey(&attrs[i]) {
			return true
		}
	}
	return false
}

func (p *Processor) eventsHaveArgs(events []sdktrace.Event) bool {
	for _, e := range events {
		if p.hasArgs(e.Attributes) {
			return true
		}
	}
	return false
}

func (p *Processor) linksHaveArgs(links []sdktrace.Link) bool {
	for _, l := range links {
		if p.hasArgs(l.Attributes) {
			return true
		}
	}
	return false
}

// argMemo keeps the masked argument values of one span, so each is masked
// once although it is read for secrets first and replaced later.
type argMemo struct {
	in  []attribute.Value
	out []attribute.Value
	res []mask.Result
}

func (p *Processor) maskArgMemo(memo *argMemo, v attribute.Value) (attribute.Value, mask.Result) {
	if memo != nil {
		for i, in := range memo.in {
			if in == v {
				return memo.out[i], memo.res[i]
			}
		}
	}
	out, res := p.maskArg(v)
	if memo != nil {
		memo.in, memo.out, memo.res = append(memo.in, v), append(memo.out, out), append(memo.res, res)
	}
	return out, res
}

// maskArg masks the value of an argument attribute: a string is a command
// line split on white space, a string array an argument vector. Unusual
// types (bytes, mixed slices, maps) are read as text and come out masked
// as an argument vector, so nothing in them passes unmasked.
func (p *Processor) maskArg(v attribute.Value) (attribute.Value, mask.Result) {
	switch v.Type() {
	case attribute.STRING:
		res := p.masker.MaskArgv(strings.Fields(v.AsString()))
		return attribute.StringValue(res.Line), res
	case attribute.STRINGSLICE:
		res := p.masker.MaskArgv(v.AsStringSlice())
		return attribute.StringSliceValue(res.Args), res
	case attribute.BYTESLICE:
		res := p.masker.MaskArgv(strings.Fields(string(v.AsByteSlice())))
		return attribute.StringValue(res.Line), res
	}
	var argv []string
	for _, e := range v.AsSlice() {
		argv = append(argv, e.String())
	}
	for _, kv := range v.AsMap() {
		argv = append(argv, string(kv.Key), kv.Value.String())
	}
	res := p.masker.MaskArgv(argv)
	return attribute.StringSliceValue(res.Args), res
}

func (p *Processor) argSecrets(memo *argMemo, attrs []attribute.KeyValue, secrets []string) []string {
	for i := range attrs {
		if kv := &attrs[i]; p.isArgKey(kv) {
			_, res := p.maskArgMemo(memo, kv.Value)
			secrets = append(secrets, res.Secrets...)
		}
	}
	return secrets
}

// maskAttrs returns attrs, or a copy with changes; the input is never written.
func (p *Processor) maskAttrs(memo *argMemo, attrs []attribute.KeyValue, sc *scrubber) ([]attribute.KeyValue, bool) {
	var out []attribute.KeyValue // nil until something changes; then attrs so far, changed
	var nkv attribute.KeyValue   // an attribute changed, when changed is set
	for i := range attrs {
		kv := &attrs[i] // not copied: most attributes pass unchanged
		if p.dropped(kv.Key) {
			if out == nil {
				out = append(make([]attribute.KeyValue, 0, len(attrs)), attrs[:i]...)
			}
			continue
		}
		var changed bool
		if p.isArgKey(kv) {
			// mask.Masker output holds only allow-listed words and mask.Placeholder; it is
			// not scrubbed (a short secret inside "pipectl" reveals nothing).
			v, _ := p.maskArgMemo(memo, kv.Value)
			nkv, changed = attribute.KeyValue{Key: kv.Key, Value: v}, v != kv.Value
		} else if kind := p.kinds[kv.Key]; kind != keyTrusted {
			changed = scrubKV(kv, sc, kind != keyFixed, &nkv)
		}
		switch {
		case changed && out == nil:
			out = append(make([]attribute.KeyValue, 0, len(attrs)), attrs[:i]...)
			out = append(out, nkv)
		case changed:
			out = append(out, nkv)
		case out != nil:
			out = append(out, *kv)
		}
	}
	if out == nil {
		return attrs, false
	}
	return out, true
}

// dropped reports whether k starts with one of Config.DropKeyPrefixes.
func (p *Processor) dropped(k attribute.Key) bool {
	for _, prefix := range p.drop {
		if strings.HasPrefix(string(k), prefix) {
			return true
		}
	}
	return false
}

func (p *Processor) maskEvents(memo *argMemo, events []sdktrace.Event, sc *scrubber) ([]sdktrace.Event, bool) {
	var out []sdktrace.Event
	for i, e := range events {
		name, nameChanged := e.Name, false
		if name != semconv.ExceptionEventName { // a constant of the conventions
			name, nameChanged = sc.scrub(name)
		}
		attrs, attrsChanged := p.maskAttrs(memo, e.Attributes, sc)
		if !nameChanged && !attrsChanged {
			continue
		}
		if out == nil {
			out = make([]sdktrace.Event, len(events))
			copy(out, events)
		}
		out[i].Name, out[i].Attributes = name, attrs
	}
	if out == nil {
		return events, false
	}
	return out, true
}

func (p *Processor) maskLinks(memo *argMemo, links []sdktrace.Link, sc *scrubber) ([]sdktrace.Link, bool) {
	var out []sdktrace.Link
	for i, l := range links {
		attrs, changed := p.maskAttrs(memo, l.Attributes, sc)
		if !changed {
			continue
		}
		if out == nil {
			out = make([]sdktrace.Link, len(links))
			copy(out, links)
		}
		out[i].Attributes = attrs
	}
	if out == nil {
		return links, false
	}
	return out, true
}

// resourceView returns the masked form of r (resource.WithProcessCommandArgs
// puts raw arguments there) and the secrets that apply to its spans. It is
// cached: a provider has one resource.
func (p *Processor) resourceView(r *sdkresource.Resource) *resourceView {
	if v := p.res.Load(); v != nil && v.in == r {
		return v
	}
	v := &resourceView{in: r, out: r, sc: p.global}
	if r != nil {
		// Its arguments are scrubbed from the spans even when it is replaced.
		v.sc = p.global.with(p.argSecrets(nil, r.Attributes(), nil))
		if p.resource == nil {
			v.out = p.maskResource(r, v.sc)
		}
	}
	if p.resource != nil && (r == nil || !r.Equal(p.resource)) {
		// A provider built with the same resource keeps its own, so that
		// a span with nothing to mask passes as it is.
		v.out = p.resource
	}
	p.res.Store(v)
	return v
}

func (p *Processor) maskResource(r *sdkresource.Resource, sc *scrubber) *sdkresource.Resource {
	attrs, changed := p.maskAttrs(nil, r.Attributes(), sc)
	if !changed {
		return r
	}
	// Keeps the schema URL, so merging with other resources still works.
	return sdkresource.NewWithAttributes(r.SchemaURL(), attrs...)
}

// scrubKV scrubs a value, at any depth of slices and maps, and the key
// unless it is fixed: code may name keys after user input ("flag."+name).
// It reports whether anything was scrubbed, and only then sets *out.
func scrubKV(kv *attribute.KeyValue, sc *scrubber, scrubKey bool, out *attribute.KeyValue) bool {
	if sc.empty() {
		return false
	}
	k, keyChanged := string(kv.Key), false
	if scrubKey {
		k, keyChanged = sc.scrub(k)
	}
	var v attribute.Value
	valueChanged := scrubValue(&kv.Value, sc, &v)
	if !keyChanged && !valueChanged {
		return false
	}
	if !valueChanged {
		v = kv.Value
	}
	*out = attribute.KeyValue{Key: attribute.Key(k), Value: v}
	return true
}

// scrubValue scrubs v at any depth of slices and maps. It reports whether
// anything was scrubbed, and only then sets *out (which may be v). Values
// that hold no text (bool, int, float and their slices) pass untouched.
func scrubValue(v *attribute.Value, sc *scrubber, out *attribute.Value) bool {
	switch v.Type() {
	case attribute.STRING:
		if s, changed := sc.scrub(v.AsString()); changed {
			*out = attribute.StringValue(s)
			return true
		}
	case attribute.STRINGSLICE:
		list := v.AsStringSlice()
		changed := false
		for i, s := range list {
			var c bool
			list[i], c = sc.scrub(s)
			changed = changed || c
		}
		if changed {
			*out = attribute.StringSliceValue(list)
			return true
		}
	case attribute.BYTESLICE:
		if s, changed := sc.scrub(string(v.AsByteSlice())); changed {
			*out = attribute.ByteSliceValue([]byte(s))
			return true
		}
	case attribute.SLICE:
		list := v.AsSlice()
		changed := false
		for i := range list {
			if scrubValue(&list[i], sc, &list[i]) {
				changed = true
			}
		}
		if changed {
			*out = attribute.SliceValue(list...)
			return true
		}
	case attribute.MAP:
		list := v.AsMap()
		changed := false
		for i := range list {
			if scrubKV(&list[i], sc, true, &list[i]) {
				changed = true
			}
		}
		if changed {
			*out = attribute.MapValue(list...)
			return true
		}
	}
	return false
}
