package scoring

import (
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// The stress corpus: data sets as ordinary bases produce them, not as the papers'
// tables do. For every model, each fit either passes the optimality check (checked
// here again, independently of the fit's own verdict) and predicts finite values, or
// fails with a typed error naming the cause, within a bounded number of likelihood
// evaluations (a time bound that does not depend on the machine). Data drawn from a
// model itself must fit.
//
// The default corpus stays under a minute in .ci/run; CLV_STRESS=1 runs the large one
// (100,000 customers, many more cases).

// stressShape is how a generated base departs from the textbook.
type stressShape struct {
	n        int
	unit     float64 // days per unit: 1/24 (hours) .. 30 (months)
	pareto   bool    // drawn from Pareto/NBD, else BG/NBD
	oneTime  bool    // nobody ever bought again
	allBuy   bool    // everyone bought again, up to the end
	sameCash bool    // every transaction the same amount
	ties     float64 // times rounded down to this many days (0: exact)
	births   bool    // births spread over the period, else all at its start
	r, alpha float64 // purchase process, alpha in days
	a, b     float64 // BG/NBD dropout, or Pareto's s and beta (days)
}

func drawStressShape(t *rapid.T, maxN int) stressShape {
	s := stressShape{
		n:        rapid.IntRange(20, maxN).Draw(t, "n"),
		unit:     rapid.SampledFrom([]float64{1.0 / 24, 1, 7, 30}).Draw(t, "unit"),
		pareto:   rapid.Bool().Draw(t, "pareto"),
		sameCash: rapid.IntRange(0, 4).Draw(t, "sameCash") == 0,
		ties:     rapid.SampledFrom([]float64{0, 0, 1, 7, 30}).Draw(t, "ties"),
		births:   rapid.Bool().Draw(t, "births"),
		r:        rapid.Float64Range(0.1, 5).Draw(t, "r"),
		alpha:    rapid.Float64Range(2, 200).Draw(t, "alpha"),
		a:        rapid.Float64Range(0.1, 5).Draw(t, "a"),
		b:        rapid.Float64Range(0.3, 300).Draw(t, "b"),
	}
	switch rapid.IntRange(0, 9).Draw(t, "special") {
	case 0:
		s.oneTime = true
	case 1:
		s.allBuy = true
	}
	return s
}

// customers draws the base, in the shape's unit, with spends.
func (s stressShape) customers(seed uint64) []Customer {
	rng := rand.New(rand.NewPCG(seed, 99))
	const span = 730.0 // days
	cs := make([]Customer, s.n)
	for i := range cs {
		T := span
		if s.births {
			T = span * (0.05 + 0.95*rng.Float64())
		}
		var c simCustomer
		switch {
		case s.oneTime:
			c = simCustomer{Customer: Customer{T: T}}
		case s.allBuy:
			x := 1 + rng.IntN(12)
			c = simCustomer{Customer: Customer{Frequency: x, Recency: T * (1 - rng.Float64()*0.01), T: T}}
		case s.pareto:
			c = simPareto(rng, s.r, s.alpha, s.a, s.b, T, 0)
		default:
			c = simBetaGeo(rng, s.r, s.alpha, s.a, s.b, false, T, 0)
		}
		cu := c.Customer
		if s.ties > 0 {
			cu.T = math.Floor(cu.T/s.ties) * s.ties
			cu.Recency = math.Min(math.Floor(cu.Recency/s.ties)*s.ties, cu.T)
		}
		cu.Recency /= s.unit
		cu.T /= s.unit
		if cu.Frequency > 0 {
			cu.Monetary = 40
			if !s.sameCash {
				cu.Monetary = simSpend(rng, 3, 4, 300, cu.Frequency)
			}
		}
		cs[i] = cu
	}
	return cs
}

// opportunities are the base as BG/BB histories, one opportunity per 30 days.
func opportunities(cs []Customer, unit float64) []Opportunities {
	var out []Opportunities
	for _, c := range cs {
		n := int(c.T * unit / 30)
		x := min(c.Frequency, n)
		tx := 0
		if x > 0 {
			tx = max(x, min(n, int(c.Recency*unit/30)))
		}
		out = append(out, Opportunities{Frequency: x, Recency: tx, N: n, Weight: 1})
	}
	return out
}

// maxEvaluations bounds the likelihood evaluations of a fit's winning start: with an
// analytic gradient each Newton iteration costs about dim+2 evaluations plus the line
// search, with central differences about 2·dim more per gradient and dim² for the
// Hessian, over at most 100 iterations and 2·dim rounds at the boundary.
func maxEvaluations(dim int, analytic bool) int {
	perIter := dim + 12
	if !analytic {
		perIter = dim*dim + 4*dim + 12
	}
	return 100 * perIter * 2 * dim
}

// checkFit checks one fit's outcome: a typed error, or an optimum.
func checkFit(t *rapid.T, model string, err error, lk likelihood, theta []float64, d Diagnostics, preds func() []float64) {
	if err != nil {
		var ce *ConvergenceError
		switch {
		case errors.Is(err, ErrTooFew):
		case errors.Is(err, ErrBurst):
			// Times rounded down to whole days or weeks put some repeat purchases at
			// recency 0 (Summarize would count them once), and the fit found no
			// maximum away from them.
			t.Logf("%s: %v", model, err)
		case errors.As(err, &ce) && ce.Reason != "" && len(ce.Params) == len(lk.names):
			t.Logf("%s: %v", model, err)
		default:
			t.Fatalf("%s: untyped error %v", model, err)
		}
		return
	}
	if d.Evaluations > maxEvaluations(len(theta), lk.analytic) {
		t.Fatalf("%s: %d evaluations, over the bound %d", model, d.Evaluations, maxEvaluations(len(theta), lk.analytic))
	}
	// The optimality check, again: on the parameters not held at the boundary, a
	// Newton step would gain less than flatGain, or the likelihood is flat there.
	pin := make([]float64, len(theta))
	for i := range pin {
		pin[i] = math.NaN()
	}
	if b := d.Boundary; b != nil {
		for k, name := range b.Params {
			for i, n := range lk.names {
				if n == name {
					pin[i] = math.Log(b.Values[k])
				}
			}
		}
	}
	sub, free := lk.restrict(pin)
	u := make([]float64, len(free))
	for k, i := range free {
		u[k] = math.Log(theta[i])
	}
	obj := &objective{lk: sub}
	g := make([]float64, len(u))
	obj.gradient(g, u)
	se, gain := obj.atMaximum(u, g)
	if !(se != nil && gain <= 2*flatGain || infNorm(g) <= 2*flatTolerance) {
		t.Fatalf("%s: not at a maximum: gain %.3g, gradient %.3g per customer, theta %v, boundary %+v", model, gain, infNorm(g), theta, d.Boundary)
	}
	for _, p := range preds() {
		if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			t.Fatalf("%s: prediction %v", model, p)
		}
	}
}

