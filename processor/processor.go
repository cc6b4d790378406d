package processor

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/anontel/anontel/internal/mask"
)

// Consent is what the processor asks before passing anything on;
// consent.Gate satisfies it. It is asked on every call, so a change (such as
// `telemetry disable`) takes effect at once.
type Consent interface{ Enabled() bool }

// Config configures a Processor.
type Config struct {
	// Consent gates everything; nil is treated as off (fail closed).
	Consent Consent
	// Commands is the program's command tree, an instrument.Command: its
	// command and flag names, and the flag values it allow-lists, are all
	// that may pass unmasked. The zero value knows no command, so every
	// argument is masked.
	Commands mask.Command
	// Args are the process's raw arguments (os.Args[1:]). Every token the
	// masker masks (len >= 3) is scrubbed from every span, in any case and
	// in the forms the package documentation lists. Relative paths are
	// made absolute against the working directory New finds.
	Args []string
	// ArgKeys are extra attribute keys holding argument data: a string is
	// read as a command line, a string array as an argument vector.
	// process.command_args and process.command_line are always masked.
	ArgKeys []attribute.Key
	// FixedKeys are attribute keys that are constants in code, so their
	// text is never scrubbed (their values still are). Without this a user
	// typing "exit" would turn process.exit.code into process.*****.code.
	// Common semantic-convention keys are always fixed.
	FixedKeys []attribute.Key
	// TrustedKeys are attribute keys whose values the caller makes itself
	// from masked or derived data (ids, counts, fixed words). They are
	// neither masked nor scrubbed: scrubbing would damage them, and the
	// damage would tell which masked value is a substring of them. Only
	// code that shares the provider can write them, so trust them only in
	// a pipeline of your own.
	TrustedKeys []attribute.Key
	// Scope, if set, passes only the spans of tracers of this
	// instrumentation scope name; the others are dropped. A program that
	// sends its own traces elsewhere through another processor of the same
	// provider uses it so that only its usage spans reach this pipeline.
	Scope string
	// DropKeyPrefixes drops every attribute (of spans, events, links, and
	// of the resource when it is kept) whose key starts with one of them,
	// such as "url.", "file." and "db.": values that other code derives
	// from user input in ways no scrub can follow. See the package
	// documentation.
	DropKeyPrefixes []string
	// ServiceName and ServiceVersion name the tool in the resource that
	// replaces every span's own by default: NewResource(ServiceName,
	// ServiceVersion), which documents what it holds.
	ServiceName, ServiceVersion string
	// Resource, if set, replaces the resource of every span, as it is,
	// instead of NewResource's.
	Resource *sdkresource.Resource
	// KeepResource, with Resource nil, passes each span's own resource
	// on, masked and scrubbed like the span, instead of replacing it.
	// That is the provider's resource, which the SDK builds from the
	// environment and its detectors: OTEL_RESOURCE_ATTRIBUTES (host.name,
	// user.name, deployment.environment, ...), OTEL_SERVICE_NAME, and
	// "unknown_service:<program name>". Opt in only when every attribute
	// of it is yours to send and the user's consent covers it.
	KeepResource bool
}

// fixedKeys are semantic-convention keys anontel and the SDK write.
var fixedKeys = []attribute.Key{
	semconv.ProcessCommandArgsKey, semconv.ProcessCommandLineKey, semconv.ProcessCommandKey,
	semconv.ProcessExecutableNameKey, semconv.ProcessExecutablePathKey, semconv.ProcessExitCodeKey,
	semconv.ProcessPIDKey, semconv.ProcessParentPIDKey, semconv.ProcessArgsCountKey, semconv.ProcessOwnerKey,
	semconv.ProcessRuntimeNameKey, semconv.ProcessRuntimeVersionKey, semconv.ProcessRuntimeDescriptionKey,
	semconv.ProcessInteractiveKey, semconv.ProcessWorkingDirectoryKey,
	semconv.ErrorTypeKey, semconv.ExceptionTypeKey, semconv.ExceptionMessageKey, semconv.ExceptionStacktraceKey,
	semconv.ServiceNameKey, semconv.ServiceVersionKey, semconv.ServiceNamespaceKey, semconv.ServiceInstanceIDKey,
	semconv.TelemetrySDKNameKey, semconv.TelemetrySDKLanguageKey, semconv.TelemetrySDKVersionKey,
	semconv.OSTypeKey, semconv.OSNameKey, semconv.OSVersionKey, semconv.OSDescriptionKey, semconv.HostArchKey,
	semconv.EnduserPseudoIDKey, semconv.CodeFunctionNameKey, semconv.CodeFilePathKey, semconv.CodeLineNumberKey,
}

