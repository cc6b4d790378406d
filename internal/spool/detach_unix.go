//go:build unix

package spool

import "syscall"

// detached puts the child in its own session: no controlling terminal, no
// signals from the shell's job control, not waited for by the shell.
func detached() (*syscall.SysProcAttr, error) {
	return &syscall.SysProcAttr{Setsid: true}, nil
}

// oNoFollow makes an open fail on a symbolic link where the platform can.
const oNoFollow = syscall.O_NOFOLLOW
