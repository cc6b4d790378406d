//go:build windows

package spool

import (
	"os/exec"
	"syscall"
)

// detach starts the child without a console, in its own process group,
// so that closing the terminal or Ctrl-C in it does not reach the child.
func detach(cmd *exec.Cmd) error {
	const detachedProcess = 0x00000008
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | detachedProcess,
		HideWindow:    true,
	}
	return nil
}

// oNoFollow makes an open fail on a symbolic link where the platform can.
const oNoFollow = 0