// Processor is a sdktrace.SpanProcessor that passes spans to the next
// processor only with consent, and only with argument values masked.
type Processor struct {
	next     sdktrace.SpanProcessor
	consent  Consent
	masker   *mask.Masker
	argKeys  []attribute.Key
	fixed    map[attribute.Key]struct{} // keys whose text is not scrubbed
	trusted  map[attribute.Key]struct{} // keys whose values are passed as they are
	global   *scrubber                  // secrets of Config.Args
	resource *sdkresource.Resource      // replaces every span's resource; nil: Config.KeepResource
	drop     []string                   // Config.DropKeyPrefixes
	scope    string                     // only spans of this scope pass, if set

	res atomic.Pointer[resourceView] // last resource seen and its masked form
}

type resourceView struct {
	in, out *sdkresource.Resource
	sc      *scrubber // global secrets plus those of the resource's argument attributes
}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// New returns a Processor in front of next.
func New(next sdktrace.SpanProcessor, cfg Config) *Processor {
	m := mask.New(cfg.Commands)
	keys := []attribute.Key{semconv.ProcessCommandArgsKey, semconv.ProcessCommandLineKey}
	for _, k := range cfg.ArgKeys {
		if !containsKey(keys, k) {
			keys = append(keys, k)
		}
	}
	fixed := map[attribute.Key]struct{}{}
	for _, list := range [][]attribute.Key{fixedKeys, keys, cfg.FixedKeys} {
		for _, k := range list {
			fixed[k] = struct{}{}
		}
	}
	trusted := map[attribute.Key]struct{}{}
	for _, k := range cfg.TrustedKeys {
		if !containsKey(keys, k) {
			trusted[k] = struct{}{}
		}
	}
	var secrets []string
	if len(cfg.Args) > 0 {
		secrets = m.Mask(cfg.Args).Secrets
	}
	return &Processor{
		next:     next,
		consent:  cfg.Consent,
		masker:   m,
		argKeys:  keys,
		fixed:    fixed,
		trusted:  trusted,
		global:   newScrubber(m, secrets),
		resource: resourceFor(cfg),
		drop:     slices.Clone(cfg.DropKeyPrefixes),
		scope:    cfg.Scope,
	}
}

// resourceFor returns the resource that replaces every span's, or nil
// to keep the span's own.
func resourceFor(cfg Config) *sdkresource.Resource {
	switch {
	case cfg.Resource != nil:
		return cfg.Resource
	case cfg.KeepResource:
		return nil
	}
	return NewResource(cfg.ServiceName, cfg.ServiceVersion)
}

func containsKey(keys []attribute.Key, k attribute.Key) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// passes reports whether a span of scope may go on: with consent, and of
// Config.Scope when it is set.
func (p *Processor) passes(scope instrumentation.Scope) bool {
	return p.consent != nil && p.consent.Enabled() && (p.scope == "" || scope.Name == p.scope)
}

// OnStart passes s on only with consent.
func (p *Processor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if p.passes(s.InstrumentationScope()) {
		p.next.OnStart(parent, s)
	}
}

// OnEnd passes a masked view of s on only with consent. The SDK's snapshot
// is shared with other processors and is never changed; when nothing needs
// masking, s itself is passed on.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !p.passes(s.InstrumentationScope()) {
		return
	}
	p.next.OnEnd(p.view(s))
}

// Shutdown always propagates, consent or not.
func (p *Processor) Shutdown(ctx context.Context) error { return p.next.Shutdown(ctx) }

// ForceFlush always propagates, consent or not.
func (p *Processor) ForceFlush(ctx context.Context) error { return p.next.ForceFlush(ctx) }

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
	rv := p.resourceView(s.Resource())
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

	name, c1 := sc.scrub(s.Name())
	attrs, c2 := p.maskAttrs(memo, attrs, sc)
	events, c3 := p.maskEvents(memo, events, sc)
	links, c4 := p.maskLinks(memo, links, sc)
	status := s.Status()
	var c5 bool
	status.Description, c5 = sc.scrub(status.Description)
	res := rv.out
	if sc != rv.sc && res != nil && p.resource == nil {
		res = p.maskResource(res, sc)
	}
	c6 := res != s.Resource()
	if !(c1 || c2 || c3 || c4 || c5 || c6) {
		return s
	}
	return &maskedSpan{ReadOnlySpan: s, name: name, attrs: attrs, events: events, links: links, status: status, res: res}
}

