//go:build unix

package privdir

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// secure opens the folder itself without following a link (so that it
// cannot be swapped for one between the check and the chmod), checks it and
// tightens it through the open descriptor.
func secure(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil {
			if verr := verify(path, fi); verr != nil {
				return verr
			}
		}
		return fmt.Errorf("privdir: opening %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("privdir: %s: %w", path, err)
	}
	if err := verify(path, fi); err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := f.Chmod(perm &^ 0o077); err != nil {
			return fmt.Errorf("privdir: restricting %s: %w", path, err)
		}
	}
	return nil
}

// foreignOwner returns the owner of fi when it is not the effective user.
func foreignOwner(fi fs.FileInfo) (uid int, foreign bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	if int(st.Uid) != os.Geteuid() {
		return int(st.Uid), true
	}
	return 0, false
}
