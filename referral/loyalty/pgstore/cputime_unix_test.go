//go:build unix

package pgstore

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used: on the shared machine wall time
// per operation swings with other people's load, CPU time is the steadier figure. Only this process: the server's CPU is not counted.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
