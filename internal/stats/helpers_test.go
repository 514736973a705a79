package stats

import (
	"math"
	"testing"
)

// TestZCrit holds the normal quantile against SciPy's norm.ppf(1 - (1-level)/2)
// (SciPy 1.10.1: 1.959963984540054, 1.6448536269514722, 2.5758293035489004).
func TestZCrit(t *testing.T) {
	for level, want := range map[float64]float64{0.95: 1.959963984540054, 0.90: 1.6448536269514722, 0.99: 2.5758293035489004} {
		if got := ZCrit(level); math.Abs(got-want) > 1e-12 {
			t.Errorf("ZCrit(%v) = %.16g, SciPy %.16g", level, got, want)
		}
	}
}

func TestClamp01(t *testing.T) {
	for in, want := range map[float64]float64{-1e-17: 0, 0: 0, 0.25: 0.25, 1: 1, 1 + 1e-15: 1, math.Inf(1): 1, math.Inf(-1): 0} {
		if got := Clamp01(in); got != want {
			t.Errorf("Clamp01(%v) = %v, want %v", in, got, want)
		}
	}
	if got := Clamp01(math.NaN()); got != 0 {
		t.Errorf("Clamp01(NaN) = %v, want 0", got)
	}
}
