//go:build unix

package pipeline

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used: Prism in loopback
// mode runs its SDK workers in the test process, so this counts the runner and the
// workers, and not the time they waited for a core on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's largest resident set so far, in bytes (Linux reports
// kilobytes).
func peakRSS() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Maxrss) * 1024
}
