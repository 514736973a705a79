package scoring

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The last period's cumulative forecast is the base's purchases over the whole
// horizon, so its interval is BasePurchases' (computed there through the scalar
// path, fd.Gradient on the sum), for both methods.
func TestForecastIntervalsMatchBasePurchases(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cs := simulateBase(rng, betaGeoFamily(0), trueBG, 400)
	m, err := FitBGNBD(cs, &FitOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	delta, err := NewIntervals(m, nil, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := NewIntervals(m, nil, cs, &IntervalOptions{Method: Bootstrap, Replicates: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, iv := range map[string]*Intervals{"delta": delta, "bootstrap": boot} {
		f, err := iv.Forecast(cs, 6, 4)
		if err != nil {
			t.Fatal(err)
		}
		b, err := iv.BasePurchases(24, cs)
		if err != nil {
			t.Fatal(err)
		}
		last := f[len(f)-1].Cumulative
		for _, p := range [][2]float64{{last.Estimate, b.Estimate}, {last.Lo, b.Lo}, {last.Hi, b.Hi}} {
			if math.Abs(p[0]-p[1]) > 1e-6*b.Estimate {
				t.Errorf("%s: last cumulative %+v, BasePurchases %+v", name, last, b)
			}
		}
		var sum float64
		for k, p := range f {
			sum += p.Expected.Estimate
			if !(p.Expected.Lo <= p.Expected.Estimate && p.Expected.Estimate <= p.Expected.Hi) || p.End != float64(k+1)*4 {
				t.Errorf("%s: period %d %+v", name, k, p)
			}
		}
		if math.Abs(sum-last.Estimate) > 1e-9*sum {
			t.Errorf("%s: periods sum to %v, cumulative %v", name, sum, last.Estimate)
		}
	}
}

// TestForecastIntervalsCoverage draws bases from BG/NBD with known parameters, fits
// each, and counts how often the 90% delta intervals of the forecast (periods 1, 3
// and 6 of 4 weeks, per period and cumulative) and of the tracking plot cover the
// value the true parameters give on the same base. The count is Binomial(bases, 0.9)
// if the intervals are right: the test fails below the count whose lower-tail
// probability under it is 0.002, with fixed seeds, so it cannot flake; and fails if
// they cover by being wider than the value itself.
func TestForecastIntervalsCoverage(t *testing.T) {
	bases, n := 60, 400
	switch {
	case longTests:
		bases, n = 400, 1000
	case raceEnabled || testing.Short():
		bases = 20
	}
	truth := &BGNBD{R: trueBG[0], Alpha: trueBG[1], A: trueBG[2], B: trueBG[3]}
	picks := []int{0, 2, 5}
	var covered [2 * 3 * 2]int
	used := 0
	rng := rand.New(rand.NewPCG(21, 22))
	for range bases {
		cs := simulateBase(rng, betaGeoFamily(0), trueBG, n)
		births := make([]float64, len(cs))
		for i, c := range cs {
			births[i] = 78 - c.T // calendar time from the oldest possible birth
		}
		m, err := FitBGNBD(cs, &FitOptions{Workers: 1})
		if err != nil {
			continue
		}
		iv, err := NewIntervals(m, nil, cs, nil)
		if err != nil {
			continue
		}
		used++
		fc, err1 := iv.Forecast(cs, 6, 4)
		want, err2 := Forecast(truth, cs, 6, 4)
		tr, err3 := iv.Tracking(births, 6, 13)
		wantTr, err4 := Tracking(truth, births, 6, 13)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatal(err1, err2, err3, err4)
		}
		for j, k := range picks {
			for s, pair := range [][2]Interval{{fc[k].Expected, {Estimate: want[k].Expected}}, {fc[k].Cumulative, {Estimate: want[k].Cumulative}},
				{tr[k].Expected, {Estimate: wantTr[k].Expected}}, {tr[k].Cumulative, {Estimate: wantTr[k].Cumulative}}} {
				if pair[0].Contains(pair[1].Estimate) {
					covered[4*j+s]++
				}
				if w := pair[0].Hi - pair[0].Lo; !(w < pair[1].Estimate) {
					t.Fatalf("period %d, series %d: interval %+v as wide as the value %v", k, s, pair[0], pair[1].Estimate)
				}
			}
		}
	}
	if used < bases*9/10 {
		t.Fatalf("only %d of %d bases gave intervals", used, bases)
	}
	least := binomialQuantile(used, 0.9, 0.002)
	names := []string{"forecast per period", "forecast cumulative", "tracking per period", "tracking cumulative"}
	for j, k := range picks {
		for s, name := range names {
			c := covered[4*j+s]
			t.Logf("%s, period %d: covered in %d of %d bases (least plausible %d)", name, k+1, c, used, least)
			if c < least {
				t.Errorf("%s, period %d: 90%% intervals covered the truth in %d of %d bases, fewer than %d", name, k+1, c, used, least)
			}
		}
	}
}
