//go:build !unix

package privdir

import (
	"fmt"
	"io/fs"
	"os"
)

// secure checks the folder; a link or reparse point (a junction) is
// refused. Windows keeps access in ACLs, which a new folder in the user's
// profile inherits from it: modes are not changed.
func secure(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("privdir: %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeIrregular != 0 {
		return fmt.Errorf("%w: %s is a reparse point", ErrUnsafe, path)
	}
	return verify(path, fi)
}

// foreignOwner: owners are not checked on Windows.
func foreignOwner(fs.FileInfo) (int, bool) { return 0, false }
