package scoring

import (
	"math/rand/v2"
	"testing"
)

// TestBaseCountsWithinBase: the number of customers still active, or expected to make
// exactly n purchases, is at most the number of customers, and so is its interval. The
// delta method made their intervals on the log scale of a positive figure, whose upper
// end has no bound: a small base of customers nearly all alive got "customers active
// now 38 [30, 47]" of 40 (examples/clv).
func TestBaseCountsWithinBase(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		cs := simulateBase(rng, betaGeoFamily(0), []float64{0.8, 6, 0.2, 6}, 40)
		m, err := FitBGNBD(cs, &FitOptions{Workers: 1})
		if err != nil {
			continue
		}
		iv, err := NewIntervals(m, nil, cs, nil)
		if err != nil {
			continue
		}
		n := float64(len(cs))
		alive, err := iv.BaseAlive(cs)
		if err != nil {
			t.Fatal(err)
		}
		none, err := iv.BasePurchaseCount(52, 0, cs)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			v    Interval
		}{{"active", alive}, {"no purchase in 52", none}} {
			if c.v.Hi > n || c.v.Lo < 0 || c.v.Lo > c.v.Estimate || c.v.Hi < c.v.Estimate {
				t.Errorf("seed %d: customers %s: %.2f [%.2f, %.2f] of %d", seed, c.name, c.v.Estimate, c.v.Lo, c.v.Hi, len(cs))
			}
		}
	}
}
