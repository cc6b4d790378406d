package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/gofrs/flock"

	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/otlpwire"
	"github.com/anontel/anontel/internal/toolenv"
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

// IsUploader reports whether this process is the uploader child started by
// StartUploader: <TOOL>_TELEMETRY_UPLOAD is "1". The tool must check it
// first thing in main, then call Upload and exit.
func IsUploader(cfg Config) bool {
	if cfg.Tool == "" {
		return false
	}
	v, ok := cfg.lookupEnv(toolenv.Upload(cfg.Tool))
	return ok && v == "1"
}

// StartUploader starts the uploader: the tool's own executable
// (os.Executable), run without arguments and with the marker
// <TOOL>_TELEMETRY_UPLOAD=1 added to the environment, with stdin, stdout
// and stderr on the null device, in its own session, in the spool folder,
// and not waited for. Spans never travel through argv or the environment:
// the child reads the spool.
//
// No child is started when this process is itself the uploader, when the
// spool is empty, when no endpoint resolves, or while an earlier failure's
// back-off (Retry-After or Config.FailureBackoff) lasts. It costs a
// directory read and a fork/exec; it never waits on the network.
func StartUploader(cfg Config) error {
	log := cfg.logger()
	if IsUploader(cfg) {
		return nil
	}
	if _, err := cfg.endpoint(); err != nil {
		return err
	}
	dir, err := cfg.spoolDir()
	if err != nil {
		return err
	}
	now := time.Now()
	if until, ok := readBackoff(dir); ok && now.Before(until) {
		log.Debug("spool: uploader not started: backing off", "until", until)
		return nil
	}
	files, err := listSpool(dir, now)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		log.Debug("spool: uploader not started: spool empty")
		return nil
	}
	// An uploader at work sends what was just spooled too (it looks again
	// after letting go of the lock): no second process, so that a script
	// running the tool in a loop does not start one per command.
	lock := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(filePerm))
	if ok, err := lock.TryLock(); err == nil && !ok {
		log.Debug("spool: uploader not started: one is at work")
		return nil
	} else if ok {
		lock.Unlock()
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("spool: locating the executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = uploaderEnv(os.Environ(), toolenv.Upload(cfg.Tool))
	cmd.Dir = dir // not the user's folder: the child must not pin it
	if err := detach(cmd); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("spool: starting the uploader: %w", err)
	}
	log.Debug("spool: uploader started", "pid", cmd.Process.Pid, "files", len(files))
	// Reaps the child if this process outlives it; a CLI exits first.
	go cmd.Wait()
	return nil
}

// uploaderEnv returns env with marker=1 as its only setting of marker.
func uploaderEnv(env []string, marker string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, marker+"=") {
			out = append(out, kv)
		}
	}
	return append(out, marker+"=1")
}

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
	lock := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(filePerm))
	locked, err = lock.TryLock()
	if err != nil {
		return true, fmt.Errorf("spool: locking the spool: %w", err)
	}
	if !locked {
		return false, nil
	}
	defer lock.Unlock()

	before, err := listSpool(dir, time.Now())
	if err != nil {
		return true, err
	}
	files, err := trimSpool(cfg, dir, time.Now(), log)
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
		for _, f := range files {
			seen[f.name] = true
			if ctx.Err() != nil {
				return true, fmt.Errorf("spool: upload deadline reached")
			}
			switch out, err := u.send(ctx, f.name); out {
			case sent:
				res.Sent++
				sentAny = true
			case dropped:
				res.Dropped++
			case skipped:
			case stop:
				u.backOff(err)
				return true, err
			}
		}
		// Files spooled while this upload ran go in the same run.
		all, err := listSpool(dir, time.Now())
		if err != nil {
			return true, err
		}
		files = files[:0]
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

type outcome int

const (
	sent outcome = iota
	dropped
	skipped // gone or unreadable; nothing learnt about the collector
	stop    // the collector cannot take data now: keep everything
)

type uploader struct {
	cfg      Config
	endpoint string
	dir      string
	log      *slog.Logger
	client   *http.Client
}

func (u *uploader) send(ctx context.Context, name string) (outcome, error) {
	path := filepath.Join(u.dir, name)
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return skipped, nil
	}
	if err != nil {
		u.log.Debug("spool: spool file unreadable", "file", name, "err", err)
		return skipped, nil
	}
	if !otlpwire.ValidRequest(body) {
		u.log.Debug("spool: corrupt spool file dropped", "file", name, "bytes", len(body))
		u.remove(path)
		return dropped, nil
	}
	switch v, err := otlphttp.Post(ctx, u.client, u.endpoint, u.cfg.attemptTimeout(), body); v {
	case otlphttp.Delivered:
		u.remove(path)
		return sent, nil
	case otlphttp.Rejected:
		u.log.Debug("spool: collector rejected a spool file; dropped", "file", name, "err", err)
		u.remove(path)
		return dropped, nil
	default:
		return stop, err
	}
}

func (u *uploader) remove(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		u.log.Debug("spool: removing a spool file", "err", err)
	}
}

// backOff records until when no uploader should start.
func (u *uploader) backOff(err error) {
	wait := u.cfg.failureBackoff()
	var ue *otlphttp.UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter > 0 {
		wait = ue.RetryAfter
	}
	if wait <= 0 {
		return
	}
	until := time.Now().Add(wait)
	data := []byte(strconv.FormatInt(until.Unix(), 10) + "\n")
	if err := atomicfile.WriteFile(filepath.Join(u.dir, backoffName), data, filePerm, false); err != nil {
		u.log.Debug("spool: recording the back-off", "err", err)
	}
	u.log.Debug("spool: upload stopped", "err", err, "retry_not_before", until)
}

// readBackoff returns the time before which no upload should be tried.
func readBackoff(dir string) (time.Time, bool) {
	data, err := os.ReadFile(filepath.Join(dir, backoffName))
	if err != nil {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	until := time.Unix(sec, 0)
	// A clock set back must not silence uploads for longer than the cap.
	if time.Until(until) > otlphttp.MaxRetryAfter {
		return time.Time{}, false
	}
	return until, true
}

func clearBackoff(dir string) {
	os.Remove(filepath.Join(dir, backoffName))
}

// sweepOtherSpools applies the caps (age above all) to the spools of
// endpoints other than this uploader's, which no uploader may ever visit
// again once a tool's endpoint changed. Their files are never sent from
// here. A spool that another uploader holds is left alone.
func sweepOtherSpools(cfg Config, own string, log *slog.Logger) {
	dirs, err := cfg.spoolDirs()
	if err != nil {
		return
	}
	for _, dir := range dirs {
		if dir == own {
			continue
		}
		lock := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(filePerm))
		if ok, err := lock.TryLock(); err != nil || !ok {
			continue
		}
		// Files only: removing the lock file or the folder would let two
		// processes hold "the" lock on different files.
		if _, err := trimSpool(cfg, dir, time.Now(), log); err != nil {
			log.Debug("spool: other spool not trimmed", "err", err)
		}
		lock.Unlock()
	}
}
