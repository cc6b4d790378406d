//go:build !unix

package lockfile

import (
	"fmt"
	"io/fs"
	"os"
)

// openFlags: Windows (and the rest) has no O_NOFOLLOW for os.OpenFile; refuseLink checks
// before opening instead (making links there needs a privilege).
const openFlags = 0

func refuseLink(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return fmt.Errorf("lockfile: %s is a link or reparse point: %w", path, ErrUnsafe)
	}
	return nil
}

// otherNames: hard links are not looked for here.
func otherNames(fs.FileInfo) bool { return false }
