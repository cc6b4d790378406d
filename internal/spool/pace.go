package spool

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// The pace of uploader starts (Config.UploadInterval): upload.started holds
// the time of the last start. A command starts no uploader while the one
// started last is within its interval, because that one sends what the
// command spooled when the interval is over (Serve).

// markStarted records now as the time of the last uploader start: the
// modification time of upload.started, which a command reads with one
// Lstat.
func markStarted(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, startedName), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|oNoFollow, filePerm)
	if err != nil {
		return err
	}
	// Written, so that the time changes even where truncating an empty
	// file does not.
	_, err = f.WriteString("started\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lastStarted returns the time of the last uploader start, if one is
// recorded. A time in the future (a clock set back) counts as none.
func lastStarted(dir string) (time.Time, bool) {
	fi, err := os.Lstat(filepath.Join(dir, startedName))
	if err != nil || !fi.Mode().IsRegular() {
		return time.Time{}, false
	}
	t := fi.ModTime()
	if t.After(time.Now()) {
		return time.Time{}, false
	}
	return t, true
}

// Serve is the uploader process's work: Upload, then, with an interval
// (Config.UploadInterval), wait until the interval since this uploader's
// start is over and Upload once more what was spooled meanwhile, if
// allowed (consent, asked again then) still says yes. It returns at once
// when the first Upload failed or another uploader was at work, and skips
// the second when a later uploader has started since.
func Serve(ctx context.Context, cfg Config, allowed func() bool) (UploadResult, error) {
	res, err := Upload(ctx, cfg)
	interval := cfg.uploadInterval()
	if err != nil || interval == 0 {
		return res, err
	}
	dir, err := cfg.spoolDir()
	if err != nil {
		return res, err
	}
	started, ok := lastStarted(dir)
	if !ok {
		return res, nil
	}
	wait := time.Until(started.Add(interval))
	if wait <= 0 {
		return res, nil
	}
	t := time.NewTimer(wait)
	select {
	case <-ctx.Done():
		t.Stop()
		return res, ctx.Err()
	case <-t.C:
	}
	if later, ok := lastStarted(dir); !ok || !later.Equal(started) || !allowed() {
		return res, nil
	}
	more, err := Upload(ctx, cfg)
	res.Sent += more.Sent
	res.Dropped += more.Dropped
	res.Kept = more.Kept
	return res, err
}
