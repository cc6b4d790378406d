//go:build unix

package spool

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxScannedFD bounds the descriptor scan where /proc/self/fd is missing.
const maxScannedFD = 1024

// ReleaseInherited closes every descriptor this process inherited from the
// command that started it: a shell's `9>lock` (flock), make's jobserver
// pipe, a parent's pass_fds pipe. The uploader must hold nothing of the
// caller's while it works, or a script waiting on that lock or pipe would
// wait for it. Go opens every descriptor of its own close-on-exec, so a
// descriptor without that flag, above the standard three, is inherited.
func ReleaseInherited() {
	for _, fd := range openFDs() {
		if fd <= 2 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

// openFDs lists the open descriptors, or all that could be open.
func openFDs() []int {
	var fds []int
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range entries {
			if fd, err := strconv.Atoi(e.Name()); err == nil {
				fds = append(fds, fd)
			}
		}
		return fds
	}
	for fd := 3; fd < maxScannedFD; fd++ {
		fds = append(fds, fd)
	}
	return fds
}
