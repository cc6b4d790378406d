//go:build !notelemetry

package instrument

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/identity"
	"github.com/anontel/anontel/internal/mask"
	"github.com/anontel/anontel/internal/userfile"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Invocation is the span of one command. A nil *Invocation or one of a
// Telemetry that records nothing does nothing.
type Invocation struct {
	t     *Telemetry
	ctx   context.Context
	span  trace.Span
	mu    sync.Mutex
	attrs []Attr // from SetAttributes, set at End
}

type invocationKey struct{}

// Begin starts the span of this invocation. The returned Invocation's
// Context carries it, so commands can add what only they know
// (SetAttributes).
func (t *Telemetry) Begin(ctx context.Context) *Invocation {
	inv := &Invocation{t: t, ctx: ctx}
	inv.ctx = context.WithValue(ctx, invocationKey{}, inv)
	if !t.Recording() {
		return inv
	}
	args := recordedArgs(t.masked.Args)
	attrs := []attribute.KeyValue{
		semconv.ProcessExecutableName(t.cfg.Tool),
		semconv.ProcessPID(os.Getpid()),
		semconv.ProcessCommandArgs(args...),
		semconv.ProcessCommandLine(strings.Join(args, " ")),
		keyCI.Bool(t.ci),
		keyConsent.String(consentKind(t.gate.Decision())),
	}
	name := strings.Join(t.masked.Path, " ")
	if name == "" {
		name = t.cfg.Tool
	}
	inv.ctx, inv.span = t.tracer.Start(inv.ctx, name,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrs...))
	return inv
}

// Context returns the context that carries the invocation.
func (inv *Invocation) Context() context.Context { return inv.ctx }

// End ends the span with the command's exit code and error. Status is
// Error iff code is not 0.
func (inv *Invocation) End(code int, err error) {
	if inv == nil || inv.span == nil {
		return
	}
	t := inv.t
	span := inv.span
	inv.span = nil
	// Decided again from the files: a "telemetry disable" run while this
	// command ran, in this process or another, must be seen before any id
	// is made or the repository edited. The processor then drops the span.
	if !t.gate.Refresh().Enabled {
		span.End()
		return
	}
	span.SetAttributes(t.ids()...)
	span.SetAttributes(semconv.ProcessExitCode(code))
	inv.mu.Lock()
	span.SetAttributes(otelAttrs(inv.attrs)...)
	inv.mu.Unlock()
	if t.project != "" && t.cfg.ProjectAttributes != nil {
		if attrs, perr := t.cfg.ProjectAttributes(t.project); perr == nil {
			span.SetAttributes(otelAttrs(attrs)...)
		} else {
			t.log.Debug("telemetry: no project attributes", "err", perr)
		}
	}
	if code != 0 {
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(code, err)))
		if err != nil {
			// The type only, as the .NET CLI does: a message can hold
			// paths, names or values that are no argument of this command
			// and so that nothing would know to mask.
			span.AddEvent(semconv.ExceptionEventName,
				trace.WithAttributes(semconv.ExceptionType(fmt.Sprintf("%T", err))))
		}
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// The placeholders debug mode shows instead of the ids, which it does not
// make.
const (
	debugUserID    = "(placeholder: a random UUID, made when telemetry first sends)"
	debugProjectID = "(placeholder: sha512 of the project's random id and package name, made when telemetry first sends)"
)

// ids returns the anonymous ids, making them on first use. Either is left
// out when it cannot be kept.
func (t *Telemetry) ids() []attribute.KeyValue {
	var out []attribute.KeyValue
	if t.debug {
		// Debug mode writes nothing: a user who looks before deciding
		// finds their files unchanged.
		out = append(out, semconv.EnduserPseudoID(debugUserID))
		if t.project != "" {
			out = append(out, keyProjectID.String(debugProjectID))
		}
		return out
	}
	if t.userFile != "" {
		if id, err := t.userID(); err == nil {
			out = append(out, semconv.EnduserPseudoID(id))
		} else {
			t.log.Debug("telemetry: no user id for this run", "err", err)
		}
	}
	if t.proj != nil {
		if id, err := t.proj.ID(); err == nil {
			out = append(out, keyProjectID.String(id))
		} else {
			t.log.Debug("telemetry: no project id for this run", "err", err)
		}
	}
	return out
}

// maxRecordedArgs bounds the command line a span carries: a glob that
// expanded to thousands of masked arguments tells nothing more than its
// first few, and would cost every layer (span, scrub, spool, collector) in
// proportion.
const maxRecordedArgs = 256

// recordedArgs is args cut to maxRecordedArgs tokens, the last of which is
// then mask.Placeholder.
func recordedArgs(args []string) []string {
	if len(args) <= maxRecordedArgs {
		return args
	}
	out := slices.Clone(args[:maxRecordedArgs-1])
	return append(out, mask.Placeholder)
}

// SetAttributes adds attributes to the span of the invocation that ctx
// carries (the context a command runs with under Begin or
// cobracli.Execute). They are set when the invocation ends, and only with
// consent; they pass the processor like every attribute, so argument
// values in them are scrubbed. Outside an invocation it does nothing.
func SetAttributes(ctx context.Context, attrs ...Attr) {
	inv, _ := ctx.Value(invocationKey{}).(*Invocation)
	if inv == nil {
		return
	}
	inv.mu.Lock()
	inv.attrs = append(inv.attrs, attrs...)
	inv.mu.Unlock()
}

// FromContext returns the Telemetry of the invocation that ctx carries, or
// nil. A "telemetry" command uses it to reach WriteStatus and
// SetUserChoice.
func FromContext(ctx context.Context) *Telemetry {
	if inv, _ := ctx.Value(invocationKey{}).(*Invocation); inv != nil {
		return inv.t
	}
	return nil
}

// otelAttrs converts a tool's attributes.
func otelAttrs(attrs []Attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(attrs))
	for _, a := range attrs {
		k := attribute.Key(a.key)
		switch a.kind {
		case kindString:
			out = append(out, k.String(a.str))
		case kindInt:
			out = append(out, k.Int64(a.num))
		case kindBool:
			out = append(out, k.Bool(a.flag))
		case kindStrings:
			out = append(out, k.StringSlice(a.strs))
		}
	}
	return out
}

// errorType is a low-cardinality class of the failure that quotes nothing
// the user typed: a Go type name, or the exit code.
func errorType(code int, err error) string {
	if err == nil {
		return fmt.Sprint(code)
	}
	var typed interface{ Unwrap() error }
	for errors.As(err, &typed) && typed.Unwrap() != nil && isPlain(err) {
		err = typed.Unwrap()
	}
	if isPlain(err) {
		return "_OTHER"
	}
	return fmt.Sprintf("%T", err)
}

// isPlain reports errors whose type says nothing (errors.New, fmt.Errorf).
func isPlain(err error) bool {
	switch fmt.Sprintf("%T", err) {
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
		return true
	}
	return false
}

func consentKind(d consent.Decision) string {
	if d.Implicit() {
		return "implicit"
	}
	return "explicit"
}

// userID returns the user id, making it on first use. Nearly always it is
// in the telemetry.toml consent was read from, and is not read again.
func (t *Telemetry) userID() (string, error) {
	if values, err := t.userValues(); err == nil {
		if id, ok := userfile.UserID(values); ok {
			return id, nil
		}
	}
	return identity.UserID(t.userFile)
}
