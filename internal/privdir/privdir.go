package privdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrUnsafe is wrapped by the errors of Ensure and Check for a folder that
// is a symbolic link, not a folder, or owned by another user. Such a folder
// is left exactly as it is.
var ErrUnsafe = errors.New("privdir: unsafe folder")

// Perm is the mode of the folders we create.
const Perm = 0o700

// Ensure makes path a private folder of ours: it creates it (and missing
// parents) 0700, refuses it (ErrUnsafe) when it is a symbolic link, not a
// folder, or owned by another user, and removes any group and other access
// from an existing folder of ours (0777 becomes 0700). Call it before
// writing into the folder, never when only reading.
func Ensure(path string) error {
	// Nearly always the folder is there: check it first, create after.
	err := secure(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), Perm); err != nil {
		return fmt.Errorf("privdir: creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.Mkdir(path, Perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("privdir: creating %s: %w", path, err)
	}
	return secure(path)
}

// Check reports, without changing anything, whether path is unsafe
// (ErrUnsafe, as for Ensure). A missing folder, or one of ours that is only
// too open (Ensure will tighten it), is not an error.
func Check(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("privdir: %s: %w", path, err)
	}
	return verify(path, fi)
}

// Owned reports whether fi (from Stat or Lstat) belongs to the effective
// user; always true where owners are not checked (Windows).
func Owned(fi fs.FileInfo) bool {
	_, foreign := foreignOwner(fi)
	return !foreign
}

// verify applies the rules to what Lstat (or Stat of an open folder)
// returned.
func verify(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symbolic link", ErrUnsafe, path)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a folder", ErrUnsafe, path)
	}
	if owner, ok := foreignOwner(fi); ok {
		return fmt.Errorf("%w: %s belongs to another user (uid %d)", ErrUnsafe, path, owner)
	}
	return nil
}
