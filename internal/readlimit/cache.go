package readlimit

import (
	"errors"
	"io/fs"
	"os"
	"sync"
)

// MaxSmallFile is the bound for the project and consent files: far above
// what such a file holds, and small enough that reading it costs nothing.
const MaxSmallFile = 64 << 10

// Cache reads each small file (File with MaxSmallFile) at most once while
// it stays the same: a later read of a path whose Stat (the same file, size
// and modification time) has not changed returns what the first read did,
// for one Stat instead of an open and a read. A command reads the consent
// files when it starts and again when it ends, to honour a change made
// meanwhile; they nearly never change, and every write of ours replaces
// the file, which changes all three. The zero value is ready to use.
type Cache struct {
	mu    sync.Mutex
	files map[string]cachedFile
}

type cachedFile struct {
	fi   fs.FileInfo // nil: the file did not exist
	data []byte
	err  error
}

// File returns the contents of path as File(path, MaxSmallFile) would.
func (c *Cache) File(path string) ([]byte, error) {
	// Stat before the read: a change after it shows at the next call.
	fi, statErr := os.Stat(path)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return File(path, MaxSmallFile)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.files[path]; ok && same(old.fi, fi) {
		return old.data, old.err
	}
	data, err := File(path, MaxSmallFile)
	if c.files == nil {
		c.files = make(map[string]cachedFile)
	}
	c.files[path] = cachedFile{fi: fi, data: data, err: err}
	return data, err
}

func same(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
