//go:build unix && !linux

package spool

import "syscall"

func setSubreaper() {}

func processGone(pid int) bool {
	var ws syscall.WaitStatus
	if wpid, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); wpid == pid {
		return true
	}
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// killProcess kills an uploader this test started that overran its bound.
func killProcess(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
