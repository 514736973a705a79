package scoring_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/scoring"
)

// TestErrorPathsSBGAndCovariates drives the error paths of the sBG model and its
// intervals and of the covariate models: each error must wrap the package's sentinel
// that names its kind, and carry "scoring:" exactly once.
func TestErrorPathsSBGAndCovariates(t *testing.T) {
	survivors := []float64{1000, 631, 468, 382, 326} // Fader & Hardie (2007), regular customers
	m := &scoring.SBG{Gamma: 0.7, Delta: 1.2}
	penalised := &scoring.SBG{Gamma: 0.7, Delta: 1.2, Fit: scoring.Diagnostics{Penalizer: 0.1}}
	iv, err := m.Intervals(survivors, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cs []scoring.Customer
	var z [][]float64
	for i := range 40 {
		f := i % 4
		cs = append(cs, scoring.Customer{Frequency: f, Recency: float64(f) * 5, T: 40})
		z = append(z, []float64{float64(i%2) - 0.5})
	}
	bg := &scoring.BGNBDCovariates{R: 0.2, Alpha: 4, A: 0.8, B: 2.4, Purchase: []float64{0.1}, Dropout: []float64{}}
	pareto := &scoring.ParetoNBDCovariates{R: 0.5, Alpha: 10, S: 0.6, Beta: 12, Purchase: []float64{0.1}, Dropout: []float64{}}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"FitSBG of two counts", second(scoring.FitSBG([]float64{10, 5}, nil)), scoring.ErrInvalid},
		{"FitSBG of an empty cohort", second(scoring.FitSBG([]float64{0, 0, 0}, nil)), scoring.ErrInvalid},
		{"FitSBG of a NaN count", second(scoring.FitSBG([]float64{10, math.NaN(), 3}, nil)), scoring.ErrInvalid},
		{"FitSBG of a growing count", second(scoring.FitSBG([]float64{10, 5, 7}, nil)), scoring.ErrInvalid},
		{"FitSBG of a cohort nobody left", second(scoring.FitSBG([]float64{10, 10, 10}, nil)), scoring.ErrTooFew},
		{"FitSBGCohorts naming the bad cohort", second(scoring.FitSBGCohorts([][]float64{survivors, {10, 11, 3}}, nil)), scoring.ErrInvalid},
		{"SBG.Intervals of a nil model", second((*scoring.SBG)(nil).Intervals(survivors, nil)), scoring.ErrInvalid},
		{"SBG.Intervals of a zero gamma", second((&scoring.SBG{Delta: 1}).Intervals(survivors, nil)), scoring.ErrInvalid},
		{"SBG.Intervals of bad survivors", second(m.Intervals([]float64{1}, nil)), scoring.ErrInvalid},
		{"SBG.Intervals at level 1", second(m.Intervals(survivors, &scoring.IntervalOptions{Level: 1})), scoring.ErrInvalid},
		{"SBG.Intervals of a penalised fit", second(penalised.Intervals(survivors, nil)), scoring.ErrInvalid},
		{"SBG.Intervals, bootstrap, of 3 replicates", second(m.Intervals(survivors, &scoring.IntervalOptions{Method: scoring.Bootstrap, Replicates: 3})), scoring.ErrInvalid},
		{"SBG.Intervals, bootstrap, of a cohort of 5", second(m.Intervals([]float64{5, 3, 2}, &scoring.IntervalOptions{Method: scoring.Bootstrap})), scoring.ErrInvalid},
		{"SBGIntervals.DERL at a zero discount rate", second(iv.DERL(0, 1)), scoring.ErrInvalid},
		{"SBGIntervals.DERL after negative renewals", second(iv.DERL(0.1, -1)), scoring.ErrInvalid},
		{"FitBGNBDCovariates of too few customers", second(scoring.FitBGNBDCovariates(cs[:3], z[:3], nil, nil)), scoring.ErrTooFew},
		{"FitBGNBDCovariates of a bad customer", second(scoring.FitBGNBDCovariates(append([]scoring.Customer{{Frequency: 1, Recency: 50, T: 40}}, cs[1:]...), z, nil, nil)), scoring.ErrInvalid},
		{"FitBGNBDCovariates with rows for other customers", second(scoring.FitBGNBDCovariates(cs, z[1:], nil, nil)), scoring.ErrInvalid},
		{"FitBGNBDCovariates with ragged rows", second(scoring.FitBGNBDCovariates(cs, append([][]float64{{1, 2}}, z[1:]...), nil, nil)), scoring.ErrInvalid},
		{"FitBGNBDCovariates with a NaN covariate", second(scoring.FitBGNBDCovariates(cs, nil, append([][]float64{{math.NaN()}}, z[1:]...), nil)), scoring.ErrInvalid},
		{"FitBGNBDCovariates with 51 covariates", second(scoring.FitBGNBDCovariates(cs, wide(len(cs), 51), nil, nil)), scoring.ErrInvalid},
		{"FitBGNBDCovariates with a penalizer", second(scoring.FitBGNBDCovariates(cs, z, nil, &scoring.FitOptions{Penalizer: 0.1})), scoring.ErrInvalid},
		{"FitParetoNBDCovariates with rows for other customers", second(scoring.FitParetoNBDCovariates(cs, nil, z[1:], nil)), scoring.ErrInvalid},
		{"FitParetoNBDCovariates with a penalizer", second(scoring.FitParetoNBDCovariates(cs, z, nil, &scoring.FitOptions{Penalizer: 0.1})), scoring.ErrInvalid},
		{"BGNBDCovariates.For of the wrong width", second(bg.For([]float64{1, 2}, nil)), scoring.ErrInvalid},
		{"BGNBDCovariates.For of a huge covariate", second(bg.For([]float64{1e6}, nil)), scoring.ErrInvalid},
		{"ParetoNBDCovariates.For of the wrong width", second(pareto.For(nil, []float64{1})), scoring.ErrInvalid},
		{"ParetoNBDCovariates.For of an infinite covariate", second(pareto.For([]float64{math.Inf(1)}, nil)), scoring.ErrInvalid},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		if n := strings.Count(c.err.Error(), "scoring:"); n != 1 {
			t.Errorf("%s: %q carries the package prefix %d times", c.name, c.err, n)
		}
	}
}

// wide returns n rows of k covariates.
func wide(n, k int) [][]float64 {
	z := make([][]float64, n)
	for i := range z {
		z[i] = make([]float64, k)
		z[i][i%k] = 1
	}
	return z
}
