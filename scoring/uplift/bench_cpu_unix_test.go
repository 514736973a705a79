//go:build unix

package uplift

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used: on a machine
// shared with other work a benchmark's wall time counts the time it waited for a
// core, its CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
