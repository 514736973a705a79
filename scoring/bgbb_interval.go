package scoring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// BGBBIntervals gives the predictions of a fitted BG/BB model confidence intervals
// that reflect the uncertainty of its four parameters, by the delta method or a
// parametric bootstrap ([BGBB.Intervals]), as Intervals does for the continuous-time models; the same caveats hold (they are not
// intervals for what a customer will do). It is safe for concurrent use.
type BGBBIntervals struct {
	Level              float64 // confidence level
	Replicates, Failed int     // bootstrap replicates that refitted and that failed; 0 for the delta method

	m     *BGBB
	u     []float64     // log α, log β, log γ, log δ
	cov   *mat.SymDense // delta method
	draws [][]float64   // bootstrap
}

func newBGBBIntervals(m *BGBB, rows []Opportunities, opt *IntervalOptions) (*BGBBIntervals, IntervalOptions, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, o, err
	}
	if m == nil {
		return nil, o, fmt.Errorf("%w: nil BG/BB model", ErrInvalid)
	}
	u := make([]float64, 4)
	for i, v := range []float64{m.Alpha, m.Beta, m.Gamma, m.Delta} {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, o, fmt.Errorf("%w: BG/BB parameter %s = %v", ErrInvalid, bgbbNames[i], v)
		}
		u[i] = math.Log(v)
	}
	// The information is of rows' likelihood at m's parameters: rows of opportunities
	// spaced otherwise than m's would be read as m's.
	unit, err := unitOf(rows, func(o Opportunities) time.Duration { return o.Unit })
	if err == nil {
		err = sameUnit(m.Unit, unit, bgbbUnitFix)
	}
	if err != nil {
		return nil, o, errorf("rows: %w", err)
	}
	if _, _, err := bgbbProblem(rows); err != nil {
		return nil, o, err
	}
	return &BGBBIntervals{Level: o.Level, m: m, u: u}, o, nil
}

// Intervals returns the intervals of m, fitted on rows, by opt.Method.
//
// By the delta method (Delta, the default) the covariance of the log-parameters is
// the inverse of the observed information (the negative Hessian of Fader, Hardie &
// Shang's eq. 5 at the estimates, by central differences), and a prediction's
// variance is ∇fᵀ Σ ∇f on the logit or log scale (Casella & Berger 2002, §5.5.4;
// see NewIntervals). Parameters a boundary fit holds are taken as known; a fit whose
// likelihood is nearly flat towards a limit of its parameters is refused, as by
// NewIntervals.
//
// By the bootstrap (Bootstrap) each replicate draws, for every customer of every row
// (Weight of them, rounded), p ~ Beta(α, β) and θ ~ Beta(γ, δ), and follows the
// customer over the row's N opportunities (dropping out at the start of each with
// probability θ, transacting while alive with probability p), refits BG/BB to the
// histories, and keeps the parameters; an interval is the percentiles of a
// prediction over the replicates (Efron & Tibshirani 1993, ch. 6 and 13). The base
// must then have between MinCustomers and 10^7 customers.
func (m *BGBB) Intervals(rows []Opportunities, opt *IntervalOptions) (*BGBBIntervals, error) {
	iv, o, err := newBGBBIntervals(m, rows, opt)
	if err != nil {
		return nil, err
	}
	if o.Method == Bootstrap {
		return iv.bootstrap(rows, o)
	}
	lk, _, err := bgbbProblem(rows)
	if err != nil {
		return nil, err
	}
	cov := mat.NewSymDense(4, nil)
	if err := logParamCovariance(cov, 0, lk, iv.u, m.Fit, o.Level); err != nil {
		return nil, err
	}
	iv.cov = cov
	return iv, nil
}

// bootstrap fills in the bootstrap's replicates (see BGBB.Intervals).
func (iv *BGBBIntervals) bootstrap(rows []Opportunities, o IntervalOptions) (*BGBBIntervals, error) {
	m := iv.m
	var total float64
	for _, r := range rows {
		total += math.Round(r.Weight)
	}
	if total < MinCustomers || total > 1e7 {
		return nil, fmt.Errorf("%w: BG/BB bootstrap of %v customers, want %d to 1e7", ErrInvalid, total, MinCustomers)
	}
	var fo FitOptions
	if o.Fit != nil {
		fo = *o.Fit
	}
	fo.Progress = nil
	fo.Workers = 1
	draws, failed, first := replicate(o, func(rng *rand.Rand) ([]float64, error) {
		type key struct{ x, tx, n int }
		counts := map[key]float64{}
		var order []key
		for _, r := range rows {
			for range int(math.Round(r.Weight)) {
				x, tx := drawBGBB(rng, m.Alpha, m.Beta, m.Gamma, m.Delta, r.N)
				k := key{x, tx, r.N}
				if counts[k] == 0 {
					order = append(order, k)
				}
				counts[k]++
			}
		}
		sim := make([]Opportunities, len(order))
		for i, k := range order {
			sim[i] = Opportunities{Frequency: k.x, Recency: k.tx, N: k.n, Weight: counts[k]}
		}
		f, err := FitBGBB(sim, &fo)
		if err != nil {
			return nil, err
		}
		return []float64{math.Log(f.Alpha), math.Log(f.Beta), math.Log(f.Gamma), math.Log(f.Delta)}, nil
	})
	iv.draws, iv.Failed = draws, failed
	iv.Replicates = len(iv.draws)
	if iv.Failed*2 > o.Replicates {
		return nil, errorf("BG/BB bootstrap: %d of %d refits failed, the first with: %w", iv.Failed, o.Replicates, first)
	}
	return iv, nil
}

