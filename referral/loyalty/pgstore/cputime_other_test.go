//go:build !unix

package pgstore

import "time"

// cpuTime is not measured where getrusage is missing; cpu-ns figures then read 0.
func cpuTime() time.Duration { return 0 }
