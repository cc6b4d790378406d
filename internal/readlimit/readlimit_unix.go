//go:build unix

package readlimit

import "syscall"

// openFlags: opening a FIFO for reading would wait for a writer.
const openFlags = syscall.O_NONBLOCK
