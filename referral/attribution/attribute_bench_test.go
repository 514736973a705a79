package attribution

import (
	"fmt"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"gonum.org/v1/gonum/mat"
)

// benchPaths returns n distinct journeys over 20 channels: journey i is the base-20
// digits of i, padded to a length of 1 to 7, mapped to channel names per position. One
// journey in ten converts.
func benchPaths(n int) []Path {
	names := make([]string, 20)
	for c := range names {
		names[c] = fmt.Sprintf("channel-%02d", c)
	}
	paths := make([]Path, n)
	for i := range paths {
		var digits []int
		for x := i; x > 0; x /= 20 {
			digits = append(digits, x%20)
		}
		for len(digits) < 1+i%7 {
			digits = append(digits, 0)
		}
		t := make([]string, len(digits))
		for pos, d := range digits {
			t[pos] = names[(d*7+pos*3)%20]
		}
		p := Path{Touches: t, Nulls: float64(1 + i%5)}
		if i%10 == 0 {
			p.Conversions = 1
			p.Value = float64(10 + i%90)
		}
		paths[i] = p
	}
	return paths
}

var (
	benchOnce    sync.Once
	benchMillion []Path
)

// millionPaths is a million journeys, 10,000 under -short (CI's benchmark smoke, which
// only checks that the benchmarks run); the other benchmarks shrink as much there.
func millionPaths() []Path {
	benchOnce.Do(func() { benchMillion = benchPaths(benchsize.Of(1_000_000, 10_000)) })
	return benchMillion
}

// BenchmarkMarkovMillionPaths is the target: one million distinct journeys
// over 20 channels, first order, under 2 s.
func BenchmarkMarkovMillionPaths(b *testing.B) {
	paths := millionPaths()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Markov{Order: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarkovMillionPathsNaive is the baseline: transition counts in maps keyed by
// channel names, and each removal solved by inverting the whole I - Q.
func BenchmarkMarkovMillionPathsNaive(b *testing.B) {
	paths := millionPaths()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		naiveMarkov(paths)
	}
}

func BenchmarkMarkovOrder3(b *testing.B) {
	paths := benchPaths(benchsize.Of(100_000, 2_000))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Markov{Order: 3}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShapleyMillionPaths(b *testing.B) {
	paths := millionPaths()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Shapley{}); err != nil {
			b.Fatal(err)
		}
	}
}

func naiveMarkov(paths []Path) map[string]float64 {
	type edge struct{ from, to string }
	w := map[edge]float64{}
	var chans []string
	seen := map[string]bool{}
	for _, p := range paths {
		wt := p.Conversions + p.Nulls
		prev := "(start)"
		for _, c := range p.Touches {
			if !seen[c] {
				seen[c] = true
				chans = append(chans, c)
			}
			if c != prev {
				w[edge{prev, c}] += wt
			}
			prev = c
		}
		w[edge{prev, "(conversion)"}] += p.Conversions
		w[edge{prev, "(null)"}] += p.Nulls
	}
	states := append([]string{"(start)"}, chans...)
	pconv := func(skip string) float64 {
		var keep []string
		for _, s := range states {
			if s != skip {
				keep = append(keep, s)
			}
		}
		n := len(keep)
		a := mat.NewDense(n, n, nil)
		r := mat.NewVecDense(n, nil)
		for i, s := range keep {
			tot := w[edge{s, "(conversion)"}] + w[edge{s, "(null)"}]
			for _, t := range states {
				tot += w[edge{s, t}]
			}
			a.Set(i, i, 1)
			if tot == 0 {
				continue
			}
			for k, t := range keep {
				a.Set(i, k, a.At(i, k)-w[edge{s, t}]/tot)
			}
			r.SetVec(i, w[edge{s, "(conversion)"}]/tot)
		}
		var inv mat.Dense
		if err := inv.Inverse(a); err != nil {
			panic(err)
		}
		var u mat.VecDense
		u.MulVec(&inv, r)
		return u.AtVec(0)
	}
	base := pconv("")
	out := map[string]float64{}
	for _, c := range chans {
		out[c] = 1 - pconv(c)/base
	}
	return out
}

// TestNaiveMarkovAgrees keeps the baseline honest: it must compute the same removal
// effects as the solver it is compared with.
func TestNaiveMarkovAgrees(t *testing.T) {
	paths := benchPaths(3000)
	want := naiveMarkov(paths)
	got, err := Markov{}.RemovalEffects(paths)
	if err != nil {
		t.Fatal(err)
	}
	for c, w := range want {
		if d := got[c].Conversions - w; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: removal effect %v, naive %v", c, got[c].Conversions, w)
		}
	}
}

// benchPathsN returns n journeys over the first k channels only (for the enumeration
// baseline, whose cost is exponential in channels).
func benchPathsN(n, k int) []Path {
	paths := benchPaths(n)
	for i := range paths {
		t := make([]string, len(paths[i].Touches))
		for x, c := range paths[i].Touches {
			var id int
			fmt.Sscanf(c, "channel-%d", &id)
			t[x] = fmt.Sprintf("channel-%02d", id%k)
		}
		paths[i].Touches = t
	}
	return paths
}

// BenchmarkShapley10Channels and its baseline: the closed form against Shapley's
// formula over all 2^10 coalitions, on 10,000 journeys.
func BenchmarkShapley10Channels(b *testing.B) {
	paths := benchPathsN(benchsize.Of(10_000, 1_000), 10)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Shapley{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShapley10ChannelsEnumeration(b *testing.B) {
	paths := benchPathsN(benchsize.Of(10_000, 1_000), 10)
	b.ResetTimer()
	for b.Loop() {
		shapleyByEnumeration(paths, false)
	}
}

// BenchmarkLinearMillionPaths and its baseline, which sums into a map by channel name
// without interning.
func BenchmarkLinearMillionPaths(b *testing.B) {
	paths := millionPaths()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Linear{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinearMillionPathsNaive(b *testing.B) {
	paths := millionPaths()
	b.ResetTimer()
	for b.Loop() {
		out := map[string]Credit{}
		for _, p := range paths {
			for _, c := range p.Touches {
				cr := out[c]
				cr.Conversions += p.Conversions / float64(len(p.Touches))
				cr.Value += p.Value / float64(len(p.Touches))
				out[c] = cr
			}
		}
	}
}

// BenchmarkShapleyRateExact15 enumerates the 2^15 coalitions of the rate game for
// 100,000 journeys over 15 channels.
func BenchmarkShapleyRateExact15(b *testing.B) {
	paths := benchPathsN(benchsize.Of(100_000, 2_000), 15)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Shapley{Game: SubsetRate}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShapleyRateSampled20 estimates the rate game over 20 channels for 100,000
// journeys from 1,000 orderings.
func BenchmarkShapleyRateSampled20(b *testing.B) {
	paths := benchPathsN(benchsize.Of(100_000, 2_000), 20)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attribute(paths, Shapley{Game: SubsetRate, Samples: 1000}); err != nil {
			b.Fatal(err)
		}
	}
}
