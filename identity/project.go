package identity

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/uuid"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/readlimit"
	"github.com/anontel/anontel/internal/tomledit"
)

// undefinedPackageName stands for the package name when the project file
// names none.
const undefinedPackageName = "undefined_package_name"

// ProjectFile describes where a tool keeps its project marker, its package
// name and the project id.
type ProjectFile struct {
	Name           string // "pyproject.toml"
	Table          string // marker table, e.g. "tool.pipectl": a folder is a project root if Name exists there and has this table; also holds the package name
	PackageNameKey string // "package_name" inside Table; missing -> undefinedPackageName
	IDTable        string // "tool.pipectl_telemetry"
	IDKey          string // "project_id"
}

// maxProjectFile bounds what is read of a project file (64 KiB, as for
// .telemetry). Every command reads it, even with consent off, and decoding
// TOML costs more than linear time in the number of keys (a 1 MB file with
// 20,000 keys took over a second), so a bigger file is left alone: it still
// marks a project root (so the project's .telemetry is honoured) but gives
// no id and is never edited. Real project files are a few KB.
const maxProjectFile = readlimit.MaxSmallFile

// errTooLarge is wrapped by the error of Project.ID when the
// project file holds more than maxProjectFile bytes.
var errTooLarge = errors.New("identity: project file too large")

// Project is a project root found by Find, with its project file as read
// and parsed there, once: ID reuses it instead of reading the file again.
type Project struct {
	Root string // the folder holding the project file

	file ProjectFile
	data []byte   // the file's bytes as read by Find; nil when too large
	scan *scanned // what Find read in data
}

