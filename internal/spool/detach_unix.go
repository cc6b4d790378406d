//go:build unix

package spool

import (
	"os/exec"
	"syscall"
)

// detach puts the child in its own session: no controlling terminal, no
// signals from the shell's job control, not waited for by the shell.
func detach(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return nil
}

// oNoFollow makes an open fail on a symbolic link where the platform can.
const oNoFollow = syscall.O_NOFOLLOW
