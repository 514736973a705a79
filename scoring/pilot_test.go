package scoring

import (
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// Coarsening keeps every history valid (0 < t_x <= T for a repeat buyer, t_x = 0
// otherwise), keeps the weights and frequencies, and moves no time by more than a
// cell.
func TestCoarsenKeepsHistoriesValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 200).Draw(t, "n")
		cs := make([]Customer, n)
		var sumX float64
		for i := range cs {
			T := rapid.Float64Range(1e-3, 1e3).Draw(t, "T")
			cs[i] = Customer{T: T}
			if x := rapid.IntRange(0, 5).Draw(t, "x"); x > 0 {
				cs[i].Frequency, cs[i].Recency = x, T*rapid.Float64Range(1e-6, 1).Draw(t, "frac")
				sumX += float64(x)
			}
		}
		g := groupCustomers(cs, nil)
		h := rapid.Float64Range(1e-3, 1e3).Draw(t, "h")
		c := g.coarsen(h)
		if c.total != g.total || c.repeat != g.repeat {
			t.Fatalf("weights %v/%v, want %v/%v", c.total, c.repeat, g.total, g.repeat)
		}
		var cx float64
		for j := range c.w {
			x, tx, T := c.xs[c.xi[j]], c.txs[c.txi[j]], c.ts[c.ti[j]]
			cx += c.w[j] * float64(x)
			if err := validateAll([]Customer{{Frequency: x, Recency: tx, T: T}}); err != nil {
				t.Fatalf("coarsened history invalid: %v", err)
			}
		}
		if math.Abs(cx-sumX) > 1e-9*sumX {
			t.Fatalf("purchases %v, want %v", cx, sumX)
		}
	})
}

// A fit started from the pilot reaches the same maximum as one from the usual
// starts, in fewer iterations of the full likelihood.
func TestPilotStartSameMaximumFewerIterations(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cs := make([]Customer, 20_000)
	for i := range cs {
		cs[i] = simBetaGeo(rng, 0.5, 2, 2, 8, false, 20+40*rng.Float64(), 0).Customer
	}
	o := (*FitOptions)(nil).withDefaults()
	g, err := groupForFit("BG/NBD", cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		build func(*grouped) (likelihood, [][]float64)
	}{{"BG/NBD", betaGeoBuild("BG/NBD", 0, 2)}, {"MBG/NBD", betaGeoBuild("MBG/NBD", 1, 2)}, {"Pareto/NBD", paretoBuild(2)}} {
		lk, starts := tc.build(g)
		want, _, dw, err := maximise(lk, starts, o)
		if err != nil {
			t.Fatal(err)
		}
		got, _, d, err := fitGrouped(g, tc.build, o)
		if err != nil {
			t.Fatal(err)
		}
		if d.PilotRows == 0 || 3*d.PilotRows > g.rows() {
			t.Fatalf("%s: pilot on %d rows of %d", tc.name, d.PilotRows, g.rows())
		}
		for i := range want {
			if math.Abs(got[i]/want[i]-1) > 1e-6 {
				t.Fatalf("%s: from the pilot %v, from the usual starts %v", tc.name, got, want)
			}
		}
		if d.Iterations >= dw.Iterations {
			t.Errorf("%s: %d iterations from the pilot, %d without", tc.name, d.Iterations, dw.Iterations)
		}
		t.Logf("%s: %d rows, %d iterations without the pilot; pilot on %d rows (%d evaluations), then %d iterations",
			tc.name, g.rows(), dw.Iterations, d.PilotRows, d.PilotEvaluations, d.Iterations)
	}
}

// Data too small for a pilot to pay are fitted without one.
func TestNoPilotOnSmallData(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	cs := make([]Customer, 300)
	for i := range cs {
		cs[i] = simBetaGeo(rng, 0.5, 2, 2, 8, false, 20+40*rng.Float64(), 0).Customer
	}
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Fit.PilotRows != 0 || m.Fit.PilotEvaluations != 0 {
		t.Fatalf("pilot on %d rows for %d customers", m.Fit.PilotRows, len(cs))
	}
}

// The fits without the pilot (the usual starts only), the baseline of the pilot's
// benchmarks BenchmarkFitBGNBDCDNOW, BenchmarkFitBGNBD100k, BenchmarkFitParetoNBDCDNOW
// and BenchmarkFitParetoNBD100k; they report the full likelihood's iterations.
func benchNoPilot(b *testing.B, cs []Customer, pareto bool) {
	defer reportCPU(b)()
	o := (*FitOptions)(nil).withDefaults()
	var d Diagnostics
	for b.Loop() {
		g, err := groupForFit("fit", cs, nil)
		if err != nil {
			b.Fatal(err)
		}
		build := betaGeoBuild("BG/NBD", 0, o.Workers)
		if pareto {
			build = paretoBuild(o.Workers)
		}
		lk, starts := build(g)
		if _, _, d, err = maximise(lk, starts, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.Iterations), "iterations")
}

