package attribution

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// exactRateCredits is Attribute's SubsetRate credits computed by brute force in exact
// rational arithmetic: Shapley's formula over every coalition, each value times the
// total over v(N). It returns the credits and v(N) of the conversions game and of the
// value game.
func exactRateCredits(paths []Path) (conv, value map[string]float64, rateC, rateV float64) {
	idx := channelIndex(paths)
	n := len(idx)
	rat := func(x float64) *big.Rat { return new(big.Rat).SetFloat64(x) }
	vc, vv := make([]*big.Rat, 1<<n), make([]*big.Rat, 1<<n)
	totC, totV := new(big.Rat), new(big.Rat)
	for _, p := range paths {
		totC.Add(totC, rat(p.Conversions))
		totV.Add(totV, rat(p.Value))
	}
	for s := range vc {
		c, t, v := new(big.Rat), new(big.Rat), new(big.Rat)
		for _, p := range paths {
			inside := true
			for _, ch := range p.Touches {
				inside = inside && s&(1<<idx[ch]) != 0
			}
			if inside {
				c.Add(c, rat(p.Conversions))
				t.Add(t, rat(p.Conversions+p.Nulls))
				v.Add(v, rat(p.Value))
			}
		}
		vc[s], vv[s] = new(big.Rat), new(big.Rat)
		if t.Sign() > 0 {
			vc[s].Quo(c, t)
			vv[s].Quo(v, t)
		}
	}
	fact := func(k int) *big.Rat { return new(big.Rat).SetInt(new(big.Int).MulRange(1, int64(max(k, 1)))) }
	all := 1<<n - 1
	conv, value = map[string]float64{}, map[string]float64{}
	for ch, j := range idx {
		phiC, phiV := new(big.Rat), new(big.Rat)
		for s := range vc {
			if s&(1<<j) != 0 {
				continue
			}
			k := popcount(s)
			w := new(big.Rat).Mul(fact(k), fact(n-k-1))
			w.Quo(w, fact(n))
			phiC.Add(phiC, new(big.Rat).Mul(w, new(big.Rat).Sub(vc[s|1<<j], vc[s])))
			phiV.Add(phiV, new(big.Rat).Mul(w, new(big.Rat).Sub(vv[s|1<<j], vv[s])))
		}
		if vc[all].Sign() != 0 {
			conv[ch], _ = new(big.Rat).Quo(new(big.Rat).Mul(phiC, totC), vc[all]).Float64()
		}
		if vv[all].Sign() != 0 {
			value[ch], _ = new(big.Rat).Quo(new(big.Rat).Mul(phiV, totV), vv[all]).Float64()
		}
	}
	rateC, _ = vc[all].Float64()
	rateV, _ = vv[all].Float64()
	return conv, value, rateC, rateV
}

// rateBound is the documented bound on the rounding error of the values' sum (Shapley's
// doc: 4·n·2^n·2^-52 times top), for top the highest rate (or value per journey) of a
// path missing a channel, or the overall rate if higher.
func rateBound(paths []Path, top float64) float64 {
	n := len(channelIndex(paths))
	return 4 * float64(n) * float64(int(1)<<n) * 0x1p-52 * top
}

