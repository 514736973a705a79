package scoring

import (
	"math"
	"testing"
)

// TestQuantileSortedInf: bootstrap replicates may value a customer at +Inf (a
// Gamma-Gamma refit whose q is at most 1 has no mean spend), and a percentile between
// two of them was Inf - Inf, NaN: examples/clv printed a CLV interval "[12476.35,
// NaN]" once the delta method handed a fit near its boundary to the bootstrap.
func TestQuantileSortedInf(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		v    []float64
		p    float64
		want float64
	}{
		{[]float64{1, 2, inf, inf}, 0.95, inf},
		{[]float64{1, 2, inf, inf}, 0.5, inf},
		{[]float64{1, 2, 3, inf}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4}, 0.95, 3.85},
		{[]float64{2, 2, 2}, 0.3, 2},
	} {
		if got := quantileSorted(c.v, c.p); !(got == c.want || math.Abs(got-c.want) < 1e-12) {
			t.Errorf("quantileSorted(%v, %v) = %v, want %v", c.v, c.p, got, c.want)
		}
	}
}
