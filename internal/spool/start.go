package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/toolenv"
)

// tokenPrefix names the file that proves a spawn: StartUploader creates
// upload.token-<token> and gives the child <TOOL>_TELEMETRY_UPLOAD=<token>;
// the child removes the file to claim its role. A marker left in an
// environment, or copied from one, matches no file and so cannot turn an
// ordinary invocation into an uploader.
const (
	tokenPrefix   = "upload.token-"
	tokenBytes    = 16
	staleTokenAge = time.Minute // a child that never claimed its token
)

// ClaimUpload reports whether this process is the uploader child that
// StartUploader started, and claims that role: <TOOL>_TELEMETRY_UPLOAD
// holds the token of an unclaimed spawn of this spool. It reads no file
// when the variable is absent. The tool checks it first thing in main,
// then calls Upload and exits; any other process runs as usual.
func ClaimUpload(cfg Config) bool {
	if cfg.Tool == "" {
		return false
	}
	v, ok := cfg.lookupEnv(toolenv.Upload(cfg.Tool))
	if !ok || len(v) != 2*tokenBytes {
		return false
	}
	if _, err := hex.DecodeString(v); err != nil {
		return false
	}
	dir, err := cfg.spoolDir()
	if err != nil {
		return false
	}
	// Remove succeeds for exactly one claimant.
	return os.Remove(filepath.Join(dir, tokenPrefix+v)) == nil
}

// newToken creates the token file of a spawn and returns the token.
func newToken(dir string) (string, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("spool: uploader token: %w", err)
	}
	token := hex.EncodeToString(b[:])
	f, err := os.OpenFile(filepath.Join(dir, tokenPrefix+token), os.O_CREATE|os.O_EXCL|os.O_WRONLY|oNoFollow, filePerm)
	if err != nil {
		return "", fmt.Errorf("spool: uploader token: %w", err)
	}
	f.Close()
	return token, nil
}

// StartUploader starts the uploader if this Spool wrote a file: the tool's
// own executable (os.Executable), run without arguments and with the
// marker <TOOL>_TELEMETRY_UPLOAD=<token of this spawn> added to the
// environment, with stdin, stdout and stderr on the null device, in its own
// session, in the spool folder, and not waited for. Spans never travel
// through argv or the environment: the child reads the spool.
//
// No child is started when nothing was written, while an uploader waits
// out its interval (Config.UploadInterval: it sends this write when the
// interval is over) unless the spool is full enough to go now, while an
// earlier failure's back-off (Retry-After or Config.FailureBackoff) lasts,
// or while another uploader is at work. It tries a lock or two, reads one
// small file and forks; it never lists the spool and never waits on the
// network.
func (s *Spool) StartUploader() error {
	cfg, dir, log := s.cfg, s.dir, s.log
	if !s.Written() {
		log.Debug("spool: uploader not started: nothing written")
		return nil
	}
	interval := cfg.uploadInterval()
	if interval > 0 && !s.full.Load() && waiting(dir) {
		log.Debug("spool: uploader not started: the one waiting out its interval sends this write")
		return nil
	}
	if until, ok := readBackoff(dir); ok && time.Now().Before(until) {
		log.Debug("spool: uploader not started: backing off", "until", until)
		return nil
	}
	// An uploader at work sends what was just spooled too (it looks again
	// after letting go of the lock): no second process, so that a script
	// running the tool in a loop does not start one per command.
	if held, err := lockfile.TryLockOwn(filepath.Join(dir, lockName)); errors.Is(err, lockfile.ErrBusy) {
		log.Debug("spool: uploader not started: one is at work")
		return nil
	} else if err == nil {
		held.Unlock()
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("spool: locating the executable: %w", err)
	}
	token, err := newToken(dir)
	if err != nil {
		return err
	}
	failed := func() { os.Remove(filepath.Join(dir, tokenPrefix+token)) }
	sys, err := detached()
	if err != nil {
		failed()
		return err
	}
	// os.StartProcess rather than os/exec, which the tool need not link.
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		failed()
		return fmt.Errorf("spool: starting the uploader: %w", err)
	}
	defer null.Close()
	child, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{
		Dir:   dir, // not the user's folder: the child must not pin it
		Env:   uploaderEnv(os.Environ(), toolenv.Upload(cfg.Tool), token),
		Files: []*os.File{null, null, null},
		Sys:   sys,
	})
	if err != nil {
		failed()
		return fmt.Errorf("spool: starting the uploader: %w", err)
	}
	log.Debug("spool: uploader started", "pid", child.Pid)
	// Reaps the child if this process outlives it; a CLI exits first.
	go child.Wait()
	return nil
}

// uploaderEnv returns env with marker=token as its only setting of marker.
func uploaderEnv(env []string, marker, token string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, marker+"=") {
			out = append(out, kv)
		}
	}
	return append(out, marker+"="+token)
}
