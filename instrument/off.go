//go:build notelemetry

package instrument

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/anontel/anontel/consent"
)

// Compiled reports whether telemetry is compiled into this build (false
// with the notelemetry build tag).
const Compiled = false

const compiledOut = "Telemetry is compiled out of this build (notelemetry): nothing is collected or sent.\n"

// Telemetry records nothing in this build: telemetry is compiled out.
type Telemetry struct{ cfg Config }

// Start returns a Telemetry that records nothing.
func Start(cfg Config) *Telemetry {
	if cfg.Args == nil && len(os.Args) > 0 {
		cfg.Args = os.Args[1:]
	}
	return &Telemetry{cfg: cfg}
}

// Args returns the raw arguments the invocation runs with (Config.Args).
func (t *Telemetry) Args() []string { return t.cfg.Args }

// Decision says that telemetry is compiled out.
func (t *Telemetry) Decision() consent.Decision {
	return consent.Decision{Enabled: false, Source: "build", Detail: "telemetry is compiled out of this build"}
}

// Recording reports false.
func (t *Telemetry) Recording() bool { return false }

// Shutdown does nothing.
func (t *Telemetry) Shutdown() {}

// WriteStatus says that telemetry is compiled out.
func (t *Telemetry) WriteStatus(w io.Writer) error {
	if t == nil {
		return errors.New("telemetry: not started")
	}
	_, err := fmt.Fprint(w, compiledOut)
	return err
}

// SetUserChoice saves nothing and says that telemetry is compiled out.
func (t *Telemetry) SetUserChoice(enabled bool, w io.Writer) error { return t.WriteStatus(w) }

// Invocation does nothing in this build.
type Invocation struct {
	t   *Telemetry
	ctx context.Context
}

type invocationKey struct{}

// Begin returns an Invocation that records nothing.
func (t *Telemetry) Begin(ctx context.Context) *Invocation {
	inv := &Invocation{t: t}
	inv.ctx = context.WithValue(ctx, invocationKey{}, inv)
	return inv
}

// Context returns the context that carries the invocation.
func (inv *Invocation) Context() context.Context { return inv.ctx }

// End does nothing.
func (inv *Invocation) End(code int, err error) {}

// SetAttributes does nothing.
func SetAttributes(ctx context.Context, attrs ...Attr) {}

// FromContext returns the Telemetry of the invocation that ctx carries, or
// nil.
func FromContext(ctx context.Context) *Telemetry {
	if inv, _ := ctx.Value(invocationKey{}).(*Invocation); inv != nil {
		return inv.t
	}
	return nil
}
