package attribution

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"pgregory.net/rapid"
)

// TestPropertyFactoredMatchesRemovals holds the removal effects of orders 2 to 4 from one
// factorisation per component to the chain solved again with each channel removed (the
// reference, by both its LU and Gauss-Seidel methods), on random path sets over few
// channels with repeated channels and returns, so that loops make large strongly
// connected components and the removed states span several components.
func TestPropertyFactoredMatchesRemovals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		order := rapid.IntRange(2, MaxMarkovOrder).Draw(t, "order")
		nch := rapid.IntRange(1, 8).Draw(t, "channels")
		j, err := intern(drawPaths(t, nch))
		if err != nil {
			t.Fatal(err)
		}
		m := Markov{Order: order}
		got, err := m.removalEffectsFactored(j, true)
		if err != nil {
			t.Fatal(err)
		}
		chosen, err := m.removalEffects(j) // as the heuristics choose, per channel
		if err != nil {
			t.Fatal(err)
		}
		for _, dense := range []int{denseSolveLimit, 1} {
			want, err := m.removalEffectsDense(j, dense)
			if err != nil {
				t.Fatal(err)
			}
			for c := range want {
				for _, g := range []Credit{got[c], chosen[c]} {
					if math.Abs(g.Conversions-want[c].Conversions) > 1e-9 || math.Abs(g.Value-want[c].Value) > 1e-9 {
						t.Fatalf("order %d %s (dense %d): factored %+v, as chosen %+v, one solve per removal %+v", order, j.names[c], dense, got[c], chosen[c], want[c])
					}
				}
			}
		}
	})
}

// loopPaths returns journeys around a ring of n channels: each starts anywhere and
// moves on one or two channels, stays, or steps back, so that at order 2 every state
// lies on loops (one strongly connected component of about 4n states).
func loopPaths(n, journeys int) []Path {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	paths := make([]Path, journeys)
	for i := range paths {
		c := rng.IntN(n)
		t := make([]string, 2+rng.IntN(10))
		for x := range t {
			t[x] = fmt.Sprint("ch", c)
			switch r := rng.IntN(10); {
			case r < 5:
				c = (c + 1) % n
			case r < 8:
				c = (c + 2) % n
			case r < 9:
				c = (c + n - 1) % n
			}
		}
		paths[i] = Path{Touches: t, Nulls: float64(1 + rng.IntN(3))}
		if rng.IntN(4) == 0 {
			paths[i].Conversions = 1
			paths[i].Value = float64(10 + rng.IntN(90))
		}
	}
	return paths
}

// TestFactoredLoops: on the benchmark's loop-heavy input the factored path (as the
// heuristics choose it) gives the removal effects of one solve per removed channel.
func TestFactoredLoops(t *testing.T) {
	j, err := intern(loopPaths(40, 800))
	if err != nil {
		t.Fatal(err)
	}
	m := Markov{Order: 2}
	got, err := m.removalEffects(j)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.removalEffectsDense(j, denseSolveLimit)
	if err != nil {
		t.Fatal(err)
	}
	for c := range want {
		if math.Abs(got[c].Conversions-want[c].Conversions) > 1e-9 || math.Abs(got[c].Value-want[c].Value) > 1e-9 {
			t.Errorf("%s: factored %+v, one solve per removal %+v", j.names[c], got[c], want[c])
		}
	}
}

// BenchmarkMarkovOrder2Loops compares order-2 removal effects from one factorisation per
// component with one solve of the chain per removed channel (the old path), on journeys
// looping round a ring of n channels.
func BenchmarkMarkovOrder2Loops(b *testing.B) {
	ns := []int{50, 100, 200}
	for _, n := range ns[:benchsize.Of(len(ns), 1)] { // the smallest alone under -short
		j, err := intern(loopPaths(n, 20*n))
		if err != nil {
			b.Fatal(err)
		}
		m := Markov{Order: 2}
		b.Run(fmt.Sprintf("n=%d/factored", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.removalEffects(j); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/per-removal", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.removalEffectsDense(j, denseSolveLimit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
