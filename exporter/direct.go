package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/otlpwire"
)

// Retry pacing of NewDirect between attempts, before Retry-After.
const (
	directFirstWait = 500 * time.Millisecond
	directMaxWait   = 5 * time.Second
)

// NewDirect returns an OTLP/HTTP span exporter for long-running programs
// and existing TracerProviders (use it under a BatchSpanProcessor). It
// sends the request otlptracehttp would, encoded as the spool encodes it,
// with the uploader's rules: protobuf, uncompressed, Config.AttemptTimeout per
// request, retry on 408, 429, 5xx and network errors with growing waits
// (0.5s doubling to 5s, or Retry-After when longer) for at most
// Config.RetryMaxTime; a retry that Retry-After would push past
// RetryMaxTime is not made. No redirects; standard proxy variables
// honoured.
//
// It reads no OTEL_EXPORTER_OTLP_* variable (see the package doc), and
// cannot be made to: otlptracehttp reads them before its options apply and
// reports malformed ones through otel's global logger, on stderr.
//
// Failed exports are logged to Config.Logger and ExportSpans returns nil,
// so nothing reaches otel.Handle (which prints to stderr by default): the
// caller needs no otel.SetErrorHandler. Shutdown stops retries under way
// and also returns nil; spans exported after it are dropped.
func NewDirect(ctx context.Context, cfg Config) (sdktrace.SpanExporter, error) {
	endpoint, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	timeout := orDefault(cfg.AttemptTimeout, otlphttp.DefaultAttemptTimeout)
	return &directExporter{
		endpoint: endpoint,
		http:     otlphttp.NewClient(timeout),
		timeout:  timeout,
		maxTime:  orDefault(cfg.RetryMaxTime, defaultRetryMaxTime),
		log:      cfg.logger(),
		stop:     make(chan struct{}),
	}, nil
}

type directExporter struct {
	endpoint string
	http     *http.Client
	timeout  time.Duration
	maxTime  time.Duration
	log      *slog.Logger
	stop     chan struct{} // closed by Shutdown
	stopOnce sync.Once
}

func (d *directExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-d.stop:
		d.log.Debug("exporter: spans after shutdown dropped", "spans", len(spans))
		return nil
	default:
	}
	body, err := otlpwire.Encode(ctx, spans)
	if err == nil && body != nil {
		err = d.upload(ctx, body)
	}
	if err != nil {
		d.log.Debug("exporter: spans not exported", "spans", len(spans), "err", err)
	}
	return nil
}

func (d *directExporter) Shutdown(context.Context) error {
	d.stopOnce.Do(func() { close(d.stop) })
	d.http.CloseIdleConnections()
	return nil
}

// upload posts body, retrying as NewDirect says, until Shutdown.
func (d *directExporter) upload(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	wait := directFirstWait
	for {
		v, err := otlphttp.Post(ctx, d.http, d.endpoint, d.timeout, body)
		switch v {
		case otlphttp.Delivered:
			return nil
		case otlphttp.Rejected:
			return err
		}
		var ue *otlphttp.UnavailableError
		if errors.As(err, &ue) && ue.RetryAfter > wait {
			wait = ue.RetryAfter
		}
		if time.Since(start)+wait > d.maxTime {
			return fmt.Errorf("exporter: giving up after %s: %w", time.Since(start).Round(time.Millisecond), err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("exporter: %w (last: %w)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(wait*2, directMaxWait)
	}
}
