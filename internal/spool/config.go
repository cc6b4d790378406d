package spool

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/toolenv"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxFiles       = 1000    // a burst of commands fits; MaxBytes is the real bound
	DefaultMaxBytes       = 4 << 20 // 4 MiB of spool in total
	DefaultMaxAge         = 7 * 24 * time.Hour
	DefaultMaxSpans       = 1000 // spans kept in memory per invocation
	DefaultUploadDeadline = 10 * time.Second
	DefaultFailureBackoff = 2 * time.Minute
	DefaultUploadInterval = time.Minute
	// MaxUploadInterval caps UploadInterval: an uploader waits out its
	// interval, and spans must not wait for days.
	MaxUploadInterval = time.Hour
)

// An uploader starts before its interval is over when the spool holds this
// much: a few requests' worth (see maxBatchFiles and maxBatchBytes), and a
// tenth of the caps, so that waiting for the interval never costs a file.
const (
	startFiles = 100
	startBytes = 256 << 10
)

// Config configures every exporter of this package. The zero value of each
// limit means its documented default.
type Config struct {
	// Tool names the tool, e.g. "pipectl". It names the spool folder and the
	// environment variables: <TOOL> is Tool in upper case with every
	// character other than a letter or a digit replaced by "_".
	Tool string

	// Endpoint is the collector base URL chosen by the tool author, e.g.
	// "https://telemetry.example.com"; spans are POSTed to
	// <Endpoint>/v1/traces. <TOOL>_TELEMETRY_ENDPOINT overrides it.
	Endpoint string

	// AllowInsecure allows plain http:// to hosts other than loopback.
	AllowInsecure bool

	// SpoolDir is the spool folder. "" means a folder per collector,
	// os.UserCacheDir()/<Tool>/spool/<key of the endpoint>, so that spans
	// recorded for one collector are never sent to another. A caller that
	// sets it must likewise use one folder per endpoint.
	SpoolDir string

	// Logger receives the debug log, including every export error; nil
	// discards it. Nothing in this package writes to the terminal.
	Logger *slog.Logger

	// MaxFiles, MaxBytes and MaxAge cap the spool: beyond them the oldest
	// files are deleted first. Defaults: DefaultMaxFiles, DefaultMaxBytes,
	// DefaultMaxAge.
	MaxFiles int
	MaxBytes int64
	MaxAge   time.Duration

	// MaxSpans caps the spans one Spool keeps in memory; later spans are
	// dropped. Default DefaultMaxSpans.
	MaxSpans int

	// UploadDeadline is the wall-clock limit of one Upload, a pass of the
	// uploader over the spool (it makes two: see UploadInterval). Default
	// DefaultUploadDeadline.
	UploadDeadline time.Duration

	// AttemptTimeout limits one HTTP request, in Upload and NewDirect.
	// Default otlphttp.DefaultAttemptTimeout.
	AttemptTimeout time.Duration

	// FailureBackoff is how long no uploader is started after an upload
	// failed on the network, a timeout or a 5xx without Retry-After (a
	// Retry-After, capped at 6h, wins). It keeps an offline machine from
	// spawning an uploader per command. Default DefaultFailureBackoff;
	// negative means none.
	FailureBackoff time.Duration

	// UploadInterval is the least time between two uploader starts. The
	// uploader that starts sends the spool, waits until the interval since
	// its start is over, sends what was spooled meanwhile, and exits: a span
	// waits at most about one interval, and a tool run in a loop starts one
	// process a minute rather than one per command. A spool holding 100
	// files or 256 KiB starts one sooner. Zero means DefaultUploadInterval;
	// negative starts one after every write, and the uploader then exits as
	// soon as the spool is sent (tests, demos); at most MaxUploadInterval.
	// On Windows zero means every write too: a waiting uploader would hold
	// the tool's .exe, which then cannot be updated.
	// <TOOL>_TELEMETRY_UPLOAD_INTERVAL, a Go duration ("0" for every write),
	// overrides it.
	UploadInterval time.Duration

	// SyncWrites makes spool writes fsync before the rename. Off by default:
	// it costs milliseconds on real disks, and a file torn by a power cut is
	// recognised as corrupt and dropped by the uploader.
	SyncWrites bool

	// batchFiles caps the spool files sent in one request; 0 means
	// maxBatchFiles. Tests set it to see an upload fail between requests.
	batchFiles int

	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// endpoint returns the URL spans are POSTed to (see otlphttp.Resolve).
func (cfg Config) endpoint() (string, error) {
	return otlphttp.Resolve(cfg.Tool, cfg.Endpoint, cfg.AllowInsecure, cfg.lookupEnv)
}

func (cfg Config) lookupEnv(name string) (string, bool) {
	if cfg.LookupEnv != nil {
		return cfg.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

func (cfg Config) logger() *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Dir returns the spool folder cfg uses for its endpoint, without
// creating it.
func Dir(cfg Config) (string, error) { return cfg.spoolDir() }

func (cfg Config) spoolDir() (string, error) {
	if cfg.SpoolDir != "" {
		return cfg.SpoolDir, nil
	}
	root, err := cfg.spoolRoot()
	if err != nil {
		return "", err
	}
	endpoint, err := cfg.endpoint()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(endpoint))
	return filepath.Join(root, hex.EncodeToString(sum[:8])), nil
}

// spoolRoot is the folder that holds the default per-endpoint spools.
func (cfg Config) spoolRoot() (string, error) {
	if cfg.Tool == "." || cfg.Tool == ".." || strings.ContainsAny(cfg.Tool, `/\`) {
		return "", fmt.Errorf("spool: tool name %q cannot name a folder", cfg.Tool)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("spool: locating the spool: %w", err)
	}
	return filepath.Join(cache, cfg.Tool, "spool"), nil
}

// spoolDirs returns every spool folder of cfg's tool: the one of its
// endpoint and, by default, those of the other endpoints used before.
func (cfg Config) spoolDirs() ([]string, error) {
	if cfg.SpoolDir != "" {
		return []string{cfg.SpoolDir}, nil
	}
	root, err := cfg.spoolRoot()
	if err != nil {
		return nil, err
	}
	entries, err := readDir(root)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	return dirs, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (cfg Config) maxFiles() int         { return orDefault(cfg.MaxFiles, DefaultMaxFiles) }
func (cfg Config) maxBytes() int64       { return orDefault(cfg.MaxBytes, DefaultMaxBytes) }
func (cfg Config) maxAge() time.Duration { return orDefault(cfg.MaxAge, DefaultMaxAge) }
func (cfg Config) maxSpans() int         { return orDefault(cfg.MaxSpans, DefaultMaxSpans) }
func (cfg Config) maxBatchFiles() int    { return orDefault(cfg.batchFiles, maxBatchFiles) }
func (cfg Config) uploadDeadline() time.Duration {
	return orDefault(cfg.UploadDeadline, DefaultUploadDeadline)
}
func (cfg Config) attemptTimeout() time.Duration {
	return orDefault(cfg.AttemptTimeout, otlphttp.DefaultAttemptTimeout)
}

// uploadInterval returns the interval between uploader starts; 0 means
// one after every write.
func (cfg Config) uploadInterval() time.Duration {
	d := cfg.UploadInterval
	if v, ok := cfg.lookupEnv(toolenv.UploadInterval(cfg.Tool)); ok && cfg.Tool != "" {
		if parsed, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
			return min(max(parsed, 0), MaxUploadInterval)
		}
	}
	switch {
	case d < 0:
		return 0
	case d == 0 && runtime.GOOS == "windows":
		// A waiting uploader would hold the tool's .exe (no update, no
		// reinstall) and the spool folder for the interval.
		return 0
	case d == 0:
		return DefaultUploadInterval
	}
	return min(d, MaxUploadInterval)
}

func (cfg Config) failureBackoff() time.Duration {
	switch {
	case cfg.FailureBackoff < 0:
		return 0
	case cfg.FailureBackoff == 0:
		return DefaultFailureBackoff
	}
	return cfg.FailureBackoff
}