func TestStressCorpus(t *testing.T) {
	maxN, paretoN, checks := 2000, 300, 25
	if raceEnabled {
		maxN, paretoN, checks = 1000, 150, 10
	}
	if os.Getenv("CLV_STRESS") != "" {
		maxN, paretoN, checks = 100000, 5000, 200
	}
	// rapid's number of cases is a flag; set it unless the command line did.
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == f.DefValue {
		f.Value.Set(strconv.Itoa(checks))
		defer f.Value.Set(f.DefValue)
	}
	rapid.Check(t, func(t *rapid.T) {
		s := drawStressShape(t, maxN)
		cs := s.customers(rapid.Uint64().Draw(t, "seed"))
		fromModel := !s.oneTime && !s.allBuy && s.ties == 0 && s.n >= 500
		predict := func(m Model) func() []float64 {
			return func() []float64 {
				c := cs[0]
				return []float64{m.PAlive(c), m.ExpectedPurchases(10, c), m.PurchaseProb(10, 1, c), m.ExpectedPurchasesNew(10)}
			}
		}
		bg, err := FitBGNBD(cs, nil)
		lk, _, _ := betaGeoProblem("BG/NBD", cs, 0, 1)
		if err == nil {
			checkFit(t, "BG/NBD", nil, lk, []float64{bg.R, bg.Alpha, bg.A, bg.B}, bg.Fit, predict(bg))
		} else {
			if fromModel && !s.pareto && errors.Is(err, ErrNoConvergence) {
				t.Fatalf("BG/NBD fails on its own data: %v", err)
			}
			checkFit(t, "BG/NBD", err, lk, make([]float64, 4), Diagnostics{}, nil)
		}
		mbg, err := FitMBGNBD(cs, nil)
		lk, _, _ = betaGeoProblem("MBG/NBD", cs, 1, 1)
		if err == nil {
			checkFit(t, "MBG/NBD", nil, lk, []float64{mbg.R, mbg.Alpha, mbg.A, mbg.B}, mbg.Fit, predict(mbg))
		} else {
			checkFit(t, "MBG/NBD", err, lk, make([]float64, 4), Diagnostics{}, nil)
		}
		if s.n <= paretoN {
			pn, err := FitParetoNBD(cs, nil)
			lk, _, _ = paretoProblem(cs, 1)
			if err == nil {
				checkFit(t, "Pareto/NBD", nil, lk, []float64{pn.R, pn.Alpha, pn.S, pn.Beta}, pn.Fit, predict(pn))
			} else {
				if fromModel && s.pareto && errors.Is(err, ErrNoConvergence) {
					t.Fatalf("Pareto/NBD fails on its own data: %v", err)
				}
				checkFit(t, "Pareto/NBD", err, lk, make([]float64, 4), Diagnostics{}, nil)
			}
		}
		gg, err := FitGammaGamma(cs, nil)
		lk, _, _ = gammaGammaProblem(cs, nil)
		if err == nil {
			checkFit(t, "Gamma-Gamma", nil, lk, []float64{gg.P, gg.Q, gg.Gamma}, gg.Fit, func() []float64 {
				return []float64{gg.ExpectedSpend(cs[0]), gg.MeanSpend()}
			})
		} else {
			checkFit(t, "Gamma-Gamma", err, lk, make([]float64, 3), Diagnostics{}, nil)
		}
		ops := opportunities(cs, s.unit)
		bb, err := FitBGBB(ops, nil)
		lk, _, _ = bgbbProblem(ops)
		if err == nil {
			checkFit(t, "BG/BB", nil, lk, []float64{bb.Alpha, bb.Beta, bb.Gamma, bb.Delta}, bb.Fit, func() []float64 {
				return []float64{bb.PAlive(ops[0]), bb.ExpectedPurchases(3, ops[0])}
			})
		} else {
			checkFit(t, "BG/BB", err, lk, make([]float64, 4), Diagnostics{}, nil)
		}
	})
}
