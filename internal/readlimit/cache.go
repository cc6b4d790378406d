package readlimit

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"
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
// the file, which changes all three. As git does with its index, a file
// modified less than racyWindow before it was read is read again every
// time: an edit within the same tick of a coarse clock (FAT, SMB, older
// kernels) would keep its size and time. The zero value is ready to use.
type Cache struct {
	mu    sync.Mutex
	files map[string]cachedFile
}

type cachedFile struct {
	fi     fs.FileInfo // nil: the file did not exist
	readAt time.Time
	data   []byte
	err    error
}

// racyWindow is more than the coarsest file time (FAT's 2 s).
const racyWindow = 3 * time.Second

// File returns the contents of path as File(path, MaxSmallFile) would.
func (c *Cache) File(path string) ([]byte, error) {
	// Stat before the read: a change after it shows at the next call.
	fi, statErr := os.Stat(path)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return File(path, MaxSmallFile)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.files[path]; ok && old.unchanged(fi) {
		return old.data, old.err
	}
	readAt := time.Now()
	data, err := File(path, MaxSmallFile)
	if c.files == nil {
		c.files = make(map[string]cachedFile)
	}
	c.files[path] = cachedFile{fi: fi, readAt: readAt, data: data, err: err}
	return data, err
}

// unchanged reports whether the file whose Stat is now is the one read.
func (c cachedFile) unchanged(now fs.FileInfo) bool {
	if c.fi == nil || now == nil {
		return c.fi == nil && now == nil
	}
	// On Windows a FileInfo from os.Stat finds its file id by path when
	// compared, so SameFile would compare whatever file is there now.
	if runtime.GOOS != "windows" && !os.SameFile(c.fi, now) {
		return false
	}
	return c.fi.Size() == now.Size() && c.fi.ModTime().Equal(now.ModTime()) &&
		c.readAt.Sub(now.ModTime()) >= racyWindow
}