// drawBGBB draws a BG/BB customer's transactions and the opportunity of the last over
// n opportunities after the first (Fader, Hardie & Shang 2010, section 2).
func drawBGBB(rng *rand.Rand, alpha, beta, gamma, delta float64, n int) (x, tx int) {
	p := distuv.Beta{Alpha: alpha, Beta: beta, Src: rng}.Rand()
	theta := distuv.Beta{Alpha: gamma, Beta: delta, Src: rng}.Rand()
	for t := 1; t <= n; t++ {
		if rng.Float64() < theta {
			break
		}
		if rng.Float64() < p {
			x, tx = x+1, t
		}
	}
	return x, tx
}

// interval returns the interval of f(model).
func (iv *BGBBIntervals) interval(sc scale, f func(m *BGBB) float64) Interval {
	return paramInterval(iv.Level, iv.u, iv.cov, iv.draws, sc, func(u []float64) float64 {
		if u == nil {
			return f(iv.m)
		}
		return f(&BGBB{Alpha: math.Exp(u[0]), Beta: math.Exp(u[1]), Gamma: math.Exp(u[2]), Delta: math.Exp(u[3])})
	})
}

// bgbbUnitFix says what to do with histories of another spacing than the model's.
const bgbbUnitFix = "count the opportunities at the model's spacing"

// checkOpportunities checks the intervals were made by BGBB.Intervals, a history, its spacing against the model's (a history
// of yearly opportunities read as monthly ones is twelve times shorter, without a
// sign), and counts.
func (iv *BGBBIntervals) checkOpportunities(c Opportunities, counts ...int) error {
	if iv == nil || iv.m == nil {
		return fmt.Errorf("%w: nil or zero BGBBIntervals; make them with BGBB.Intervals", ErrInvalid)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := sameUnit(iv.m.Unit, c.Unit, bgbbUnitFix); err != nil {
		return err
	}
	for _, n := range counts {
		if n < 0 {
			return fmt.Errorf("%w: negative count %d", ErrInvalid, n)
		}
	}
	return nil
}

// PAlive returns the interval of BGBB.PAlive(c).
func (iv *BGBBIntervals) PAlive(c Opportunities) (Interval, error) {
	if err := iv.checkOpportunities(c); err != nil {
		return Interval{}, err
	}
	return iv.interval(probScale, func(m *BGBB) float64 { return m.PAlive(c) }), nil
}

// ExpectedPurchases returns the interval of BGBB.ExpectedPurchases(future, c).
func (iv *BGBBIntervals) ExpectedPurchases(future int, c Opportunities) (Interval, error) {
	if err := iv.checkOpportunities(c, future); err != nil {
		return Interval{}, err
	}
	return iv.interval(positiveScale, func(m *BGBB) float64 { return m.ExpectedPurchases(future, c) }), nil
}

// PurchaseProb returns the interval of BGBB.PurchaseProb(future, k, c).
func (iv *BGBBIntervals) PurchaseProb(future, k int, c Opportunities) (Interval, error) {
	if err := iv.checkOpportunities(c, future, k); err != nil {
		return Interval{}, err
	}
	return iv.interval(probScale, func(m *BGBB) float64 { return m.PurchaseProb(future, k, c) }), nil
}

// ExpectedPurchasesNew returns the interval of BGBB.ExpectedPurchasesNew(n).
func (iv *BGBBIntervals) ExpectedPurchasesNew(n int) (Interval, error) {
	if err := iv.checkOpportunities(Opportunities{}, n); err != nil {
		return Interval{}, err
	}
	return iv.interval(positiveScale, func(m *BGBB) float64 { return m.ExpectedPurchasesNew(n) }), nil
}

// PurchaseProbNew returns the interval of BGBB.PurchaseProbNew(n, k).
func (iv *BGBBIntervals) PurchaseProbNew(n, k int) (Interval, error) {
	if err := iv.checkOpportunities(Opportunities{}, n, k); err != nil {
		return Interval{}, err
	}
	return iv.interval(probScale, func(m *BGBB) float64 { return m.PurchaseProbNew(n, k) }), nil
}
