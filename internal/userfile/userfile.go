package userfile

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/privdir"
	"github.com/anontel/anontel/internal/tomledit"
)

// writeFile replaces a file atomically; tests see whether it flushes.
var writeFile = atomicfile.WriteFile

// Table is the TOML table holding the telemetry keys.
const Table = "telemetry"

const (
	fileName = "telemetry.toml"
	filePerm = 0o600
	// lockTimeout bounds how long a writer waits for another process; the
	// critical section is a few milliseconds, so reaching it means something
	// is stuck and the caller should give up rather than hang the host tool.
	lockTimeout = 5 * time.Second
)

// ErrCorrupt is wrapped by the errors of Load and Parse when the file is not
// TOML or its telemetry entry is not a table.
var ErrCorrupt = errors.New("userfile: corrupt telemetry.toml")

// ErrUnsafe is wrapped by the errors of Check and of every writer when the
// folder or the file is not safely ours: the folder is a symbolic link,
// not a folder or another user's (it then wraps privdir.ErrUnsafe too), or
// telemetry.toml is a link whose target is not a regular file of ours that
// we may write. Nothing is written then; the caller should record nothing
// this run and show the error's text as the reason.
var ErrUnsafe = errors.New("userfile: refused")

// Path returns os.UserConfigDir()/<tool>/telemetry.toml, so XDG_CONFIG_HOME
// (or the platform's equivalent) is honoured. It fails when the user has no
// home folder; nothing is created.
func Path(tool string) (string, error) {
	if tool == "" || tool != filepath.Base(tool) || tool == "." || tool == ".." {
		return "", fmt.Errorf("userfile: bad tool name %q", tool)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("userfile: locating user config folder: %w", err)
	}
	return filepath.Join(dir, tool, fileName), nil
}

// Load returns the keys of the [telemetry] table of the file at path. A
// missing file gives an empty map and a nil error; a file that is not TOML
// gives an error wrapping ErrCorrupt. Load takes no lock: files are replaced
// atomically, so it always sees a whole version.
func Load(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("userfile: reading %s: %w", path, err)
	}
	values, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("userfile: %s: %w", path, err)
	}
	return values, nil
}

// Parse returns the keys of the [telemetry] table in data (empty when the
// table is absent). It fails with an error wrapping ErrCorrupt when data is
// not TOML or telemetry is not a table.
func Parse(data []byte) (map[string]any, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	v, ok := doc[Table]
	if !ok {
		return map[string]any{}, nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is a %T, not a table", ErrCorrupt, Table, v)
	}
	return t, nil
}

// Set sets [telemetry] key = value (a string or a bool) in the file at path,
// under the same lock and with the same care as Update. It does not rewrite a
// file that already holds that value.
func Set(path, key string, value any) error {
	return Update(path, func(values map[string]any) (string, any, bool) {
		old, ok := values[key]
		return key, value, !ok || old != value
	})
}

