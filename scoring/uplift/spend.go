package uplift

import (
	"fmt"
	"math"
	"runtime"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/scoring"
)

// Outcome is what a campaign's outcome measures, and so what a Model's uplift is in.
type Outcome uint8

const (
	// Conversion: whether the profile bought (Fit). Uplift is a difference of
	// probabilities, in [-1, 1].
	Conversion Outcome = iota
	// Spend: how much the profile spent during the campaign (FitSpend), 0 for a
	// non-buyer. Uplift is E[spend | treated, x] - E[spend | control, x], in currency.
	Spend
)

var outcomeNames = [...]string{"conversion", "spend"}

// FitSpend estimates the uplift in spend from a randomised campaign: x and treated as
// for Fit, spend what each profile spent (0 for a non-buyer; finite, not negative and at most
// scoring.MaxAmount, the SDK's bound on money). Each arm must
// have at least two rows. The base models are ridge regressions (Linear, penalty
// FitOptions.Lambda); FitOptions.Logistic tunes only the X-learner's fitted
// propensity. The learners are those of Fit, with a continuous outcome:
//
//   - TwoModel regresses spend on x in each arm and scores the difference
//     (Künzel et al. 2019, eq. 3).
//   - ClassTransformation becomes the transformed outcome of Athey & Imbens (2015,
//     eq. 2.3), Y* = Y (T - p)/(p (1 - p)), whose conditional mean is the uplift, and
//     regresses it on x; the class transformation is its binary form.
//   - XLearner imputes D = Y - μ₀(x) for treated rows and μ₁(x) - Y for control rows
//     with the spend models and regresses D on x in each arm, as Fit does for
//     conversions, without the clipping to [-1, 1].
//
// The uplift is linear in x; features that interact with the promotion (a basket
// size that scales the effect) enter as products the caller adds. With linear base
// models fitted on the same rows the X-learner's effect models reproduce the
// T-learner's difference but for the ridge shrinkage (a least-squares fit of a linear
// function returns it), so the two learners differ little unless FitPropensity weighs
// the arms per profile; the X-learner is kept for its interface.
func FitSpend(x [][]float64, treated []bool, spend []float64, opts *FitOptions) (*Model, error) {
	var o FitOptions
	if opts != nil {
		o = *opts
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	if len(x) != len(treated) || len(x) != len(spend) {
		return nil, fmt.Errorf("%w: %s, %s, %s", ErrInvalid, english.Count(len(x), "feature row"), english.Count(len(treated), "treatment flag"), english.Count(len(spend), "spend"))
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrInvalid)
	}
	if err := checkRows(x, len(x[0])); err != nil {
		return nil, err
	}
	if err := o.checkNames(len(x[0])); err != nil {
		return nil, err
	}
	if err := checkSpend(spend); err != nil {
		return nil, err
	}
	var arms campaignArms
	for i, t := range treated {
		if t {
			arms.treated = append(arms.treated, i)
		} else {
			arms.control = append(arms.control, i)
		}
	}
	if len(arms.treated) < 2 || len(arms.control) < 2 {
		return nil, fmt.Errorf("%w: %s and %s; each arm needs two", ErrInvalid, english.Count(len(arms.treated), "treated row"), english.Count(len(arms.control), "control row"))
	}
	if err := checkPropensity(o.Propensity, len(arms.treated), len(x)); err != nil {
		return nil, err
	}
	m := &Model{Learner: o.Learner, Outcome: Spend, Propensity: o.Propensity}
	if m.Propensity == 0 {
		m.Propensity = float64(len(arms.treated)) / float64(len(x))
	}
	lambda := o.lambda()
	workers := runtime.GOMAXPROCS(0)
	half := max(1, workers/2)
	y := func(i int) float64 { return spend[i] }
	var err error
	if o.Learner == ClassTransformation {
		p := m.Propensity
		all := make([]int, len(x))
		for i := range all {
			all[i] = i
		}
		m.SpendTransformed, err = fitLinear(x, all, func(i int) float64 {
			t := 0.0
			if treated[i] {
				t = 1
			}
			return spend[i] * (t - p) / (p * (1 - p))
		}, nil, nil, lambda, workers)
		return m, err
	}
	if m.SpendTreated, m.SpendControl, err = pair(
		func() (*Linear, error) { return fitLinear(x, arms.treated, y, nil, nil, lambda, half) },
		func() (*Linear, error) { return fitLinear(x, arms.control, y, nil, nil, lambda, half) }); err != nil {
		return nil, err
	}
	if o.Learner == TwoModel {
		return m, nil
	}
	if err := m.fitEffects(x, treated, arms, y,
		arm{m.SpendTreated.Mean, m.SpendTreated.Scale, m.SpendTreated.index().eta},
		arm{m.SpendControl.Mean, m.SpendControl.Scale, m.SpendControl.index().eta}, o, half); err != nil {
		return nil, err
	}
	return m, nil
}

// checkSpend refuses a spend that is not finite, is negative or is over
// scoring.MaxAmount, in FitSpend, EvaluateSpend and CheckSpend alike. sklift defines
// the curves and their normalisation for outcomes of 0 and 1, which spend generalises
// as an amount of at least 0; a negative one (a refund netted out) was refused by
// FitSpend but taken by EvaluateSpend, where spends of 5 and -5 summed to a campaign
// "without spend". MaxAmount (1e15) is the SDK's bound on a money figure, which
// scoring's readers and fits refuse past: it keeps the curves' sums and areas finite
// (a sum at most 1e15 times 2^32 rows, 4e24, an area 2^32 times that, 2e34, and a
// decile's sum of squares 4e39). Five spends of
// 1e307 in 2,000 rows overflowed them, and EvaluateSpend returned a Qini coefficient
// and AUUC of NaN [NaN, NaN] without an error (TestSpendOverMaxAmount).
func checkSpend(spend []float64) error {
	for i, v := range spend {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("%w: spend %d is %v, want finite and not negative", ErrInvalid, i, v)
		}
		if v > scoring.MaxAmount {
			return fmt.Errorf("%w: spend %d is %v, over scoring.MaxAmount, %g: not a money figure", ErrInvalid, i, v, float64(scoring.MaxAmount))
		}
	}
	return nil
}
