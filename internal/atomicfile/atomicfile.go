package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes data to a temporary file in path's folder and renames it
// over path. The new file gets mode perm (not reduced by the umask). When
// sync is true the data is flushed to disk before the rename, so that a
// crash cannot leave an empty file behind; callers writing throw-away data
// on a hot path may skip that cost. On any error path is left untouched and
// the temporary file is removed.
func WriteFile(path string, data []byte, perm os.FileMode, sync bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", base, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", base, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: chmod %s: %w", base, err)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("atomicfile: sync %s: %w", base, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", base, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: replace %s: %w", base, err)
	}
	return nil
}
