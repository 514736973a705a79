//go:build !unix

package segment

import "time"

// cpuTime is not measured where getrusage is missing; cpu-ns/op then reads 0.
func cpuTime() time.Duration { return 0 }
