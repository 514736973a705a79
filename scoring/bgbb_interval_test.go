package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Donation-like truth (Fader, Hardie & Shang 2010's estimates) over six opportunities.
var trueBGBB = &BGBB{Alpha: 1.204, Beta: 0.750, Gamma: 0.657, Delta: 2.783}

// simulateBGBBRows draws n customers of trueBGBB over six opportunities, merged into
// weighted rows, with simBGBB (the test simulator, written from the paper's story).
func simulateBGBBRows(rng *rand.Rand, n int) []Opportunities {
	type key struct{ x, tx int }
	counts := map[key]float64{}
	for range n {
		o, _, _ := simBGBB(rng, trueBGBB.Alpha, trueBGBB.Beta, trueBGBB.Gamma, trueBGBB.Delta, 6, 0)
		counts[key{o.Frequency, o.Recency}]++
	}
	var rows []Opportunities
	for k, w := range counts {
		rows = append(rows, Opportunities{Frequency: k.x, Recency: k.tx, N: 6, Weight: w})
	}
	slices.SortFunc(rows, func(a, b Opportunities) int { return (a.Frequency-b.Frequency)*10 + a.Recency - b.Recency })
	return rows
}

// bgbbPredictions are the BG/BB quantities whose intervals the coverage tests check:
// functions of the parameters alone.
var bgbbPredictions = []struct {
	name string
	f    func(iv *BGBBIntervals) (Interval, error)
	m    func(m *BGBB) float64
}{
	{"P(alive) of x=3, t_x=4, n=6", func(iv *BGBBIntervals) (Interval, error) {
		return iv.PAlive(Opportunities{Frequency: 3, Recency: 4, N: 6})
	},
		func(m *BGBB) float64 { return m.PAlive(Opportunities{Frequency: 3, Recency: 4, N: 6}) }},
	{"E[X(5)] of x=3, t_x=4, n=6", func(iv *BGBBIntervals) (Interval, error) {
		return iv.ExpectedPurchases(5, Opportunities{Frequency: 3, Recency: 4, N: 6})
	}, func(m *BGBB) float64 { return m.ExpectedPurchases(5, Opportunities{Frequency: 3, Recency: 4, N: 6}) }},
	{"P(X(5)=0) of x=1, t_x=1, n=6", func(iv *BGBBIntervals) (Interval, error) {
		return iv.PurchaseProb(5, 0, Opportunities{Frequency: 1, Recency: 1, N: 6})
	}, func(m *BGBB) float64 { return m.PurchaseProb(5, 0, Opportunities{Frequency: 1, Recency: 1, N: 6}) }},
	{"E[X(6)] new", func(iv *BGBBIntervals) (Interval, error) { return iv.ExpectedPurchasesNew(6) },
		func(m *BGBB) float64 { return m.ExpectedPurchasesNew(6) }},
	{"P(X(6)=2) new", func(iv *BGBBIntervals) (Interval, error) { return iv.PurchaseProbNew(6, 2) },
		func(m *BGBB) float64 { return m.PurchaseProbNew(6, 2) }},
}

// TestBGBBIntervalsCoverage draws bases of donors from known BG/BB parameters, fits
// each, and counts how often the nominal 90% intervals (delta method, and parametric
// bootstrap) of each prediction cover its true value. Covered counts are
// Binomial(bases, 0.9) if the intervals are right; the test fails below the count of
// lower-tail probability 0.002 under it (fixed seeds: it cannot flake), or if the
// median interval is wider than the value (covering by being useless).
// The bootstrap runs on half the bases by default (20 bases of 30 replicates);
// CLIENTELE_LONG_TESTS=1 runs 200 bases with 200 replicates.
func TestBGBBIntervalsCoverage(t *testing.T) {
	bases, n, reps := 40, 1000, 30
	switch {
	case longTests:
		bases, n, reps = 200, 2000, 200
	case raceEnabled || testing.Short():
		bases, reps = 12, 20
	}
	for _, method := range []string{"delta", "bootstrap"} {
		t.Run(method, func(t *testing.T) {
			bases := bases
			if method == "bootstrap" && !longTests {
				bases = bases / 2 // each base is reps fits more
			}
			rng := rand.New(rand.NewPCG(31, 32))
			covered := make([]int, len(bgbbPredictions))
			widths := make([][]float64, len(bgbbPredictions))
			used := 0
			for b := range bases {
				rows := simulateBGBBRows(rng, n)
				m, err := FitBGBB(rows, &FitOptions{Workers: 1})
				if err != nil {
					continue
				}
				var iv *BGBBIntervals
				if method == "delta" {
					iv, err = m.Intervals(rows, nil)
				} else {
					iv, err = m.Intervals(rows, &IntervalOptions{Method: Bootstrap, Replicates: reps, Seed: uint64(b)})
				}
				if err != nil {
					continue
				}
				used++
				for i, p := range bgbbPredictions {
					in, err := p.f(iv)
					if err != nil {
						t.Fatal(err)
					}
					truth := p.m(trueBGBB)
					if in.Contains(truth) {
						covered[i]++
					}
					widths[i] = append(widths[i], (in.Hi-in.Lo)/truth)
				}
			}
			if used < bases*9/10 {
				t.Fatalf("only %d of %d bases gave intervals", used, bases)
			}
			least := binomialQuantile(used, 0.9, 0.002)
			for i, p := range bgbbPredictions {
				slices.Sort(widths[i])
				median := widths[i][len(widths[i])/2]
				t.Logf("%s: covered in %d of %d (least plausible %d), median width %.3f of the value", p.name, covered[i], used, least, median)
				if covered[i] < least {
					t.Errorf("%s: 90%% %s intervals covered the truth in %d of %d bases, fewer than %d", p.name, method, covered[i], used, least)
				}
				if !(median < 1) {
					t.Errorf("%s: median width %.2f of the value", p.name, median)
				}
			}
		})
	}
}

// The two methods agree on donations-sized data, and bad arguments are refused.
func TestBGBBIntervalsAgreeAndRefuse(t *testing.T) {
	rows := simulateBGBBRows(rand.New(rand.NewPCG(5, 5)), 5000)
	m, err := FitBGBB(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	delta, err := m.Intervals(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	reps := 100
	if raceEnabled || testing.Short() {
		reps = 30
	}
	boot, err := m.Intervals(rows, &IntervalOptions{Method: Bootstrap, Replicates: reps, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bgbbPredictions {
		d, _ := p.f(delta)
		b, _ := p.f(boot)
		wd, wb := d.Hi-d.Lo, b.Hi-b.Lo
		t.Logf("%s: %.4g delta [%.4g, %.4g] bootstrap [%.4g, %.4g]", p.name, d.Estimate, d.Lo, d.Hi, b.Lo, b.Hi)
		if d.Estimate != b.Estimate || !(wd > 0) || math.Abs(wb/wd-1) > 0.5 {
			t.Errorf("%s: delta %+v, bootstrap %+v", p.name, d, b)
		}
	}
	bad := Opportunities{Frequency: 2, Recency: 1, N: 6}
	for _, err := range []error{
		func() error { _, err := delta.PAlive(bad); return err }(),
		func() error { _, err := delta.ExpectedPurchases(-1, Opportunities{N: 3}); return err }(),
		func() error { _, err := delta.PurchaseProbNew(3, -1); return err }(),
		func() error { _, err := (*BGBB)(nil).Intervals(rows, nil); return err }(),
		func() error { _, err := m.Intervals([]Opportunities{bad}, nil); return err }(),
		func() error {
			_, err := m.Intervals([]Opportunities{{Frequency: 1, Recency: 1, N: 2, Weight: 2e7}}, &IntervalOptions{Method: Bootstrap})
			return err
		}(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	}
}
