package scoring

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// SBGIntervals gives the predictions of a fitted SBG confidence intervals that
// reflect the uncertainty of its two parameters, by the delta method or a parametric
// bootstrap ([SBG.Intervals]), as Intervals does for the buy-till-you-die models. It is safe for concurrent use.
type SBGIntervals struct {
	Level              float64 // confidence level
	Replicates, Failed int     // bootstrap replicates that refitted and that failed; 0 for the delta method

	m     *SBG
	u     []float64     // log γ, log δ
	cov   *mat.SymDense // delta method
	draws [][]float64   // bootstrap
}

func newSBGIntervals(m *SBG, survivors []float64, opt *IntervalOptions) (*SBGIntervals, IntervalOptions, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, o, err
	}
	if m == nil {
		return nil, o, fmt.Errorf("%w: nil sBG model", ErrInvalid)
	}
	if !(m.Gamma > 0) || !(m.Delta > 0) || math.IsInf(m.Gamma, 1) || math.IsInf(m.Delta, 1) {
		return nil, o, fmt.Errorf("%w: sBG parameters gamma %v, delta %v", ErrInvalid, m.Gamma, m.Delta)
	}
	if err := checkSurvivors(survivors); err != nil {
		return nil, o, err
	}
	return &SBGIntervals{Level: o.Level, m: m, u: []float64{math.Log(m.Gamma), math.Log(m.Delta)}}, o, nil
}

// Intervals returns the intervals of m, fitted on the survivor counts survivors, by
// opt.Method. By the delta method (Delta, the default) the covariance of
// (log γ, log δ) is the inverse of the observed information there (a fit whose
// likelihood is nearly flat towards a limit of γ, δ is refused, as by NewIntervals). By the bootstrap
// (Bootstrap) each replicate follows a cohort of survivors[0] customers (rounded)
// over the same periods, each with θ ~ Beta(γ, δ) and a churn chance θ per period,
// refits, and keeps the parameters; it needs a cohort of at least MinCustomers
// customers.
func (m *SBG) Intervals(survivors []float64, opt *IntervalOptions) (*SBGIntervals, error) {
	iv, o, err := newSBGIntervals(m, survivors, opt)
	if err != nil {
		return nil, err
	}
	if o.Method == Bootstrap {
		return iv.bootstrap(survivors, o)
	}
	cov := mat.NewSymDense(2, nil)
	if err := logParamCovariance(cov, 0, sbgProblem(survivors), iv.u, m.Fit, o.Level); err != nil {
		return nil, err
	}
	iv.cov = cov
	return iv, nil
}

// bootstrap fills in the bootstrap's replicates (see SBG.Intervals).
func (iv *SBGIntervals) bootstrap(survivors []float64, o IntervalOptions) (*SBGIntervals, error) {
	m := iv.m
	n := int(math.Round(survivors[0]))
	if n < MinCustomers || n > 1e8 {
		return nil, fmt.Errorf("%w: sBG bootstrap of a cohort of %v customers, want %d to 1e8", ErrInvalid, survivors[0], MinCustomers)
	}
	var fo FitOptions
	if o.Fit != nil {
		fo = *o.Fit
	}
	fo.Progress = nil
	periods := len(survivors) - 1
	draws, failed, first := replicate(o, func(rng *rand.Rand) ([]float64, error) {
		s := make([]float64, periods+1)
		for range n {
			theta := distuv.Beta{Alpha: m.Gamma, Beta: m.Delta, Src: rng}.Rand()
			s[0]++
			for t := 1; t <= periods && rng.Float64() >= theta; t++ {
				s[t]++
			}
		}
		f, err := FitSBG(s, &fo)
		if err != nil {
			return nil, err
		}
		return []float64{math.Log(f.Gamma), math.Log(f.Delta)}, nil
	})
	iv.draws, iv.Failed = draws, failed
	iv.Replicates = len(iv.draws)
	if iv.Failed*2 > o.Replicates {
		return nil, errorf("sBG bootstrap: %d of %d refits failed, the first with: %w", iv.Failed, o.Replicates, first)
	}
	return iv, nil
}

// nanInterval is the answer of nil or zero SBGIntervals (made without
// SBG.Intervals) where no error can be returned, as SBG's methods answer NaN for a
// nil model: no model, no figure.
var nanInterval = Interval{Estimate: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}

// errZeroSBGIntervals is the error of nil or zero SBGIntervals.
var errZeroSBGIntervals = fmt.Errorf("%w: nil or zero SBGIntervals; make them with SBG.Intervals", ErrInvalid)

// interval returns the interval of f(model).
func (iv *SBGIntervals) interval(sc scale, f func(m *SBG) float64) Interval {
	return paramInterval(iv.Level, iv.u, iv.cov, iv.draws, sc, func(u []float64) float64 {
		if u == nil {
			return f(iv.m)
		}
		return f(&SBG{Gamma: math.Exp(u[0]), Delta: math.Exp(u[1])})
	})
}

// Survival returns the interval of SBG.Survival(t).
func (iv *SBGIntervals) Survival(t int) Interval {
	if iv == nil || iv.m == nil {
		return nanInterval
	}
	return iv.interval(probScale, func(m *SBG) float64 { return m.Survival(t) })
}

// Retention returns the interval of SBG.Retention(t).
func (iv *SBGIntervals) Retention(t int) Interval {
	if iv == nil || iv.m == nil {
		return nanInterval
	}
	return iv.interval(probScale, func(m *SBG) float64 { return m.Retention(t) })
}

// DERL returns the interval of SBG.DERL(d, renewals); it needs d > 0 and renewals >= 0.
func (iv *SBGIntervals) DERL(d float64, renewals int) (Interval, error) {
	if iv == nil || iv.m == nil {
		return Interval{}, errZeroSBGIntervals
	}
	if !(d > 0) || math.IsInf(d, 1) || renewals < 0 {
		return Interval{}, fmt.Errorf("%w: DERL at discount rate %v after %d renewals", ErrInvalid, d, renewals)
	}
	return iv.interval(positiveScale, func(m *SBG) float64 { return m.DERL(d, renewals) }), nil
}
