//go:build unix

package funnel

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system (page faults are
// system time). The machine the figures come from is shared, so wall time per event
// swings with other people's load; CPU time per event (cpu-ns/event) is the steadier
// figure, and CPU time over wall time shows how many cores a run kept busy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