func BenchmarkFitBGNBDCDNOWNoPilot(b *testing.B)     { benchNoPilot(b, cdnowCustomers(b), false) }
func BenchmarkFitBGNBD100kNoPilot(b *testing.B)      { benchNoPilot(b, hundredK(), false) }
func BenchmarkFitBGNBD1MNoPilot(b *testing.B)        { benchNoPilot(b, million(), false) }
func BenchmarkFitParetoNBDCDNOWNoPilot(b *testing.B) { benchNoPilot(b, cdnowCustomers(b), true) }
func BenchmarkFitParetoNBD100kNoPilot(b *testing.B)  { benchNoPilot(b, hundredK(), true) }

// A Pareto/NBD fit whose likelihood rises towards no dropout (data drawn from BG/NBD
// with few dropouts) reaches the boundary in a bounded number of evaluations: it used
// to take 141 evaluations of the full likelihood (and 38 s) on this base, most of them
// line searches halving a step on a ridge flat to the rounding level, and further
// starts after the first had found the boundary.
func TestParetoBoundaryEvaluationsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 customers of Pareto/NBD quadrature: about 4 s under -race")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	cs := make([]Customer, 20_000)
	for i := range cs {
		cs[i] = simBetaGeo(rng, 1.5, 20, 0.5, 5, false, 20+40*rng.Float64(), 0).Customer
	}
	m, err := FitParetoNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Fit.Boundary == nil {
		t.Fatalf("fit %+v inside the parameter space, want at the no-dropout boundary", m)
	}
	if m.Fit.Evaluations > 40 || m.Fit.PilotEvaluations > 80 || m.Fit.Starts != 1 {
		t.Errorf("%d evaluations after a pilot of %d, %d starts", m.Fit.Evaluations, m.Fit.PilotEvaluations, m.Fit.Starts)
	}
	t.Logf("%d evaluations after a pilot of %d on %d rows; boundary %v", m.Fit.Evaluations, m.Fit.PilotEvaluations, m.Fit.PilotRows, m.Fit.Boundary)
}

// A fit with FitOptions.Weights on more than pilotMinRows distinct histories starts
// from the pilot too, whose coarsened rows keep the weights: it reaches the maximum
// of the expanded base, with the same pilot and the same customer count. The weights
// are fractional and some are 0, which the pilot must neither round nor count.
func TestPilotWithWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cs := make([]Customer, 6_000)
	weights := make([]float64, len(cs))
	var expanded []Customer
	for i := range cs {
		cs[i] = simBetaGeo(rng, 0.5, 2, 2, 8, false, 20+40*rng.Float64(), 0).Customer
		weights[i] = float64(rng.IntN(4)) // 0 to 3
		for range int(weights[i]) {
			expanded = append(expanded, cs[i])
		}
	}
	half := make([]float64, len(weights))
	for i, w := range weights {
		half[i] = w / 2
	}
	for _, tc := range []struct {
		name string
		fit  func(cs []Customer, o *FitOptions) ([]float64, Diagnostics, error)
	}{
		{"BG/NBD", func(cs []Customer, o *FitOptions) ([]float64, Diagnostics, error) {
			m, err := FitBGNBD(cs, o)
			if err != nil {
				return nil, Diagnostics{}, err
			}
			return []float64{m.R, m.Alpha, m.A, m.B}, m.Fit, nil
		}},
		{"Pareto/NBD", func(cs []Customer, o *FitOptions) ([]float64, Diagnostics, error) {
			m, err := FitParetoNBD(cs, o)
			if err != nil {
				return nil, Diagnostics{}, err
			}
			return []float64{m.R, m.Alpha, m.S, m.Beta}, m.Fit, nil
		}},
	} {
		want, dw, err := tc.fit(expanded, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, d, err := tc.fit(cs, &FitOptions{Weights: weights})
		if err != nil {
			t.Fatal(err)
		}
		if d.PilotRows == 0 || d.PilotRows != dw.PilotRows || d.Customers != dw.Customers || d.Rows != dw.Rows {
			t.Fatalf("%s: weighted pilot %d rows, %d rows, %v customers; expanded %d, %d, %v", tc.name, d.PilotRows, d.Rows, d.Customers, dw.PilotRows, dw.Rows, dw.Customers)
		}
		for i := range want {
			if math.Abs(got[i]/want[i]-1) > 1e-6 {
				t.Fatalf("%s: weighted %v, expanded %v", tc.name, got, want)
			}
		}
		// Halving every weight halves the information but keeps the maximum: the fit
		// runs on weights scaled by a power of two to one or two per row, the same
		// weights for both, and stops at the same point to the last bit.
		hg, hd, err := tc.fit(cs, &FitOptions{Weights: half})
		if err != nil {
			t.Fatal(err)
		}
		if hd.PilotRows == 0 || hd.Customers != d.Customers/2 {
			t.Fatalf("%s: half weights: pilot %d rows, %v customers", tc.name, hd.PilotRows, hd.Customers)
		}
		for i := range want {
			if hg[i] != got[i] {
				t.Fatalf("%s: half weights %v, full %v", tc.name, hg, got)
			}
		}
	}
}
