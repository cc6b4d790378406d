package exporter

import (
	"log/slog"
	"os"
	"time"

	"github.com/anontel/anontel/internal/otlphttp"
)

// defaultRetryMaxTime is Config.RetryMaxTime's default.
const defaultRetryMaxTime = 30 * time.Second

// Config configures NewDirect. Only Tool and Endpoint are needed; the zero
// value of every other field means its documented default.
type Config struct {
	// Tool names the tool, e.g. "pipectl": <TOOL>_TELEMETRY_ENDPOINT, with
	// <TOOL> in upper case and every character other than a letter or a
	// digit replaced by "_", overrides Endpoint.
	Tool string

	// Endpoint is the collector base URL chosen by the tool author, e.g.
	// "https://telemetry.example.com"; spans are POSTed to
	// <Endpoint>/v1/traces. OTEL_EXPORTER_OTLP_* never apply (see the
	// package doc).
	Endpoint string

	// AllowInsecure allows plain http:// to hosts other than loopback.
	AllowInsecure bool

	// Logger receives every export error; nil discards them. Nothing in
	// this package writes to the terminal.
	Logger *slog.Logger

	// AttemptTimeout limits one HTTP request. Default 5 s.
	AttemptTimeout time.Duration

	// RetryMaxTime bounds the retries of one batch, including waits asked
	// for by Retry-After. Default 30 s.
	RetryMaxTime time.Duration

	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// ErrNoEndpoint is returned by NewDirect when neither Config.Endpoint nor
// <TOOL>_TELEMETRY_ENDPOINT names a collector.
var ErrNoEndpoint = otlphttp.ErrNoEndpoint

func (cfg Config) endpoint() (string, error) {
	lookup := cfg.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return otlphttp.Resolve(cfg.Tool, cfg.Endpoint, cfg.AllowInsecure, lookup)
}

func (cfg Config) logger() *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}
