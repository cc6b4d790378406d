//go:build !unix && !windows

package spool

import (
	"errors"
	"os/exec"
)

func detach(*exec.Cmd) error {
	return errors.New("exporter: no detached uploader on this platform")
}
