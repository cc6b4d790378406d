package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/otlpwire"
	"github.com/anontel/anontel/internal/privdir"
)

// UploadResult says what one Upload did with the spool files.
type UploadResult struct {
	Sent    int // delivered (2xx) and removed
	Dropped int // removed unsent: rejected (4xx), corrupt, or over the caps
	Kept    int // still in the spool afterwards, for a later upload
}

// ErrUploadInProgress is returned by Upload when another uploader holds
// the spool lock; it returns at once, having done nothing.
var ErrUploadInProgress = errors.New("spool: another uploader holds the spool")

// Upload drains the spool to the endpoint, oldest file first, within
// Config.UploadDeadline:
//
//   - one uploader at a time: a second returns ErrUploadInProgress at once;
//   - a file is removed only after a 2xx answer (at-least-once delivery);
//   - 4xx other than 408 and 429 removes the file unsent (Dropped): the
//     collector will never accept it;
//   - 408, 429, 5xx, a 2xx text/html page (a captive portal), a redirect,
//     a network error or a timeout stop the upload and keep the files; no
//     uploader is started again before Retry-After (capped at 6h) or
//     Config.FailureBackoff has passed;
//   - files that are not a valid request (torn by a crash) are dropped;
//   - the caps (MaxFiles, MaxBytes, MaxAge) are enforced first.
//
// The error reports why files were kept; it never holds span data.
func Upload(ctx context.Context, cfg Config) (res UploadResult, err error) {
	log := cfg.logger()
	endpoint, err := cfg.endpoint()
	if err != nil {
		return res, err
	}
	dir, err := cfg.spoolDir()
	if err != nil {
		return res, err
	}
	sweepOtherSpools(cfg, dir, log)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.uploadDeadline())
	defer cancel()

	u := &uploader{cfg: cfg, endpoint: endpoint, dir: dir, log: log, client: otlphttp.NewClient(cfg.attemptTimeout())}
	defer u.client.CloseIdleConnections()
	seen := make(map[string]bool)
	for first := true; ; first = false {
		locked, err := u.drain(ctx, seen, &res)
		if !locked {
			if first {
				return res, ErrUploadInProgress
			}
			return res, nil // another uploader took over
		}
		if err != nil {
			return res, err
		}
		// A command that found the lock held started no uploader of its
		// own: what it spooled before this uploader let go is still ours.
		left, err := listSpool(dir, time.Now())
		if err != nil {
			return res, err
		}
		res.Kept = len(left)
		if !hasUnseen(left, seen) || ctx.Err() != nil {
			return res, nil
		}
	}
}

func hasUnseen(files []spoolFile, seen map[string]bool) bool {
	for _, f := range files {
		if !seen[f.name] {
			return true
		}
	}
	return false
}

// drain sends the spool under the lock, adding to res; locked is false
// when another uploader holds the lock.
func (u *uploader) drain(ctx context.Context, seen map[string]bool, res *UploadResult) (locked bool, err error) {
	dir, cfg, log := u.dir, u.cfg, u.log
	if err := privdir.Check(dir); err != nil {
		return true, fmt.Errorf("spool: %w", err)
	}
	held, err := lockfile.TryLockOwn(filepath.Join(dir, lockName))
	if errors.Is(err, lockfile.ErrBusy) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("spool: locking the spool: %w", err)
	}
	defer held.Unlock()
	atomicfile.CleanStaleDir(dir, time.Now()) // temporaries of interrupted writes

	before, err := listSpool(dir, time.Now())
	if err != nil {
		return true, err
	}
	files, _, err := trimSpool(cfg, dir, time.Now(), log)
	if err != nil {
		return true, err
	}
	res.Dropped += len(before) - len(files)
	defer func() {
		if left, err := listSpool(dir, time.Now()); err == nil {
			res.Kept = len(left)
		}
	}()
	if until, ok := readBackoff(dir); ok && time.Now().Before(until) {
		return true, fmt.Errorf("spool: backing off until %s", until.Format(time.RFC3339))
	}

	sentAny := false
	for len(files) > 0 {
		for len(files) > 0 {
			if ctx.Err() != nil {
				return true, fmt.Errorf("spool: upload deadline reached")
			}
			n := batchLen(files, cfg.maxBatchFiles())
			for _, f := range files[:n] {
				seen[f.name] = true
			}
			sent, dropped, err := u.sendBatch(ctx, files[:n])
			res.Sent += sent
			res.Dropped += dropped
			sentAny = sentAny || sent > 0
			if err != nil {
				u.backOff(err)
				return true, err
			}
			files = files[n:]
		}
		// Files spooled while this upload ran go in the same run.
		all, err := listSpool(dir, time.Now())
		if err != nil {
			return true, err
		}
		for _, f := range all {
			if !seen[f.name] {
				files = append(files, f)
			}
		}
	}
	if sentAny {
		clearBackoff(dir)
	}
	return true, nil
}

