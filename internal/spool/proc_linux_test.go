package spool

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// setSubreaper makes this test process adopt orphaned descendants, so an
// uploader whose parent (the fake CLI) has exited can be reaped and its
// end observed with wait4, even when PID 1 does not reap.
func setSubreaper() {
	const prSetChildSubreaper = 36
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// processGone reports whether pid has exited (reaping it if it is ours).
func processGone(pid int) bool {
	var ws syscall.WaitStatus
	wpid, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	if wpid == pid {
		return true
	}
	if err != syscall.ECHILD {
		return false // our child, still running
	}
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return true
	}
	// A zombie nobody reaps has exited too.
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] == 'Z'
	}
	return false
}

// killProcess kills an uploader this test started that overran its bound.
func killProcess(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
