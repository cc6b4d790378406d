// Package lockfile is the one home of the library's file locks: an
// exclusive advisory lock (flock on Unix, LockFileEx on Windows, through
// gofrs/flock) on a lock file that is created 0600 and never reached
// through a symbolic link, so a planted link cannot make us create or lock
// a file elsewhere. A lock is bounded in time: a host command never hangs
// on another process's lock. In a folder of ours, TryLockOwn and LockOwn
// replace an unsafe entry (a link, a FIFO, a hard link to another file)
// rather than give up the lock for good.
package lockfile
