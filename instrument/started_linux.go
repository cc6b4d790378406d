//go:build linux && !notelemetry

package instrument

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc's clock ticks on every Linux that Go runs on.
const userHZ = 100

// processStart returns when the kernel started this process, for the
// notice rule: a process forked before the notice was recorded sends
// nothing, however late it reached Start (200 processes on 2 cores reach
// it tens of milliseconds apart). The kernel counts in 10 ms ticks; the
// start is rounded up, so that a command run right after the first one is
// not taken for its contemporary. Where /proc cannot tell, it is
// fallback, when Start was called. The process's age is measured against
// the clock read here, so the answer does not depend on when it is asked.
func processStart(fallback time.Time) time.Time {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return fallback
	}
	// The fields after the command name, which may hold spaces, start
	// with the state (field 3); starttime is field 22.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return fallback
	}
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 20 {
		return fallback
	}
	ticks, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return fallback
	}
	var ts unix.Timespec
	now := time.Now()
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts) != nil {
		return fallback
	}
	started := time.Duration(ticks+1) * (time.Second / userHZ)
	age := time.Duration(ts.Nano()) - started
	if age < 0 {
		return fallback
	}
	return now.Add(-age)
}
