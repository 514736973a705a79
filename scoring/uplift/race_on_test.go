//go:build race

package uplift

const raceEnabled = true

// scaled is n/4: the race detector slows the fits about tenfold, and the package's
// tests must finish on a loaded machine.
func scaled(n int) int { return n / 4 }
