package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// TestWeightedFitsMatchExpanded: a fit on weighted histories is the fit on the base
// with each history repeated Weight times, for the three purchase models.
func TestWeightedFitsMatchExpanded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		n := rapid.IntRange(30, 150).Draw(t, "rows")
		var rows []WeightedCustomer
		var expanded []Customer
		for range n {
			T := float64(1 + rng.IntN(40))
			c := simBetaGeo(rng, 0.5, 5, 0.8, 2.5, false, T, 0).Customer
			c.Recency = math.Round(c.Recency)
			if c.Frequency > 0 && c.Recency == 0 {
				c.Recency = 1
			}
			w := rapid.IntRange(0, 4).Draw(t, "weight")
			rows = append(rows, WeightedCustomer{Customer: c, Weight: float64(w)})
			for range w {
				expanded = append(expanded, c)
			}
		}
		type fit struct {
			theta []float64
			ll    float64
			err   error
		}
		compare := func(name string, got, want fit) {
			if (got.err == nil) != (want.err == nil) {
				t.Fatalf("%s: weighted error %v, expanded %v", name, got.err, want.err)
			}
			if got.err != nil {
				if errors.Is(want.err, ErrTooFew) != errors.Is(got.err, ErrTooFew) {
					t.Fatalf("%s: weighted error %v, expanded %v", name, got.err, want.err)
				}
				return
			}
			if math.Abs(got.ll-want.ll) > 1e-8*math.Abs(want.ll) {
				t.Fatalf("%s: log-likelihood %v weighted, %v expanded", name, got.ll, want.ll)
			}
			for i := range got.theta {
				if math.Abs(math.Log(got.theta[i]/want.theta[i])) > 1e-6 {
					t.Fatalf("%s: parameters %v weighted, %v expanded", name, got.theta, want.theta)
				}
			}
		}
		bw, errW := FitBGNBDWeighted(rows, nil)
		be, errE := FitBGNBD(expanded, nil)
		compare("BG/NBD", fit{bgParams(bw), bgLogLik(bw), errW}, fit{bgParams(be), bgLogLik(be), errE})
		mw, errW := FitMBGNBDWeighted(rows, nil)
		me, errE := FitMBGNBD(expanded, nil)
		var mwp, mep fit
		if mw != nil {
			mwp = fit{[]float64{mw.R, mw.Alpha, mw.A, mw.B}, mw.LogLik, nil}
		}
		if me != nil {
			mep = fit{[]float64{me.R, me.Alpha, me.A, me.B}, me.LogLik, nil}
		}
		mwp.err, mep.err = errW, errE
		compare("MBG/NBD", mwp, mep)
		pw, errW := FitParetoNBDWeighted(rows, nil)
		pe, errE := FitParetoNBD(expanded, nil)
		var pwp, pep fit
		if pw != nil {
			pwp = fit{[]float64{pw.R, pw.Alpha, pw.S, pw.Beta}, pw.LogLik, nil}
		}
		if pe != nil {
			pep = fit{[]float64{pe.R, pe.Alpha, pe.S, pe.Beta}, pe.LogLik, nil}
		}
		pwp.err, pep.err = errW, errE
		compare("Pareto/NBD", pwp, pep)
	})
}

func bgParams(m *BGNBD) []float64 {
	if m == nil {
		return nil
	}
	return []float64{m.R, m.Alpha, m.A, m.B}
}

func bgLogLik(m *BGNBD) float64 {
	if m == nil {
		return 0
	}
	return m.LogLik
}

// TestWeightedRejects: bad weights and too little weight are refused with the
// package's sentinels.
func TestWeightedRejects(t *testing.T) {
	good := WeightedCustomer{Customer: Customer{Frequency: 2, Recency: 5, T: 10}, Weight: 20}
	for _, c := range []struct {
		rows []WeightedCustomer
		want error
	}{
		{[]WeightedCustomer{good, {Customer: Customer{T: 3}, Weight: -1}}, ErrInvalid},
		{[]WeightedCustomer{good, {Customer: Customer{T: 3}, Weight: math.NaN()}}, ErrInvalid},
		{[]WeightedCustomer{good, {Customer: Customer{T: 3}, Weight: math.Inf(1)}}, ErrInvalid},
		{[]WeightedCustomer{good, {Customer: Customer{Recency: 4, T: 3}, Weight: 1}}, ErrInvalid},
		{[]WeightedCustomer{{Customer: good.Customer, Weight: 9}}, ErrTooFew},
		{[]WeightedCustomer{{Customer: Customer{T: 3}, Weight: 50}}, ErrTooFew},
	} {
		if _, err := FitBGNBDWeighted(c.rows, nil); !errors.Is(err, c.want) {
			t.Errorf("%+v: error %v, want %v", c.rows, err, c.want)
		}
	}
}
