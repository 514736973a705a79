//go:build unix

package segment

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used. The machine the figures come
// from is shared, so wall time per operation swings with other people's load; CPU time
// per operation (reported as cpu-ns/op) is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
