//go:build !unix && !windows

package spool

import (
	"errors"
	"os/exec"
)

func detach(*exec.Cmd) error {
	return errors.New("exporter: no detached uploader on this platform")
}

// oNoFollow makes an open fail on a symbolic link where the platform can.
const oNoFollow = 0
