package readlimit

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is wrapped when the file holds more than the limit.
var ErrTooLarge = errors.New("readlimit: file too large")

// ErrNotRegular is wrapped when the path is a folder, FIFO, device or
// socket.
var ErrNotRegular = errors.New("readlimit: not a regular file")

// File returns the content of the regular file at path (links followed)
// if it holds at most max bytes; otherwise an error wrapping ErrTooLarge,
// having read at most max+1 bytes. A missing file gives an error wrapping
// fs.ErrNotExist, as os.ReadFile does.
func File(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", path, fi.Size(), max, ErrTooLarge)
	}
	// The file may grow after Stat: never read more than max+1 bytes.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes: %w", path, max, ErrTooLarge)
	}
	return data, nil
}
