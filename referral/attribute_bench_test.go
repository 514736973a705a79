package referral

import (
	"fmt"
	"sync"
	"testing"

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

func millionPaths() []Path {
	benchOnce.Do(func() { benchMillion = benchPaths(1_000_000) })
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
	paths := benchPaths(100_000)
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
