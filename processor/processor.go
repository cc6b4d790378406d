package processor

import (
	"context"
	"slices"
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
	// Root is the program's command tree, an instrument.Command: its
	// command and flag names, and the flag values it allow-lists, are all
	// that may pass unmasked. The zero value knows no command, so every
	// argument is masked.
	Root mask.Command
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
	kinds    map[attribute.Key]keyKind // fixed and trusted keys: one lookup per attribute
	global   *scrubber                 // secrets of Config.Args
	args     mask.Result               // Config.Args masked
	resource *sdkresource.Resource     // replaces every span's resource; nil: Config.KeepResource
	drop     []string                  // Config.DropKeyPrefixes
	scope    string                    // only spans of this scope pass, if set

	res atomic.Pointer[resourceView] // last resource seen and its masked form
}

// keyKind is how an attribute of a fixed or trusted key is treated.
type keyKind uint8

const (
	keyFixed   keyKind = iota + 1 // the key is not scrubbed; its value is
	keyTrusted                    // the attribute passes as it is
)

type resourceView struct {
	in, out *sdkresource.Resource
	sc      *scrubber // global secrets plus those of the resource's argument attributes
}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// New returns a Processor in front of next.
func New(next sdktrace.SpanProcessor, cfg Config) *Processor {
	m := mask.New(cfg.Root)
	keys := []attribute.Key{semconv.ProcessCommandArgsKey, semconv.ProcessCommandLineKey}
	for _, k := range cfg.ArgKeys {
		if !containsKey(keys, k) {
			keys = append(keys, k)
		}
	}
	kinds := map[attribute.Key]keyKind{}
	for _, list := range [][]attribute.Key{fixedKeys, keys, cfg.FixedKeys} {
		for _, k := range list {
			kinds[k] = keyFixed
		}
	}
	for _, k := range cfg.TrustedKeys {
		if !containsKey(keys, k) {
			kinds[k] = keyTrusted
		}
	}
	var args mask.Result
	if len(cfg.Args) > 0 {
		args = m.Mask(cfg.Args)
	}
	global := newScrubber(m, args.Secrets)
	global.phrases = newPhraseMemo()
	return &Processor{
		next:     next,
		consent:  cfg.Consent,
		masker:   m,
		argKeys:  keys,
		kinds:    kinds,
		global:   global,
		args:     args,
		resource: resourceFor(cfg),
		drop:     slices.Clone(cfg.DropKeyPrefixes),
		scope:    cfg.Scope,
	}
}

// MaskedArgs returns Config.Args as the processor masks them: the command
// path that the command tree names and the masked argument vector, each
// with the program name first. A program that records its own command span
// sets them (as process.command_args and the span name), so the arguments
// are masked once and the span holds nothing the scrub has to catch.
func (p *Processor) MaskedArgs() (path, args []string) {
	return slices.Clone(p.args.Path), slices.Clone(p.args.Args)
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
// The span's scope is asked for only when Config.Scope is set: each call
// copies it.
func (p *Processor) passes(s scoped) bool {
	return p.consent != nil && p.consent.Enabled() && (p.scope == "" || s.InstrumentationScope().Name == p.scope)
}

// scoped is what passes needs of a span.
type scoped interface {
	InstrumentationScope() instrumentation.Scope
}

// OnStart passes s on only with consent.
func (p *Processor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if p.passes(s) {
		p.next.OnStart(parent, s)
	}
}

// OnEnd passes a masked view of s on only with consent. The SDK's snapshot
// is shared with other processors and is never changed; when nothing needs
// masking, s itself is passed on.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !p.passes(s) {
		return
	}
	p.next.OnEnd(p.view(s))
}

// Shutdown always propagates, consent or not.
func (p *Processor) Shutdown(ctx context.Context) error { return p.next.Shutdown(ctx) }

// ForceFlush always propagates, consent or not.
func (p *Processor) ForceFlush(ctx context.Context) error { return p.next.ForceFlush(ctx) }
