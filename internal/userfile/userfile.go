package userfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/pelletier/go-toml/v2"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/tomledit"
)

// Table is the TOML table holding the telemetry keys.
const Table = "telemetry"

const (
	fileName = "telemetry.toml"
	dirPerm  = 0o700
	filePerm = 0o600
	// lockTimeout bounds how long a writer waits for another process; the
	// critical section is a few milliseconds, so reaching it means something
	// is stuck and the caller should give up rather than hang the host tool.
	lockTimeout    = 5 * time.Second
	lockRetryDelay = 5 * time.Millisecond
)

// ErrCorrupt is wrapped by the errors of Load and Parse when the file is not
// TOML or its telemetry entry is not a table.
var ErrCorrupt = errors.New("userfile: corrupt telemetry.toml")

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

// Update runs one locked read-modify-write of the file at path: it takes an
// exclusive lock (path + ".lock"), reads the [telemetry] table and passes a
// copy of it to fn; if fn returns write == true, [telemetry] key = value is
// stored. Because the read and the write happen under the lock, "read the id;
// create it if missing" done in fn yields one id across any number of
// concurrent processes.
//
// The folder is created 0700 and the file 0600 when needed. The file is
// edited surgically (other keys, tables and comments untouched) and replaced
// atomically (temporary file, sync, rename). A corrupt file is passed to fn
// as an empty table; if fn writes, the corrupt file is first copied to
// telemetry.toml.corrupt-<timestamp> beside it and then replaced by a fresh
// one. Whether or not fn writes, the folder and the lock file are created:
// call Update only when writing is allowed.
func Update(path string, fn func(values map[string]any) (key string, value any, write bool)) error {
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return fmt.Errorf("userfile: creating folder: %w", err)
	}
	lock := flock.New(path+".lock", flock.SetPermissions(filePerm))
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	locked, err := lock.TryLockContext(ctx, lockRetryDelay)
	if err != nil || !locked {
		return fmt.Errorf("userfile: locking %s: %w", path, errors.Join(err, ctx.Err()))
	}
	defer lock.Unlock()

	data, err := os.ReadFile(path)
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
	if err := atomicfile.WriteFile(path, out, filePerm, true); err != nil {
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