// Find returns the project at the nearest ancestor of start (start
// included): the first folder where Name exists and is TOML with Table, or
// where Name holds more than maxProjectFile bytes (a project root whose file
// is left alone). Files without the table, unparseable or unreadable, are
// skipped. At most maxProjectFile+1 bytes of each file are read; Find
// never writes.
func (p ProjectFile) Find(start string) (*Project, bool) {
	dir, err := filepath.Abs(start)
	if err != nil || p.Name == "" {
		return nil, false
	}
	for {
		data, err := readlimit.File(filepath.Join(dir, p.Name), maxProjectFile)
		switch {
		case errors.Is(err, readlimit.ErrTooLarge):
			return &Project{Root: dir, file: p}, true
		case err == nil:
			if s, err := scan(data, p); err == nil && s.marker {
				return &Project{Root: dir, file: p, data: data, scan: &s}, true
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, false
		}
		dir = parent
	}
}

// root returns the folder of the project Find finds from start. Prefer
// Find when the project id will be wanted too: it reads the file once.
func (p ProjectFile) root(start string) (string, bool) {
	pr, ok := p.Find(start)
	if !ok {
		return "", false
	}
	return pr.Root, true
}

// ID returns the project's id as projectIDAt does, from the file as Find read
// it: with the id stored there, no file is read again. Only when the id must
// be added is the file read again, under its lock, and replaced if it is
// unchanged since. A project file larger than maxProjectFile gives an error
// wrapping errTooLarge, and is not touched.
func (pr *Project) ID() (string, error) {
	if pr == nil {
		return "", errors.New("identity: no project")
	}
	if pr.scan == nil {
		return "", fmt.Errorf("identity: %s: %w (more than %d bytes): no project id", pr.file.Name, errTooLarge, maxProjectFile)
	}
	return projectIDFrom(filepath.Join(pr.Root, pr.file.Name), pr.file, pr.data, pr.scan)
}

// projectIDAt returns sha512_hex(project_id + package_name), 128 lower-case hex
// digits, for the project at root. Only the hash leaves this function: the
// stored project_id is a random secret that salts the package name.
//
// When the file has no project id, a random one is stored in IDTable.IDKey
// surgically: the file afterwards is the file before plus the added lines
// (inside IDTable when that table exists, never a duplicate header),
// re-parsed before it replaces the original atomically with the same mode.
// Call it only with consent on. A stored id is read even when the file is
// read-only. An unparseable, read-only or unwritable file gives an error and
// is left untouched, as is a file larger than maxProjectFile (errTooLarge).
// projectIDAt reads the file; Project.ID reuses what Find read.
func projectIDAt(root string, p ProjectFile) (string, error) {
	return projectIDFrom(filepath.Join(root, p.Name), p, nil, nil)
}

// projectIDFrom computes the id from data and what was scanned in it when
// given (as Find read them), else from the file.
func projectIDFrom(path string, p ProjectFile, data []byte, sc *scanned) (string, error) {
	if p.Name == "" || p.IDTable == "" || p.IDKey == "" {
		return "", errors.New("identity: project file not configured")
	}
	// A concurrent first run may add an id between our read and our write;
	// then read again and use that id.
	for range 3 {
		hash, err := projectID(path, p, data, sc)
		if !errors.Is(err, errChanged) {
			return hash, err
		}
		data, sc = nil, nil
	}
	return "", errChanged
}

// lockTimeout bounds the wait for a concurrent writer of the project file.
const lockTimeout = 2 * time.Second

var errChanged = errors.New("identity: project file changed while adding the project id")

func projectID(path string, p ProjectFile, data []byte, sc *scanned) (string, error) {
	if sc == nil {
		var err error
		if data, err = readProjectFile(path, p); err != nil {
			return "", err
		}
		s, err := scan(data, p)
		if err != nil {
			return "", fmt.Errorf("identity: project file %s is not valid TOML: %w", p.Name, err)
		}
		sc = &s
	}

	pkg := undefinedPackageName
	if sc.pkg != "" {
		pkg = sc.pkg
	}

	var id string
	switch v := sc.id.(type) {
	case string:
		if v == "" {
			return "", fmt.Errorf("identity: %s.%s is empty", p.IDTable, p.IDKey)
		}
		id = v
	case nil:
		var err error
		id, err = storeProjectID(path, data, p)
		if err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("identity: %s.%s is a %v, not a string", p.IDTable, p.IDKey, v)
	}
	return hashProjectID(id, pkg), nil
}

// storeProjectID adds a new random id to the project file whose current
// content is data, and returns the id.
func storeProjectID(path string, data []byte, p ProjectFile) (string, error) {
	// A project file that is a link leads out of the project, maybe into
	// another repository: we follow no link we did not make, so it gets no
	// id (its stored id, if any, is still read).
	if li, err := os.Lstat(path); err == nil && li.Mode()&os.ModeSymlink != 0 {
		return "", fmt.Errorf("identity: %s is a symbolic link: no project id is stored through it", p.Name)
	}
	target := path
	fi, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("identity: project file: %w", err)
	}
	// The rename in atomicfile would succeed on a read-only file in a
	// writable folder; honour the file's own read-only intent instead.
	if fi.Mode().Perm()&0o222 == 0 {
		return "", fmt.Errorf("identity: project file %s is read-only", p.Name)
	}
	if f, err := os.OpenFile(target, os.O_WRONLY, 0); err != nil {
		return "", fmt.Errorf("identity: project file %s is not writable: %w", p.Name, err)
	} else {
		f.Close()
	}

	// Lock the file itself (no lock file is left in the project) so that
	// concurrent first runs store one id. The rename below swaps the inode,
	// so a waiter that then holds a lock on the old inode starts over.
	lock := flock.New(target, flock.SetFlag(os.O_RDONLY))
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	if ok, err := lock.TryLockContext(ctx, 5*time.Millisecond); err != nil || !ok {
		return "", fmt.Errorf("identity: locking project file: %w", errors.Join(err, ctx.Err()))
	}
	defer lock.Unlock()
	locked, err := lock.Stat()
	if err != nil {
		return "", fmt.Errorf("identity: project file: %w", err)
	}
	if now, err := os.Stat(target); err != nil || !os.SameFile(now, locked) {
		return "", errChanged
	}

	id := strings.ReplaceAll(uuid.NewString(), "-", "")
	out, err := tomledit.SetKey(data, p.IDTable, p.IDKey, id)
	if err != nil {
		return "", fmt.Errorf("identity: adding project id: %w", err)
	}
	// Another process may have changed the file since it was read (before
	// we held the lock); do not overwrite its change.
	if now, err := readProjectFile(target, p); err != nil || !bytes.Equal(now, data) {
		return "", errChanged
	}
	if err := atomicfile.WriteFile(target, out, fi.Mode().Perm(), true); err != nil {
		return "", fmt.Errorf("identity: writing project file: %w", err)
	}
	return id, nil
}

// readProjectFile reads at most maxProjectFile bytes of the project file.
func readProjectFile(path string, p ProjectFile) ([]byte, error) {
	data, err := readlimit.File(path, maxProjectFile)
	if errors.Is(err, readlimit.ErrTooLarge) {
		return nil, fmt.Errorf("identity: %s: %w (more than %d bytes): no project id", p.Name, errTooLarge, maxProjectFile)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: reading project file: %w", err)
	}
	return data, nil
}

// hashProjectID is what is sent: sha512_hex(project_id + package_name).
func hashProjectID(id, pkg string) string {
	sum := sha512.Sum512([]byte(id + pkg))
	return hex.EncodeToString(sum[:])
}
