package spool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/otlpwire"
	"github.com/anontel/anontel/internal/privdir"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	spoolExt     = ".otlp"
	dirPerm      = 0o700
	filePerm     = 0o600
	lockName     = "upload.lock"
	backoffName  = "upload.next"
	waitName     = "upload.wait"
	staleTempAge = time.Hour // leftovers of a crashed atomic write
)

// Spool is a SpanExporter for short-lived programs. It keeps the spans of
// one invocation in memory and, on Shutdown, writes them as one spool file
// holding a ready OTLP/HTTP request body; Upload sends such files later.
// It never touches the disk before Shutdown (or Flush), never uses the
// network, and ExportSpans never fails, so nothing reaches otel.Handle.
// Use it with a SimpleSpanProcessor (sdktrace.WithSyncer): it only
// appends to a slice.
type Spool struct {
	cfg Config
	dir string
	log *slog.Logger

	mu       sync.Mutex
	spans    []sdktrace.ReadOnlySpan
	dropped  int
	shutdown bool
	// written is atomic so that Written never waits behind a write that
	// the SDK gave up on (a stalled file system).
	written atomic.Bool
	// full is set when the spool held enough after this Spool's write to
	// start an uploader before the interval is over (startFiles, startBytes).
	full atomic.Bool
}

// New returns a Spool for cfg. It fails when no endpoint resolves (see
// otlphttp.Resolve): spans that could never be uploaded are not kept.
// It creates nothing on disk.
func New(cfg Config) (*Spool, error) {
	if _, err := cfg.endpoint(); err != nil {
		return nil, err
	}
	dir, err := cfg.spoolDir()
	if err != nil {
		return nil, err
	}
	return &Spool{cfg: cfg, dir: dir, log: cfg.logger()}, nil
}

// Dir returns the spool folder.
func (s *Spool) Dir() string { return s.dir }

// ExportSpans keeps spans in memory, up to Config.MaxSpans. It always
// returns nil; spans beyond the cap or after Shutdown are dropped and
// counted in the debug log.
func (s *Spool) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		s.log.Debug("spool: spans after shutdown dropped", "spans", len(spans))
		return nil
	}
	room := s.cfg.maxSpans() - len(s.spans)
	if room < len(spans) {
		s.dropped += len(spans) - max(room, 0)
		spans = spans[:max(room, 0)]
	}
	s.spans = append(s.spans, spans...)
	return nil
}

// Flush writes the spans kept so far to a spool file now.
func (s *Spool) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked(ctx)
}

// Shutdown writes the spans kept to one spool file (none when there are
// none) and trims the spool to its caps. Later exports are dropped. The
// error, if any, is also in the debug log; it is for the caller's debug
// log too, never the user.
func (s *Spool) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return nil
	}
	s.shutdown = true
	return s.flushLocked(ctx)
}

// Written reports whether this Spool wrote a spool file: only then is an
// uploader worth starting.
func (s *Spool) Written() bool { return s.written.Load() }

func (s *Spool) flushLocked(ctx context.Context) error {
	if s.dropped > 0 {
		s.log.Debug("spool: spans over the in-memory cap dropped", "spans", s.dropped, "cap", s.cfg.maxSpans())
		s.dropped = 0
	}
	if len(s.spans) == 0 {
		return nil
	}
	spans := s.spans
	s.spans = nil
	// Encoding is local and fast: a caller's expired context must not lose
	// the spans.
	bodies, err := encodeFiles(context.WithoutCancel(ctx), spans)
	if err != nil {
		s.log.Debug("spool: spool not written", "err", err)
		return err
	}
	for _, body := range bodies {
		if err := writeSpoolFile(s.cfg, s.dir, body, time.Now()); err != nil {
			s.log.Debug("spool: spool not written", "err", err)
			return err
		}
		s.written.Store(true)
	}
	kept, size, err := trimSpool(s.cfg, s.dir, time.Now(), s.log)
	if err != nil {
		s.log.Debug("spool: spool not trimmed", "err", err)
	}
	s.full.Store(len(kept) >= startFiles || size >= startBytes)
	return nil
}

