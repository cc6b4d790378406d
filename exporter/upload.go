package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/gofrs/flock"

	"github.com/anontel/anontel/exporter/internal/otlpwire"
)

// UploadResult says what one Upload did with the spool files.
type UploadResult struct {
	Sent    int // delivered (2xx) and removed
	Dropped int // removed unsent: rejected (4xx), corrupt, or over the caps
	Kept    int // still in the spool afterwards, for a later upload
}

// ErrUploadInProgress is returned by Upload when another uploader holds
// the spool lock; it returns at once, having done nothing.
var ErrUploadInProgress = errors.New("exporter: another uploader holds the spool")

// IsUploader reports whether this process is the uploader child started by
// StartUploader: <TOOL>_TELEMETRY_UPLOAD is "1". The tool must check it
// first thing in main, then call Upload and exit.
func IsUploader(cfg Config) bool {
	if cfg.Tool == "" {
		return false
	}
	v, ok := cfg.lookupEnv(UploaderEnv(cfg.Tool))
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
	if _, err := ResolveEndpoint(cfg); err != nil {
		return err
	}
	dir, err := cfg.spoolDir()
	if err != nil {
		return err
	}
	now := time.Now()
	if until, ok := readBackoff(dir); ok && now.Before(until) {
		log.Debug("exporter: uploader not started: backing off", "until", until)
		return nil
	}
	files, err := listSpool(dir, now)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		log.Debug("exporter: uploader not started: spool empty")
		return nil
	}
	// An uploader at work sends what was just spooled too (it looks again
	// after letting go of the lock): no second process, so that a script
	// running the tool in a loop does not start one per command.
	lock := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(filePerm))
	if ok, err := lock.TryLock(); err == nil && !ok {
		log.Debug("exporter: uploader not started: one is at work")
		return nil
	} else if ok {
		lock.Unlock()
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("exporter: locating the executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = uploaderEnv(os.Environ(), UploaderEnv(cfg.Tool))
	cmd.Dir = dir // not the user's folder: the child must not pin it
	if err := detach(cmd); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exporter: starting the uploader: %w", err)
	}
	log.Debug("exporter: uploader started", "pid", cmd.Process.Pid, "files", len(files))
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
	endpoint, err := ResolveEndpoint(cfg)
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

	u := &uploader{cfg: cfg, endpoint: endpoint, dir: dir, log: log, client: newHTTPClient(cfg)}
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
		return true, fmt.Errorf("exporter: locking the spool: %w", err)
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
		return true, fmt.Errorf("exporter: backing off until %s", until.Format(time.RFC3339))
	}

	sentAny := false
	for len(files) > 0 {
		for _, f := range files {
			seen[f.name] = true
			if ctx.Err() != nil {
				return true, fmt.Errorf("exporter: upload deadline reached")
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

// stopError is a failure that stops the upload; retryAfter is the wait the
// collector asked for, 0 if none.
type stopError struct {
	msg        string
	retryAfter time.Duration
}

func (e *stopError) Error() string { return e.msg }

func (u *uploader) send(ctx context.Context, name string) (outcome, error) {
	path := filepath.Join(u.dir, name)
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return skipped, nil
	}
	if err != nil {
		u.log.Debug("exporter: spool file unreadable", "file", name, "err", err)
		return skipped, nil
	}
	if !validRequest(body) {
		u.log.Debug("exporter: corrupt spool file dropped", "file", name, "bytes", len(body))
		u.remove(path)
		return dropped, nil
	}
	switch v, err := post(ctx, u.client, u.endpoint, u.cfg.attemptTimeout(), body); v {
	case delivered:
		u.remove(path)
		return sent, nil
	case rejected:
		u.log.Debug("exporter: collector rejected a spool file; dropped", "file", name, "err", err)
		u.remove(path)
		return dropped, nil
	default:
		return stop, err
	}
}

// verdict is what a collector's answer means for the data sent.
type verdict int

const (
	delivered   verdict = iota
	rejected            // 4xx other than 408/429: never acceptable, drop
	unavailable         // try again later; the error may carry Retry-After
)

// post sends one OTLP/HTTP protobuf request body, gzipped, in one attempt
// bounded by timeout.
func post(ctx context.Context, client *http.Client, endpoint string, timeout time.Duration, body []byte) (verdict, error) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()

	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, endpoint, bytes.NewReader(gz.Bytes()))
	if err != nil {
		return unavailable, &stopError{msg: "exporter: building the request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("User-Agent", "anontel-exporter")
	resp, err := client.Do(req)
	if err != nil {
		// The url.Error quotes the endpoint, which may hold credentials.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return unavailable, &stopError{msg: fmt.Sprintf("exporter: sending to %s: %v", redact(endpoint), err)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			return unavailable, &stopError{msg: "exporter: the endpoint answered with an HTML page (captive portal?)"}
		}
		return delivered, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return unavailable, &stopError{
			msg:        fmt.Sprintf("exporter: collector answered %s", resp.Status),
			retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	case code >= 400:
		return rejected, fmt.Errorf("exporter: collector answered %s", resp.Status)
	default:
		return unavailable, &stopError{msg: fmt.Sprintf("exporter: collector answered %s", resp.Status)}
	}
}

func (u *uploader) remove(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		u.log.Debug("exporter: removing a spool file", "err", err)
	}
}

// backOff records until when no uploader should start.
func (u *uploader) backOff(err error) {
	wait := u.cfg.failureBackoff()
	var se *stopError
	if errors.As(err, &se) && se.retryAfter > 0 {
		wait = se.retryAfter
	}
	if wait <= 0 {
		return
	}
	until := time.Now().Add(wait)
	data := []byte(strconv.FormatInt(until.Unix(), 10) + "\n")
	if err := atomicfile.WriteFile(filepath.Join(u.dir, backoffName), data, filePerm, false); err != nil {
		u.log.Debug("exporter: recording the back-off", "err", err)
	}
	u.log.Debug("exporter: upload stopped", "err", err, "retry_not_before", until)
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
	if time.Until(until) > maxRetryAfter {
		return time.Time{}, false
	}
	return until, true
}

func clearBackoff(dir string) {
	os.Remove(filepath.Join(dir, backoffName))
}

// retryAfter parses a Retry-After header (seconds or an HTTP date), capped.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// validRequest reports whether body is an ExportTraceServiceRequest with
// at least one span.
func validRequest(body []byte) bool {
	req, err := otlpwire.Unmarshal(body)
	if len(body) == 0 || err != nil {
		return false
	}
	for _, rs := range req {
		for _, ss := range rs.ScopeSpans {
			if len(ss.Spans) > 0 {
				return true
			}
		}
	}
	return false
}

// newHTTPClient returns a client bounded by the attempt timeout at every
// step. It follows no redirect (a POST body to a moved URL is not ours to
// resend) and honours the standard proxy variables.
func newHTTPClient(cfg Config) *http.Client {
	t := cfg.attemptTimeout()
	return &http.Client{
		Timeout: t,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: t}).DialContext,
			TLSHandshakeTimeout:   t,
			ResponseHeaderTimeout: t,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
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
			log.Debug("exporter: other spool not trimmed", "err", err)
		}
		lock.Unlock()
	}
}