// Bounds of one request of the uploader: a burst of recorded invocations
// goes in a few requests, each well under a collector's usual 1 MiB cap
// on a request body. Requests go uncompressed, so the bytes are kept to
// what a slow link (100 kbit/s) sends within the attempt timeout: a
// request that always timed out would be sent again and again, and the
// spool behind it would never drain.
const (
	maxBatchFiles = 200
	maxBatchBytes = 48 << 10
)

// batchLen returns how many of files, oldest first, go in the next
// request: at least one, at most maxFiles.
func batchLen(files []spoolFile, maxFiles int) int {
	var size int64
	for i, f := range files {
		size += f.size
		if i > 0 && (i >= maxFiles || size > maxBatchBytes) {
			return i
		}
	}
	return len(files)
}

type uploader struct {
	cfg      Config
	endpoint string
	dir      string
	log      *slog.Logger
	client   *http.Client
}

// sendBatch posts files as one request: each file is an
// ExportTraceServiceRequest, a message of one repeated field, so their
// concatenation is the request that holds all their spans. A file that is
// gone is skipped; one that is not a valid request (torn by a crash) is
// dropped. A rejected batch of several files is sent again file by file,
// so that only a file the collector refuses is dropped. err is set when
// the collector cannot take data now: the files stay for a later upload.
func (u *uploader) sendBatch(ctx context.Context, files []spoolFile) (sent, dropped int, err error) {
	var body []byte
	var paths []string
	for _, f := range files {
		path := filepath.Join(u.dir, f.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			u.log.Debug("spool: spool file unreadable", "file", f.name, "err", err)
			continue
		}
		if !otlpwire.ValidRequest(data) {
			u.log.Debug("spool: corrupt spool file dropped", "file", f.name, "bytes", len(data))
			u.remove(path)
			dropped++
			continue
		}
		body = append(body, data...)
		paths = append(paths, path)
	}
	if len(paths) == 0 {
		return 0, dropped, nil
	}
	switch v, err := otlphttp.Post(ctx, u.client, u.endpoint, u.cfg.attemptTimeout(), body); v {
	case otlphttp.Delivered:
		for _, p := range paths {
			u.remove(p)
		}
		return len(paths), dropped, nil
	case otlphttp.Rejected:
		if len(paths) > 1 {
			for i := range files {
				s, d, err := u.sendBatch(ctx, files[i:i+1])
				sent, dropped = sent+s, dropped+d
				if err != nil {
					return sent, dropped, err
				}
			}
			return sent, dropped, nil
		}
		u.log.Debug("spool: collector rejected a spool file; dropped", "file", filepath.Base(paths[0]), "err", err)
		u.remove(paths[0])
		return 0, dropped + 1, nil
	default:
		return 0, dropped, err
	}
}

func (u *uploader) remove(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		u.log.Debug("spool: removing a spool file", "err", err)
	}
}