// encodeFiles encodes spans as one request, or, when that is over
// maxBatchBytes, as several of at most that size (a single span may be
// larger): a file goes whole in one request, and a request must pass a
// slow link within the attempt timeout, or it would block the spool.
func encodeFiles(ctx context.Context, spans []sdktrace.ReadOnlySpan) ([][]byte, error) {
	body, err := otlpwire.Encode(ctx, spans)
	if err != nil || len(body) <= maxBatchBytes || len(spans) == 1 {
		return [][]byte{body}, err
	}
	// Parts of about two thirds of the cap, split by count, so that one
	// more encoding usually does; a part still over it (its spans are
	// larger than most) is split again, into at least two.
	target := maxBatchBytes * 2 / 3
	parts := (len(body) + target - 1) / target // at least 2
	per := (len(spans) + parts - 1) / parts
	var out [][]byte
	for i := 0; i < len(spans); i += per {
		part, err := encodeFiles(ctx, spans[i:min(i+per, len(spans))])
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// ensureDir creates the spool folder and the tool's folders above it
// 0700, tightens them when they are looser, and refuses (privdir.ErrUnsafe)
// any that is a symbolic link or another user's: whoever controls such a
// folder could swap what the uploader sends.
func (cfg Config) ensureDir(dir string) error {
	if cfg.SpoolDir == "" {
		root, err := cfg.spoolRoot()
		if err != nil {
			return err
		}
		for _, d := range []string{filepath.Dir(root), root} {
			if err := privdir.Ensure(d); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
		}
	}
	if err := privdir.Ensure(dir); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// writeSpoolFile writes body as a new spool file named after now, so that
// names sort oldest first.
func writeSpoolFile(cfg Config, dir string, body []byte, now time.Time) error {
	if err := cfg.ensureDir(dir); err != nil {
		return err
	}
	var r [4]byte
	rand.Read(r[:])
	// The size is in the name, so that listing the spool, on every write,
	// stats no file.
	name := fmt.Sprintf("%020d-%d-%s-s%d%s", now.UnixNano(), os.Getpid(), hex.EncodeToString(r[:]), len(body), spoolExt)
	if err := atomicfile.WriteNew(filepath.Join(dir, name), body, filePerm, cfg.SyncWrites); err != nil {
		return fmt.Errorf("spool: writing the spool: %w", err)
	}
	return nil
}

// spoolFile is one file of the spool.
type spoolFile struct {
	name    string
	created time.Time
	size    int64
}

// listSpool returns the spool files, oldest first. A missing folder is an
// empty spool. Files not named like spool files are left alone, except
// stale temporary files of an interrupted write, which are removed.
func listSpool(dir string, now time.Time) ([]spoolFile, error) {
	entries, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	var files []spoolFile
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasPrefix(name, ".") && strings.Contains(name, spoolExt+".tmp-") {
			if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > staleTempAge {
				os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		if strings.HasPrefix(name, tokenPrefix) {
			// The token of a child that never started.
			if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > staleTokenAge {
				os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		created, ok := parseSpoolName(name)
		if !ok {
			continue
		}
		size, ok := sizeInName(name)
		if !ok {
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			size = fi.Size()
		}
		files = append(files, spoolFile{name: name, created: created, size: size})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, nil
}

func parseSpoolName(name string) (time.Time, bool) {
	if !strings.HasSuffix(name, spoolExt) || len(name) < 21 || name[20] != '-' {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(name[:20], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// sizeInName returns the size that a spool file's name records (…-s<size>.otlp);
// files written before names held it have none.
func sizeInName(name string) (int64, bool) {
	base := strings.TrimSuffix(name, spoolExt)
	i := strings.LastIndex(base, "-s")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(base[i+2:], 10, 64)
	return n, err == nil && n >= 0
}

// trimSpool deletes, oldest first, files older than MaxAge and files beyond
// MaxFiles or MaxBytes. It returns the files that remain, oldest first,
// and their total size.
func trimSpool(cfg Config, dir string, now time.Time, log *slog.Logger) (kept []spoolFile, size int64, err error) {
	files, err := listSpool(dir, now)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	maxAge, maxFiles, maxBytes := cfg.maxAge(), cfg.maxFiles(), cfg.maxBytes()
	kept = files[:0:0]
	for i, f := range files {
		left := len(files) - i
		if now.Sub(f.created) <= maxAge && left <= maxFiles && total <= maxBytes {
			kept = append(kept, files[i:]...)
			break
		}
		if err := os.Remove(filepath.Join(dir, f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Debug("spool: removing an old spool file", "err", err)
		}
		log.Debug("spool: spool file dropped by the caps", "file", f.name, "age", now.Sub(f.created).Round(time.Second))
		total -= f.size
	}
	return kept, total, nil
}

// Queued reports how many invocations wait in the spool (of every
// endpoint) and their size in bytes, for a status command. It creates and
// changes nothing.
func Queued(cfg Config) (files int, size int64, err error) {
	dirs, err := cfg.spoolDirs()
	if err != nil {
		return 0, 0, err
	}
	for _, dir := range dirs {
		// Not listSpool: that tidies stale temporary files, and a status
		// command must change nothing.
		entries, err := readDir(dir)
		if err != nil {
			return files, size, err
		}
		for _, e := range entries {
			if _, ok := parseSpoolName(e.Name()); !ok || !e.Type().IsRegular() {
				continue
			}
			if fi, err := e.Info(); err == nil {
				files++
				size += fi.Size()
			}
		}
	}
	return files, size, nil
}

// Clear deletes every invocation waiting in the spool, for every endpoint,
// for a user who withdraws consent, and returns how many it deleted.
func Clear(cfg Config) (int, error) {
	dirs, err := cfg.spoolDirs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, dir := range dirs {
		list, lerr := listSpool(dir, time.Now())
		if lerr != nil && err == nil {
			err = lerr
		}
		for _, f := range list {
			if rerr := os.Remove(filepath.Join(dir, f.name)); rerr == nil {
				n++
			} else if !errors.Is(rerr, fs.ErrNotExist) && err == nil {
				err = fmt.Errorf("spool: clearing the spool: %w", rerr)
			}
		}
	}
	return n, err
}

// readDir lists a spool folder; a missing one is empty.
func readDir(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: reading the spool: %w", err)
	}
	return entries, nil
}
