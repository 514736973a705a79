// Package benchsize sizes the inputs of the benchmarks. A measurement wants the full
// size (a million customers, ten million events); CI's benchmark smoke (.ci/run) runs
// every benchmark once with go test -short only to see that it still runs, since a
// benchmark's setup can break with nothing else noticing, and there a benchmark that
// builds millions of rows would take minutes. Under -short the benchmarks take the
// small size; their names keep the full one (BenchmarkFitBGNBD1M), so that figures
// from a -short run are not to be read as measurements.
package benchsize

import "testing"

// Of returns full, or short when the test binary runs with -short. It must be called
// from a running test or benchmark (testing.Short panics before the flags are parsed),
// not when a package's variables are initialised.
func Of(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}
