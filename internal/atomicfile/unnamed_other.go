//go:build !linux

package atomicfile

import (
	"errors"
	"os"
)

var errUnsupported = errors.New("atomicfile: unnamed files are not supported here")

func createUnnamed(string) (*os.File, error) { return nil, errUnsupported }

func linkUnnamed(*os.File, string) error { return errUnsupported }
