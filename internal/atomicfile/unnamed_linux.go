package atomicfile

import (
	"errors"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// procFD tells whether /proc is there to name an unnamed file by (not in
// every chroot or sandbox).
var procFD = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
})

// createUnnamed opens a file with no name in dir (O_TMPFILE). Some file
// systems do not support it; the caller then falls back to a named file.
func createUnnamed(dir string) (*os.File, error) {
	if !procFD() {
		return nil, errors.New("atomicfile: no /proc/self/fd")
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// linkUnnamed names f, made by createUnnamed, as name. Linking through
// /proc needs no privilege, unlike AT_EMPTY_PATH.
func linkUnnamed(f *os.File, name string) error {
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: proc, New: name, Err: err}
	}
	return nil
}
