//go:build !unix && !windows

package spool

import (
	"errors"
	"syscall"
)

func detached() (*syscall.SysProcAttr, error) {
	return nil, errors.New("spool: no detached uploader on this platform")
}

// oNoFollow makes an open fail on a symbolic link where the platform can.
const oNoFollow = 0