// SetIfAbsent sets [telemetry] key = value unless the key is already there,
// in one locked read-modify-write (see Update), and reports whether this call
// stored it. Of any number of concurrent callers, threads or processes, on
// one file exactly one gets created == true: use it to decide "first run"
// (only the creator shows the notice). A corrupt file counts as holding no
// key. created is false whenever err is not nil.
func SetIfAbsent(path, key string, value any) (created bool, err error) {
	// It records the notice: a new file holding only that need not be
	// flushed (milliseconds on real disks on a first run), since a crash
	// then loses nothing that was there, only the notice, shown again.
	err = update(path, false, func(values map[string]any) (string, any, bool) {
		_, present := values[key]
		created = !present
		return key, value, created
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// Check reports, changing nothing, whether writes to the file at path would
// be refused (an error wrapping ErrUnsafe, with the reason), so that
// `telemetry status` can say why. A missing folder or file is fine.
func Check(path string) error {
	if err := privdir.Check(filepath.Dir(path)); err != nil {
		return fmt.Errorf("%w: %w", ErrUnsafe, err)
	}
	_, _, err := writeTarget(path)
	return err
}

// writeTarget returns the file that a write of path replaces, and its mode:
// path itself (0600), or, when path is a symbolic link (a dotfiles manager
// keeps the file elsewhere), the regular file it leads to, with its own
// mode, provided it is ours and writable. Anything else is refused with
// ErrUnsafe and left alone: replacing the link by a file would silently
// detach the user's dotfiles, and writing through it to someone else's
// file must not happen.
func writeTarget(path string) (string, os.FileMode, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, filePerm, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("userfile: %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return path, filePerm, nil
	}
	refuse := func(why string, args ...any) (string, os.FileMode, error) {
		return "", 0, fmt.Errorf("%w: %s is a symbolic link %s; it is left as it is", ErrUnsafe, path, fmt.Sprintf(why, args...))
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return refuse("that leads nowhere")
	}
	tfi, err := os.Lstat(target)
	switch {
	case err != nil:
		return refuse("to %s, which cannot be read", target)
	case !tfi.Mode().IsRegular():
		return refuse("to %s, which is not a regular file", target)
	case !privdir.Owned(tfi):
		return refuse("to %s, which belongs to another user", target)
	case tfi.Mode().Perm()&0o200 == 0:
		return refuse("to %s, which is read-only", target)
	}
	return target, tfi.Mode().Perm(), nil
}

// Update runs one locked read-modify-write of the file at path: it takes an
// exclusive lock (path + ".lock"), reads the [telemetry] table and passes a
// copy of it to fn; if fn returns write == true, [telemetry] key = value is
// stored. Because the read and the write happen under the lock, "read the id;
// create it if missing" done in fn yields one id across any number of
// concurrent processes.
//
// The folder is made private first (privdir.Ensure: created 0700, a looser
// folder of ours tightened, a linked or foreign folder refused with
// ErrUnsafe) and the file is created 0600. A telemetry.toml that is a
// symbolic link is written through when its target is a regular, writable
// file of ours (the target keeps its mode), and refused (ErrUnsafe)
// otherwise. The lock file is opened without following links. The file is
// edited surgically (other keys, tables and comments untouched) and replaced
// atomically (temporary file, sync, rename). A corrupt file is passed to fn
// as an empty table; if fn writes, the corrupt file is first copied to
// telemetry.toml.corrupt-<timestamp> beside it and then replaced by a fresh
// one. Whether or not fn writes, the folder and the lock file are created:
// call Update only when writing is allowed.
func Update(path string, fn func(values map[string]any) (key string, value any, write bool)) error {
	return update(path, true, fn)
}

// update is Update; syncNew says whether a file that did not exist, or
// was empty, is flushed to disk before it is renamed into place (content
// it replaces always is).
func update(path string, syncNew bool, fn func(values map[string]any) (key string, value any, write bool)) error {
	if err := privdir.Ensure(filepath.Dir(path)); err != nil {
		if errors.Is(err, privdir.ErrUnsafe) {
			return fmt.Errorf("%w: %w", ErrUnsafe, err)
		}
		return fmt.Errorf("userfile: creating folder: %w", err)
	}
	// The folder is ours (checked above): a planted lock file must not keep
	// a user from saying no.
	lock, err := lockfile.LockOwn(path+".lock", lockTimeout)
	if err != nil {
		return fmt.Errorf("userfile: locking %s: %w", path, err)
	}
	defer lock.Unlock()

	target, perm, err := writeTarget(path)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("userfile: reading %s: %w", path, err)
	}
	values, perr := Parse(data)
	corrupt := perr != nil
	if corrupt {
		values = map[string]any{}
	}
	key, value, write := fn(maps.Clone(values))
	if !write {
		return nil
	}

	var out []byte
	if !corrupt {
		out, err = tomledit.SetKey(data, Table, key, value)
		if err != nil {
			// Valid TOML that cannot be edited in place (for example an
			// inline telemetry table): keep a copy, then rewrite it.
			corrupt = true
		}
	}
	if corrupt {
		if _, err := Backup(path); err != nil {
			return err
		}
		out, err = tomledit.SetKey(nil, Table, key, value)
		if err != nil {
			return fmt.Errorf("userfile: setting %s: %w", key, err)
		}
	}
	if err := writeFile(target, out, perm, syncNew || len(data) > 0); err != nil {
		return fmt.Errorf("userfile: writing %s: %w", path, err)
	}
	return nil
}

// Backup copies the file at path to path + ".corrupt-<UTC timestamp>"
// (mode 0600, never overwriting) and returns the copy's path. Call it while
// holding the lock, that is from inside an Update callback.
func Backup(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("userfile: reading %s for backup: %w", path, err)
	}
	name := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return "", fmt.Errorf("userfile: creating backup: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("userfile: writing backup %s: %w", name, err)
	}
	return name, nil
}
