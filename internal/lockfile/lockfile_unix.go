//go:build unix

package lockfile

import "syscall"

// openFlags: never follow a link at the lock file's path, and never block
// opening a FIFO planted there.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// refuseLink has nothing to do: O_NOFOLLOW refuses links atomically.
func refuseLink(string) error { return nil }