// TestShapleyRateCredits holds Attribute's SubsetRate credits to brute-force Shapley in
// exact arithmetic on small path sets whose nulls range up to 1e11 a path. Where the overall
// rate is well above the rounding error of the values, the credits are the exact ones;
// where it is well below, the game is refused with ErrInvalid (it had returned the
// rounding error amplified: -9e15 and +1.8e16 conversions of 3); and it is never refused
// where the overall rate is clear of the bound.
func TestShapleyRateCredits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		chans := []string{"a", "b", "c", "d", "e"}
		paths := make([]Path, rapid.IntRange(1, 6).Draw(t, "paths"))
		for i := range paths {
			paths[i].Touches = rapid.SliceOfN(rapid.SampledFrom(chans), 1, 4).Draw(t, "touches")
			paths[i].Conversions = float64(rapid.IntRange(0, 5).Draw(t, "conv"))
			if rapid.Bool().Draw(t, "many nulls") {
				// Up to 1e11 a path, so that six stay within MaxCount in all.
				paths[i].Nulls = math.Pow(10, float64(rapid.IntRange(0, 11).Draw(t, "nulls exponent")))
			} else {
				paths[i].Nulls = float64(rapid.IntRange(0, 5).Draw(t, "nulls"))
			}
			if paths[i].Conversions > 0 {
				paths[i].Value = float64(rapid.IntRange(0, 500).Draw(t, "value"))
			}
		}
		paths[0].Conversions = max(paths[0].Conversions, 1)
		var topC, topV, totV float64 // the highest rates of a path missing a channel
		n := len(channelIndex(paths))
		for _, p := range paths {
			if tot := p.Conversions + p.Nulls; tot > 0 && len(channelIndex([]Path{p})) < n {
				topC, topV = max(topC, p.Conversions/tot), max(topV, p.Value/tot)
			}
			totV += p.Value
		}
		wantC, wantV, rateC, rateV := exactRateCredits(paths)
		boundC, boundV := rateBound(paths, max(topC, rateC)), rateBound(paths, max(topV, rateV))
		got, err := Attribute(paths, Shapley{Game: SubsetRate})
		lostC, lostV := rateC <= boundC/4, totV > 0 && rateV <= boundV/4
		clearC, clearV := rateC > 2*boundC, totV == 0 || rateV > 2*boundV
		switch {
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Fatalf("err = %v, want ErrInvalid", err)
		case err != nil && clearC && clearV:
			t.Fatalf("refused with overall rates %g and %g clear of their bounds %g and %g: %v", rateC, rateV, boundC, boundV, err)
		case err == nil && (lostC || lostV):
			t.Fatalf("credits %v for overall rates %g and %g lost in their rounding (bounds %g, %g); want ErrInvalid", got, rateC, rateV, boundC, boundV)
		case err != nil:
			return
		}
		// Accepted: the credits are the exact ones, to the relative error of the sum
		// of the values, which is at most the bound over the rate.
		for _, g := range []struct {
			what        string
			want        map[string]float64
			rate, bound float64
			credit      func(Credit) float64
		}{
			{"conversions", wantC, rateC, boundC, func(c Credit) float64 { return c.Conversions }},
			{"value", wantV, rateV, boundV, func(c Credit) float64 { return c.Value }},
		} {
			if g.rate < 1e6*g.bound {
				continue // near the bound the credits are accurate only to bound/rate
			}
			var scale float64
			for _, w := range g.want {
				scale += math.Abs(w)
			}
			for ch, w := range g.want {
				if c := g.credit(got[ch]); math.Abs(c-w) > 1e-6*scale {
					t.Fatalf("%s of %s: %v, brute force %v (overall rate %g)", g.what, ch, c, w, g.rate)
				}
			}
		}
	})
}

// TestShapleyRateCreditsOutweighTheTotal pins the documented example: credits far
// beyond the total, as the game gives them, not refused.
func TestShapleyRateCreditsOutweighTheTotal(t *testing.T) {
	paths := []Path{
		{Touches: []string{"a"}, Conversions: 1},
		{Touches: []string{"b"}, Conversions: 1},
		{Touches: []string{"c"}, Conversions: 1, Nulls: 1000},
		{Touches: []string{"a", "b", "c"}, Nulls: 1},
	}
	got, err := Attribute(paths, Shapley{Game: SubsetRate})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _, _ := exactRateCredits(paths)
	for ch, w := range want {
		if math.Abs(got[ch].Conversions-w) > 1e-9*math.Abs(w) {
			t.Errorf("%s: %v, brute force %v", ch, got[ch].Conversions, w)
		}
	}
	if math.Round(got["a"].Conversions) != 335 || math.Round(got["c"].Conversions) != -667 {
		t.Errorf("credits %v, want a and b 335, c -667 as documented", got)
	}
	// A billionth of a conversion on each, among MaxCount nulls: the overall rate,
	// 3e-21, is lost in the rounding of rates of 1 (3 conversions among 1e308 nulls
	// were, before counts were bounded).
	for i := range 3 {
		paths[i].Conversions = 1e-9
	}
	paths[2].Nulls = MaxCount - 1
	if _, err := Attribute(paths, Shapley{Game: SubsetRate}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rounding error") {
		t.Errorf("a rate of 3e-21: %v, want ErrInvalid for the rounding error", err)
	}
}
