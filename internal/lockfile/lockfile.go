package lockfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// ErrBusy is wrapped by the errors of TryLock and Lock when another process
// (or another Held in this one) holds the lock.
var ErrBusy = errors.New("lockfile: held by another process")

// ErrUnsafe is wrapped when the lock file is a symbolic link or not a
// regular file; it is left as it is.
var ErrUnsafe = errors.New("lockfile: unsafe lock file")

// Perm is the mode of a new lock file.
const Perm = 0o600

// retryDelay is how often Lock tries again while it waits.
const retryDelay = 5 * time.Millisecond

// Held is a lock this process holds; Unlock releases it. The lock file is
// kept: removing it would let two processes hold "the" lock on different
// files.
type Held struct{ f *flock.Flock }

// Unlock releases the lock. It is safe to call more than once, and on nil.
func (h *Held) Unlock() error {
	if h == nil {
		return nil
	}
	return h.f.Unlock()
}

// TryLock takes the exclusive lock on the file at path without waiting,
// creating the file (0600) if needed. When another holder has it, the error
// wraps ErrBusy.
func TryLock(path string) (*Held, error) {
	f, err := newFlock(path)
	if err != nil {
		return nil, err
	}
	ok, err := f.TryLock()
	if err != nil {
		return nil, openError(path, err)
	}
	if !ok {
		return nil, fmt.Errorf("lockfile: %s: %w", path, ErrBusy)
	}
	return check(path, f)
}

// Lock takes the exclusive lock on the file at path, creating it (0600) if
// needed, and waits at most timeout for another holder to let go; then the
// error wraps ErrBusy.
func Lock(path string, timeout time.Duration) (*Held, error) {
	f, err := newFlock(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ok, err := f.TryLockContext(ctx, retryDelay)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || err == nil && !ok:
		return nil, fmt.Errorf("lockfile: %s: waited %v: %w", path, timeout, ErrBusy)
	case err != nil:
		return nil, openError(path, err)
	}
	return check(path, f)
}

// TryLockOwn is TryLock, and LockOwn is Lock, for a lock file in a folder
// of ours (the caller checked it, with privdir): an entry there that is
// unsafe (a symbolic link, not a regular file, or a second name of another
// file) can only be a leftover or a plant, and would keep the lock from
// ever being taken, so it is removed (never what it points to) and the
// lock taken again, once.
func TryLockOwn(path string) (*Held, error) {
	return own(path, func() (*Held, error) { return TryLock(path) })
}

// LockOwn: see TryLockOwn.
func LockOwn(path string, timeout time.Duration) (*Held, error) {
	return own(path, func() (*Held, error) { return Lock(path, timeout) })
}

func own(path string, take func() (*Held, error)) (*Held, error) {
	h, err := take()
	if errors.Is(err, ErrUnsafe) && os.Remove(path) == nil {
		h, err = take()
	}
	return h, err
}

func newFlock(path string) (*flock.Flock, error) {
	if err := refuseLink(path); err != nil {
		return nil, err
	}
	return flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDONLY|openFlags), flock.SetPermissions(Perm)), nil
}

// check makes sure the locked file is a regular file with no other name:
// O_NONBLOCK let a FIFO or device open without hanging, but it is no lock
// file of ours, and a second name (a hard link to another lock) would make
// two locks one.
func check(path string, f *flock.Flock) (*Held, error) {
	fi, err := f.Stat()
	switch {
	case err != nil:
	case !fi.Mode().IsRegular():
		err = fmt.Errorf("lockfile: %s is a %v, not a regular file: %w", path, fi.Mode().Type(), ErrUnsafe)
	case otherNames(fi):
		err = fmt.Errorf("lockfile: %s has other names (hard links): %w", path, ErrUnsafe)
	}
	if err != nil {
		f.Unlock()
		return nil, err
	}
	return &Held{f: f}, nil
}

// openError names a symbolic link refused by O_NOFOLLOW (ELOOP, or EMLINK
// on some BSDs) clearly.
func openError(path string, err error) error {
	if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("lockfile: %s is a symbolic link: %w", path, ErrUnsafe)
	}
	return fmt.Errorf("lockfile: %s: %w", path, err)
}
