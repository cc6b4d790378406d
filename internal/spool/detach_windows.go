//go:build windows

package spool

import "syscall"

// detached starts the child without a console, in its own process group,
// so that closing the terminal or Ctrl-C in it does not reach the child.
func detached() (*syscall.SysProcAttr, error) {
	const detachedProcess = 0x00000008
	return &syscall.SysProcAttr{
		CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | detachedProcess,
		HideWindow:    true,
	}, nil
}

// oNoFollow makes an open fail on a symbolic link where the platform can.
const oNoFollow = 0
