package atomicfile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// StaleAge is how old a temporary file must be before it counts as left
// behind by an interrupted write; a live write takes milliseconds.
const StaleAge = time.Minute

// tempInfix sits between the dot-prefixed base name and the random digits
// of a temporary file: ".<base>.tmp-<digits>".
const tempInfix = ".tmp-"

// afterWrite, when set by a test, runs once the data is written and synced,
// before the temporary file gets a name in the folder (if it has none yet).
var afterWrite func(dir string)

// WriteFile writes data to a temporary file in path's folder and renames it
// over path. The new file gets mode perm (not reduced by the umask). When
// sync is true the data is flushed to disk before the rename, so that a
// crash cannot leave an empty file behind; callers writing throw-away data
// on a hot path may skip that cost. On any error path is left untouched and
// the temporary file is removed.
//
// Where the system allows (Linux, O_TMPFILE), the data is written to a file
// with no name, which is linked into the folder just before the rename, so a
// kill during the write leaves nothing behind. Elsewhere, or if that fails,
// the temporary file is ".<name>.tmp-<digits>" from the start. Either way a
// successful write then removes the temporaries of the same file that an
// earlier, interrupted write left (older than StaleAge).
func WriteFile(path string, data []byte, perm os.FileMode, sync bool) error {
	if err := WriteNew(path, data, perm, sync); err != nil {
		return err
	}
	CleanStale(path, time.Now())
	return nil
}

// WriteNew is WriteFile for a name that was never written before (a spool
// file): no earlier write of it can have left a temporary, so it lists no
// folder. The spool's uploader cleans its folder with CleanStaleDir.
func WriteNew(path string, data []byte, perm os.FileMode, sync bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, named, err := create(dir, base)
	if err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", base, err)
	}
	tmp := named
	defer func() {
		if err != nil {
			f.Close()
			if tmp != "" {
				os.Remove(tmp)
			}
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
	if afterWrite != nil {
		afterWrite(dir)
	}
	if tmp == "" {
		if tmp, err = linkTemp(f, dir, base); err != nil {
			tmp = ""
			return fmt.Errorf("atomicfile: name temporary file for %s: %w", base, err)
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

// create opens the temporary file: unnamed where possible (named == ""),
// else ".<base>.tmp-<digits>".
func create(dir, base string) (f *os.File, named string, err error) {
	if f, err := createUnnamed(dir); err == nil {
		return f, "", nil
	}
	f, err = os.CreateTemp(dir, "."+base+tempInfix+"*")
	if err != nil {
		return nil, "", err
	}
	return f, f.Name(), nil
}

// linkTemp gives the unnamed file f a fresh temporary name in dir.
func linkTemp(f *os.File, dir, base string) (string, error) {
	for range 10 {
		name := filepath.Join(dir, "."+base+tempInfix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		err := linkUnnamed(f, name)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return name, err
	}
	return "", os.ErrExist
}

// TempBase reports whether name (a file name, no folder) is a temporary
// file of WriteFile, and for which file: ".<base>.tmp-<digits>". Names that
// merely look similar (other suffixes, no leading dot) are not.
func TempBase(name string) (base string, ok bool) {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, tempInfix)
	if i <= 0 {
		return "", false
	}
	digits := rest[i+len(tempInfix):]
	if digits == "" || len(digits) > 20 {
		return "", false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return rest[:i], true
}

// CleanStale removes the temporary files of path (see TempBase) that an
// interrupted WriteFile left: regular files only, last modified more than
// StaleAge before now. Other files are never touched. It returns how many
// it removed; errors are ignored, as the next write tries again.
func CleanStale(path string, now time.Time) int {
	dir, base := filepath.Split(path)
	return clean(dir, now, func(b string) bool { return b == base })
}

// CleanStaleDir removes every stale temporary file of WriteFile in dir,
// whatever file it was for. Use it only in folders the library owns (the
// spool), never in a user's folder.
func CleanStaleDir(dir string, now time.Time) int {
	return clean(dir, now, func(string) bool { return true })
}

func clean(dir string, now time.Time, match func(base string) bool) int {
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		base, ok := TempBase(e.Name())
		if !ok || !match(base) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) <= StaleAge {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n
}