// isArgKey reports whether kv is argument data: an argument key holding
// anything that can carry text.
func (p *Processor) isArgKey(kv attribute.KeyValue) bool {
	switch kv.Value.Type() {
	case attribute.STRING, attribute.STRINGSLICE, attribute.BYTESLICE, attribute.SLICE, attribute.MAP:
		return containsKey(p.argKeys, kv.Key)
	}
	return false
}

func (p *Processor) hasArgs(attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if p.isArgKey(kv) {
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
	for _, kv := range attrs {
		if p.isArgKey(kv) {
			_, res := p.maskArgMemo(memo, kv.Value)
			secrets = append(secrets, res.Secrets...)
		}
	}
	return secrets
}

// maskAttrs returns attrs, or a copy with changes; the input is never written.
func (p *Processor) maskAttrs(memo *argMemo, attrs []attribute.KeyValue, sc *scrubber) ([]attribute.KeyValue, bool) {
	var out []attribute.KeyValue // nil until something changes; then attrs so far, changed
	for i, kv := range attrs {
		if p.dropped(kv.Key) {
			if out == nil {
				out = append(make([]attribute.KeyValue, 0, len(attrs)), attrs[:i]...)
			}
			continue
		}
		var nkv attribute.KeyValue
		var changed bool
		if p.isArgKey(kv) {
			// mask.Masker output holds only allow-listed words and mask.Placeholder; it is
			// not scrubbed (a short secret inside "pipectl" reveals nothing).
			v, _ := p.maskArgMemo(memo, kv.Value)
			nkv, changed = attribute.KeyValue{Key: kv.Key, Value: v}, v != kv.Value
		} else if _, trusted := p.trusted[kv.Key]; !trusted {
			_, fixed := p.fixed[kv.Key]
			nkv, changed = scrubKV(kv, sc, !fixed)
		}
		switch {
		case changed && out == nil:
			out = append(make([]attribute.KeyValue, 0, len(attrs)), attrs[:i]...)
			out = append(out, nkv)
		case changed:
			out = append(out, nkv)
		case out != nil:
			out = append(out, kv)
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
		name, c1 := e.Name, false
		if name != semconv.ExceptionEventName { // a constant of the conventions
			name, c1 = sc.scrub(name)
		}
		attrs, c2 := p.maskAttrs(memo, e.Attributes, sc)
		if !c1 && !c2 {
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
func scrubKV(kv attribute.KeyValue, sc *scrubber, scrubKey bool) (attribute.KeyValue, bool) {
	if sc.empty() {
		return kv, false
	}
	k, c1 := string(kv.Key), false
	if scrubKey {
		k, c1 = sc.scrub(k)
	}
	v, c2 := scrubValue(kv.Value, sc)
	if !c1 && !c2 {
		return kv, false
	}
	return attribute.KeyValue{Key: attribute.Key(k), Value: v}, true
}

func scrubValue(v attribute.Value, sc *scrubber) (attribute.Value, bool) {
	switch v.Type() {
	case attribute.STRING:
		if s, changed := sc.scrub(v.AsString()); changed {
			return attribute.StringValue(s), true
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
			return attribute.StringSliceValue(list), true
		}
	case attribute.BYTESLICE:
		if s, changed := sc.scrub(string(v.AsByteSlice())); changed {
			return attribute.ByteSliceValue([]byte(s)), true
		}
	case attribute.SLICE:
		list := v.AsSlice()
		changed := false
		for i, e := range list {
			var c bool
			list[i], c = scrubValue(e, sc)
			changed = changed || c
		}
		if changed {
			return attribute.SliceValue(list...), true
		}
	case attribute.MAP:
		list := v.AsMap()
		changed := false
		for i, kv := range list {
			var c bool
			list[i], c = scrubKV(kv, sc, true)
			changed = changed || c
		}
		if changed {
			return attribute.MapValue(list...), true
		}
	}
	return v, false
}
