//go:build unix

package lockfile

import (
	"io/fs"
	"syscall"
)

// openFlags: never follow a link at the lock file's path, and never block
// opening a FIFO planted there.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// refuseLink has nothing to do: O_NOFOLLOW refuses links atomically.
func refuseLink(string) error { return nil }

// otherNames reports whether the file has more names than one.
func otherNames(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink > 1
}
