package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// simulateCohort follows n customers over periods renewal opportunities under sBG.
func simulateCohort(rng *rand.Rand, gamma, delta float64, n, periods int) []float64 {
	s := make([]float64, periods+1)
	for range n {
		theta := betaRand(rng, gamma, delta)
		s[0]++
		for t := 1; t <= periods && rng.Float64() >= theta; t++ {
			s[t]++
		}
	}
	return s
}

type sbgPrediction struct {
	name string
	f    func(iv *SBGIntervals) Interval
}

var sbgPredictions = []sbgPrediction{
	{"S(3)", func(iv *SBGIntervals) Interval { return iv.Survival(3) }},
	{"S(12)", func(iv *SBGIntervals) Interval { return iv.Survival(12) }},
	{"r(10)", func(iv *SBGIntervals) Interval { return iv.Retention(10) }},
	{"DERL(0.1, 0)", func(iv *SBGIntervals) Interval { v, _ := iv.DERL(0.1, 0); return v }},
	{"DERL(0.1, 5)", func(iv *SBGIntervals) Interval { v, _ := iv.DERL(0.1, 5); return v }},
}

// TestSBGIntervalsAgree compares the delta and bootstrap intervals on the "regular"
// cohort of Fader & Hardie (2007): with 400 replicates the widths agree within 30%
// and the midpoints within 30% of the delta width.
func TestSBGIntervalsAgree(t *testing.T) {
	m, err := FitSBG(sbgRegular, nil)
	if err != nil {
		t.Fatal(err)
	}
	delta, err := m.Intervals(sbgRegular, nil)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := m.Intervals(sbgRegular, &IntervalOptions{Method: Bootstrap, Replicates: 400, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range sbgPredictions {
		d, b := p.f(delta), p.f(boot)
		wd, wb := d.Hi-d.Lo, b.Hi-b.Lo
		mid := math.Abs((d.Hi+d.Lo)/2-(b.Hi+b.Lo)/2) / wd
		t.Logf("%-13s %.4f  delta [%.4f, %.4f]  bootstrap [%.4f, %.4f]", p.name, d.Estimate, d.Lo, d.Hi, b.Lo, b.Hi)
		if !(wd > 0) || math.Abs(wb/wd-1) > 0.3 || mid > 0.3 {
			t.Errorf("%s: delta [%.4g, %.4g], bootstrap [%.4g, %.4g]", p.name, d.Lo, d.Hi, b.Lo, b.Hi)
		}
	}
}

// TestSBGIntervalsCoverage draws cohorts of 1,000 over 7 periods from the regular
// plan's parameters and counts how often the 90% delta interval covers the true
// value, projections 12 periods out included.
func TestSBGIntervalsCoverage(t *testing.T) {
	cohorts := 400
	if raceEnabled || testing.Short() {
		cohorts = 100
	}
	truth := &SBG{Gamma: 0.704, Delta: 1.182}
	want := &SBGIntervals{Level: 0.9, m: truth}
	rng := rand.New(rand.NewPCG(31, 32))
	covered := make([]int, len(sbgPredictions))
	for range cohorts {
		s := simulateCohort(rng, truth.Gamma, truth.Delta, 1000, 7)
		m, err := FitSBG(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		iv, err := m.Intervals(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range sbgPredictions {
			if p.f(iv).Contains(p.f(want).Estimate) {
				covered[i]++
			}
		}
	}
	sd := math.Sqrt(0.09 / float64(cohorts))
	for i, p := range sbgPredictions {
		rate := float64(covered[i]) / float64(cohorts)
		t.Logf("%-13s coverage %.3f of %d", p.name, rate, cohorts)
		if math.Abs(rate-0.9) > 3*sd+0.02 {
			t.Errorf("%s: 90%% intervals covered the truth in %.3f of %d cohorts", p.name, rate, cohorts)
		}
	}
}

func TestSBGIntervalsContainEstimate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := rapid.Float64Range(0.2, 5).Draw(t, "gamma")
		d := rapid.Float64Range(0.2, 10).Draw(t, "delta")
		s := simulateCohort(rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1)), g, d, 2000, 6)
		m, err := FitSBG(s, nil)
		if err != nil {
			t.Skip(err) // a cohort whose fit is at the boundary
		}
		iv, err := m.Intervals(s, &IntervalOptions{Level: 0.95})
		if err != nil {
			t.Skip(err)
		}
		tt := rapid.IntRange(0, 40).Draw(t, "t")
		for _, v := range []Interval{iv.Survival(tt), iv.Retention(tt)} {
			if !(v.Lo <= v.Estimate && v.Estimate <= v.Hi && v.Lo >= 0 && v.Hi <= 1) {
				t.Fatalf("t = %d: %+v", tt, v)
			}
		}
		v, err := iv.DERL(rapid.Float64Range(0.01, 1).Draw(t, "d"), tt)
		if err != nil || !(v.Lo <= v.Estimate && v.Estimate <= v.Hi && v.Lo > 0) {
			t.Fatalf("DERL: %+v, %v", v, err)
		}
	})
}

func TestSBGIntervalsBadInput(t *testing.T) {
	m := &SBG{Gamma: 0.7, Delta: 1.2}
	if _, err := (*SBG)(nil).Intervals(sbgRegular, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil model: %v", err)
	}
	if _, err := (&SBG{Gamma: -1, Delta: 1}).Intervals(sbgRegular, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative gamma: %v", err)
	}
	if _, err := m.Intervals([]float64{10, 20, 5}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("increasing survivors: %v", err)
	}
	if _, err := m.Intervals([]float64{5, 4, 3}, &IntervalOptions{Method: Bootstrap}); !errors.Is(err, ErrInvalid) {
		t.Errorf("cohort of 5: %v", err)
	}
	iv, err := m.Intervals(sbgRegular, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iv.DERL(0, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("DERL at d = 0: %v", err)
	}
}
