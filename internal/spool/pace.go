package spool

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/privdir"
)

// The pace of uploader starts (Config.UploadInterval). The uploader that a
// command starts holds upload.wait for its whole life: it sends the spool,
// waits out its interval, and sends what was spooled meanwhile. A command
// that finds upload.wait held starts none, since that uploader will send
// what it spooled; one that finds it free starts one, whether the last
// uploader finished or died (a reboot), so what a dead uploader would have
// sent goes with the next command.

// waitLockPatience is how long a new uploader waits for upload.wait.
const waitLockPatience = 100 * time.Millisecond

// waiting reports whether an uploader holds upload.wait: it will send what
// is spooled now before it exits.
func waiting(dir string) bool {
	held, err := lockfile.TryLockOwn(filepath.Join(dir, waitName))
	if err == nil {
		held.Unlock()
	}
	return errors.Is(err, lockfile.ErrBusy)
}

// Serve is the uploader process's work: Upload, then, with an interval
// (Config.UploadInterval) and upload.wait to itself, wait until the
// interval since its start is over and Upload what was spooled meanwhile,
// if allowed (consent, asked again then) still says yes. An uploader that
// finds another one waiting (one started early for a full spool) sends
// once and exits. It returns at once when the first Upload met a failure
// that backs off.
func Serve(ctx context.Context, cfg Config, allowed func() bool) (UploadResult, error) {
	start := time.Now()
	interval := cfg.uploadInterval()
	var wait *lockfile.Held
	if interval > 0 {
		if dir, err := cfg.spoolDir(); err == nil && privdir.Check(dir) == nil {
			// Waits out a command's check (waiting), which holds it for an
			// instant; a waiting uploader holds it for long.
			if held, err := lockfile.LockOwn(filepath.Join(dir, waitName), waitLockPatience); err == nil {
				wait = held
			}
		}
	}
	res, err := Upload(ctx, cfg)
	if wait == nil || (err != nil && !errors.Is(err, ErrUploadInProgress)) {
		wait.Unlock()
		return res, err
	}
	t := time.NewTimer(time.Until(start.Add(interval)))
	select {
	case <-ctx.Done():
		t.Stop()
		wait.Unlock()
		return res, ctx.Err()
	case <-t.C:
	}
	// Let go first, then send: a command that found upload.wait held had
	// spooled before it looked, so this pass sees its file; one that
	// finds it free starts an uploader of its own.
	wait.Unlock()
	if !allowed() {
		return res, nil
	}
	more, err := Upload(ctx, cfg)
	res.Sent += more.Sent
	res.Dropped += more.Dropped
	res.Kept = more.Kept
	return res, err
}
