package attribution

import (
	"fmt"
	"math"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"pgregory.net/rapid"
)

// drawPaths draws 1 to 40 paths of 1 to 12 touches over nch channels, repeated at
// will (so that loops make large strongly connected components), with conversions,
// nulls and values: the path sets the removal-effect properties hold their fast paths
// to the per-channel solve on.
func drawPaths(t *rapid.T, nch int) []Path {
	paths := make([]Path, rapid.IntRange(1, 40).Draw(t, "paths"))
	for i := range paths {
		k := rapid.IntRange(1, 12).Draw(t, "touches")
		paths[i].Touches = make([]string, k)
		for x := range k {
			paths[i].Touches[x] = fmt.Sprint("ch", rapid.IntRange(0, nch-1).Draw(t, "channel"))
		}
		paths[i].Conversions = float64(rapid.IntRange(0, 5).Draw(t, "conv"))
		paths[i].Nulls = float64(rapid.IntRange(0, 5).Draw(t, "nulls"))
		if paths[i].Conversions > 0 {
			paths[i].Value = float64(rapid.IntRange(0, 500).Draw(t, "value"))
		}
	}
	return paths
}

// TestPropertyFirstOrderMatchesRemovals holds the first-order removal effects from one
// factorisation to the chain solved again with each channel removed, on random path
// sets with repeated channels (so cycles and large strongly connected components), by
// both of that solve's methods (LU and Gauss-Seidel).
func TestPropertyFirstOrderMatchesRemovals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nch := rapid.IntRange(1, 30).Draw(t, "channels")
		j, err := intern(drawPaths(t, nch))
		if err != nil {
			t.Fatal(err)
		}
		got, err := removalEffectsFirstOrder(j)
		if err != nil {
			t.Fatal(err)
		}
		for _, dense := range []int{denseSolveLimit, 1} {
			want, err := Markov{}.removalEffectsDense(j, dense)
			if err != nil {
				t.Fatal(err)
			}
			for c := range want {
				if math.Abs(got[c].Conversions-want[c].Conversions) > 1e-9 || math.Abs(got[c].Value-want[c].Value) > 1e-9 {
					t.Fatalf("%s (dense %d): one factorisation %+v, one solve per removal %+v", j.names[c], dense, got[c], want[c])
				}
			}
		}
	})
}

// cyclePaths is one journey through n distinct channels and back to the first, which
// converts, and a null journey: one strongly connected component of n states.
func cyclePaths(n int) []Path {
	touches := make([]string, n+1)
	for i := range n {
		touches[i] = fmt.Sprint("ch", i)
	}
	touches[n] = touches[0]
	return []Path{{Touches: touches, Conversions: 1, Value: 10}, {Touches: []string{"ch0", "ch1"}, Nulls: 1}}
}

// TestFirstOrderLargeCycle: a cyclic journey through many channels gives the
// hand-computed removal effects. (Through 1,000 channels it took 9 s, solving the
// whole component again for each channel removed; one factorisation takes 0.55 s.
// BenchmarkMarkovCycle has the figures: no test asserts a timing, and 300
// channels keep this one quick under the race detector, which slows the inversion
// about 20-fold.)
func TestFirstOrderLargeCycle(t *testing.T) {
	re, err := Markov{}.RemovalEffects(cyclePaths(300))
	if err != nil {
		t.Fatal(err)
	}
	for c, r := range re {
		// From ch0 a journey converts (1/3) or moves on to ch1 (2/3), from which half
		// the weight goes round the loop back to ch0: h(ch0) = 1/3 + h(ch0)/3 = 1/2.
		// Without ch0 nothing converts; without any other channel only the first
		// visit to ch0 does, 1/3 of 1/2.
		want := 1 / 3.0
		if c == "ch0" {
			want = 1
		}
		if math.Abs(r.Conversions-want) > 1e-9 || math.Abs(r.Value-want) > 1e-9 {
			t.Errorf("%s: removal effect %+v, want %v", c, r, want)
		}
	}
}

func benchmarkCycle(b *testing.B, n int, re func(*journeys) ([]Credit, error)) {
	j, err := intern(cyclePaths(n))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := re(j); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarkovCycle compares first-order removal effects by one factorisation with
// one solve per removed channel, on a cyclic journey through n channels.
func BenchmarkMarkovCycle(b *testing.B) {
	ns := []int{100, 300}
	for _, n := range ns[:benchsize.Of(len(ns), 1)] { // the smallest alone under -short
		b.Run(fmt.Sprintf("n=%d/factorised", n), func(b *testing.B) { benchmarkCycle(b, n, removalEffectsFirstOrder) })
		b.Run(fmt.Sprintf("n=%d/per-removal", n), func(b *testing.B) {
			benchmarkCycle(b, n, func(j *journeys) ([]Credit, error) { return Markov{}.removalEffectsDense(j, denseSolveLimit) })
		})
	}
}
