package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/readlimit"
)

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
	// Bounded, and never blocking on a FIFO planted in its place.
	data, err := readlimit.File(filepath.Join(dir, backoffName), 64)
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
