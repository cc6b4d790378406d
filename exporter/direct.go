package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/otlpwire"
)

// Retry pacing of NewDirect between attempts, before Retry-After.
const (
	directFirstWait = 500 * time.Millisecond
	directMaxWait   = 5 * time.Second
)

// NewDirect returns an OTLP/HTTP span exporter for long-running programs
// and existing TracerProviders (use it under a BatchSpanProcessor). It is
// otlptrace.Exporter, the SDK's OTLP exporter, over an HTTP client of this
// package rather than otlptracehttp's, with the uploader's rules: protobuf,
// gzip, Config.AttemptTimeout per request, retry on 408, 429, 5xx and
// network errors with growing waits (0.5s doubling to 5s, or Retry-After
// when longer) for at most Config.RetryMaxTime; a retry that Retry-After
// would push past RetryMaxTime is not made. No redirects; standard proxy
// variables honoured.
//
// It reads no OTEL_EXPORTER_OTLP_* variable (see the package doc), and
// cannot be made to: otlptracehttp reads them before its options apply and
// reports malformed ones through otel's global logger, on stderr.
//
// Failed exports are logged to Config.Logger and ExportSpans returns nil,
// so nothing reaches otel.Handle (which prints to stderr by default): the
// caller needs no otel.SetErrorHandler. Shutdown also returns nil.
func NewDirect(ctx context.Context, cfg Config) (sdktrace.SpanExporter, error) {
	endpoint, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	timeout := orDefault(cfg.AttemptTimeout, otlphttp.DefaultAttemptTimeout)
	c := &directClient{
		endpoint: endpoint,
		http:     otlphttp.NewClient(timeout),
		timeout:  timeout,
		maxTime:  orDefault(cfg.RetryMaxTime, defaultRetryMaxTime),
		stop:     make(chan struct{}),
	}
	exp, err := otlptrace.New(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("exporter: starting the direct exporter: %w", err)
	}
	return &directExporter{exp: exp, log: cfg.logger()}, nil
}

type directExporter struct {
	exp *otlptrace.Exporter
	log *slog.Logger
}

func (d *directExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := d.exp.ExportSpans(ctx, spans); err != nil {
		d.log.Debug("exporter: spans not exported", "spans", len(spans), "err", err)
	}
	return nil
}

func (d *directExporter) Shutdown(ctx context.Context) error {
	if err := d.exp.Shutdown(ctx); err != nil {
		d.log.Debug("exporter: direct exporter shutdown", "err", err)
	}
	return nil
}

// directClient is an otlptrace.Client posting with retries.
type directClient struct {
	endpoint string
	http     *http.Client
	timeout  time.Duration
	maxTime  time.Duration
	stop     chan struct{}
}

func (*directClient) Start(context.Context) error { return nil }

func (c *directClient) Stop(context.Context) error {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.http.CloseIdleConnections()
	return nil
}

func (c *directClient) UploadTraces(ctx context.Context, rs []*tracepb.ResourceSpans) error {
	body, err := otlpwire.Marshal(rs)
	if err != nil {
		return fmt.Errorf("exporter: encoding spans: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	wait := directFirstWait
	for {
		v, err := otlphttp.Post(ctx, c.http, c.endpoint, c.timeout, body)
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
		if time.Since(start)+wait > c.maxTime {
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
