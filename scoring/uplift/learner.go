package uplift

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/scoring"
)

// Learner names a way of estimating uplift from a randomised campaign.
type Learner uint8

const (
	// TwoModel (the T-learner) fits P(buy | x) separately on the treated and on the
	// control rows and scores their difference (Radcliffe & Surry 2011; Künzel et al.
	// 2019, eq. 3). Simple and unbiased for each arm; the difference of two noisy fits
	// is noisy where the effect is small beside the base rate.
	TwoModel Learner = iota
	// ClassTransformation fits one model of Z = 1 for treated buyers and control
	// non-buyers: with a treated share of 1/2, uplift = 2 P(Z=1 | x) - 1 (Jaskowski &
	// Jaroszewicz 2012, eq. 3). Other shares are brought to 1/2 by weighting treated
	// rows 1/(2p) and control rows 1/(2(1-p)), which is Athey & Imbens' (2015)
	// transformed outcome Y(T-p)/(p(1-p)) in classification form. One model, fitted to
	// the effect directly.
	ClassTransformation
	// XLearner (Künzel, Sekhon, Bickel & Yu 2019, section 3) fits the two outcome
	// models, imputes each treated row's effect as D = Y - μ₀(x) and each control row's
	// as D = μ₁(x) - Y (eq. 8), fits a model of each arm's imputed effects, τ₁ and τ₀,
	// and scores τ(x) = g(x) τ₀(x) + (1 - g(x)) τ₁(x) (eq. 9), g the propensity,
	// clipped to [-1, 1]. The effect models are ridge regressions of D (Linear): the
	// paper leaves the second-stage regressor open, and a linear one is solved by the
	// normal equations in one pass over each arm, reusing the arm's standardisation from
	// the first stage (causalml's BaseXRegressor with a linear learner does the same).
	// Best when the arms differ in size or the effect is simpler than the outcome.
	XLearner
)

var learnerNames = [...]string{"two-model", "class transformation", "X-learner"}

// String names the learner.
func (l Learner) String() string {
	if int(l) < len(learnerNames) {
		return learnerNames[l]
	}
	return fmt.Sprintf("Learner(%d)", uint8(l))
}

// FitOptions tune Fit. The zero value (or nil) fits a TwoModel learner with
// scoring's default logistic models.
type FitOptions struct {
	Learner Learner
	// Logistic tunes every base model (Lambda, MaxIterations, Workers, Names); its
	// Weights must be nil, since the learners set the weights.
	Logistic *scoring.LogisticOptions
	// Propensity is P(treated) of the randomisation; 0 means the treated share of the
	// rows. ClassTransformation weights by it; XLearner uses it as g. A propensity the
	// treated count rules out (a chance below 1e-9 of so many treated rows, by the
	// Chernoff bound: outside [0.40, 0.60] on 1,000 half-treated rows) is ErrInvalid.
	Propensity float64
	// Lambda is the L2 penalty of the linear models (the X-learner's effect models) on
	// their standardised coefficients [1]. Negative is ErrInvalid.
	Lambda float64
	// FitPropensity makes XLearner fit g(x) = P(treated | x) by logistic regression
	// instead of using one Propensity for everyone: for a campaign whose randomisation
	// share varied between groups.
	FitPropensity bool
}

// Model is a fitted uplift model. Its base models are exported for inspection and
// encoding (scoring.Logistic has MarshalJSON); which are set depends on the Learner.
// A Model is safe for concurrent use; a nil *Model's methods fail with ErrInvalid.
type Model struct {
	Learner Learner
	Outcome Outcome // Conversion (Fit) or Spend (FitSpend)
	// Treated and Control model P(buy | x) in each arm (TwoModel, XLearner; Conversion).
	Treated, Control *scoring.Logistic
	// Transformed models P(Z = 1 | x) (ClassTransformation; Conversion).
	Transformed *scoring.Logistic
	// SpendTreated and SpendControl model E[spend | x] in each arm (TwoModel, XLearner;
	// Spend); SpendTransformed models the transformed outcome (ClassTransformation;
	// Spend).
	SpendTreated, SpendControl, SpendTransformed *Linear
	// EffectTreated and EffectControl model the imputed effects τ₁(x) and τ₀(x)
	// (XLearner, either outcome).
	EffectTreated, EffectControl *Linear
	// Propensity is P(treated) used by ClassTransformation and XLearner; with
	// FitPropensity, PropensityModel models it per profile instead.
	Propensity      float64
	PropensityModel *scoring.Logistic
}

// Fit estimates uplift from a randomised campaign: x holds one feature row per profile
// (all of one length), treated whether the profile was sent the promotion, converted
// whether it bought. Both arms must have buyers and non-buyers. Inputs are not
// modified.
func Fit(x [][]float64, treated, converted []bool, opts *FitOptions) (*Model, error) {
	var o FitOptions
	if opts != nil {
		o = *opts
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	var lo scoring.LogisticOptions
	if o.Logistic != nil {
		lo = *o.Logistic
	}
	arms, err := checkCampaign(x, treated, converted)
	if err != nil {
		return nil, err
	}
	if err := o.checkNames(len(x[0])); err != nil {
		return nil, err
	}
	if err := checkPropensity(o.Propensity, len(arms.treated), len(x)); err != nil {
		return nil, err
	}
	m := &Model{Learner: o.Learner, Propensity: o.Propensity}
	if m.Propensity == 0 {
		m.Propensity = float64(len(arms.treated)) / float64(len(x))
	}
	if lo.Workers <= 0 {
		lo.Workers = runtime.GOMAXPROCS(0)
	}
	// The two models of a pair (one per arm) are fitted side by side, each on half the
	// workers: a fit's preparation (checks, standardisation, the design copy) runs on one
	// goroutine, so a pair shares the cores better than two fits one after the other.
	half := max(1, lo.Workers/2)
	fit := func(name string, x [][]float64, y []bool, w []float64) (*scoring.Logistic, error) {
		lo := lo
		lo.Weights = w
		if name != "transformed-class" {
			lo.Workers = half
		}
		l, err := scoring.FitLogistic(x, y, &lo)
		if err != nil {
			return nil, fmt.Errorf("uplift: %s %s model: %w", o.Learner, name, err)
		}
		return l, nil
	}
	switch o.Learner {
	case TwoModel, XLearner:
		if m.Treated, m.Control, err = pair(
			func() (*scoring.Logistic, error) {
				return fit("treated-outcome", rows(x, arms.treated), pick(converted, arms.treated), nil)
			},
			func() (*scoring.Logistic, error) {
				return fit("control-outcome", rows(x, arms.control), pick(converted, arms.control), nil)
			}); err != nil {
			return nil, err
		}
	case ClassTransformation:
		z, w := make([]bool, len(x)), make([]float64, len(x))
		for i, t := range treated {
			z[i] = t == converted[i]
			w[i] = 0.5 / (1 - m.Propensity)
			if t {
				w[i] = 0.5 / m.Propensity
			}
		}
		if m.Transformed, err = fit("transformed-class", x, z, w); err != nil {
			return nil, err
		}
		return m, nil
	}
	if o.Learner == TwoModel {
		return m, nil
	}
	// X-learner stage 2, with the arms' probabilities as μ₁ and μ₀.
	outcome := func(i int) float64 {
		if converted[i] {
			return 1
		}
		return 0
	}
	if err := m.fitEffects(x, treated, arms, outcome,
		arm{m.Treated.Mean, m.Treated.Scale, logit(m.Treated).prob},
		arm{m.Control.Mean, m.Control.Scale, logit(m.Control).prob}, o, half); err != nil {
		return nil, err
	}
	return m, nil
}

// arm is what the X-learner's second stage takes from one arm's outcome model: its
// feature standardisation, which the arm's effect model reuses, and μ(x).
type arm struct {
	mean, scale []float64
	mu          func(x []float64) float64
}

// fitEffects is the X-learner's second stage for either outcome (Künzel et al. 2019,
// eq. 8): it imputes D = Y - μ₀(x) on the treated rows and D = μ₁(x) - Y on the
// control rows, y(i) being row i's outcome, regresses D on x in each arm, each on half
// the workers, and with FitPropensity fits g(x).
func (m *Model) fitEffects(x [][]float64, treated []bool, arms campaignArms, y func(i int) float64, t, c arm, o FitOptions, half int) error {
	lambda := o.lambda()
	var err error
	if m.EffectTreated, m.EffectControl, err = pair(
		func() (*Linear, error) {
			return fitLinear(x, arms.treated, func(i int) float64 { return y(i) - c.mu(x[i]) }, t.mean, t.scale, lambda, half)
		},
		func() (*Linear, error) {
			return fitLinear(x, arms.control, func(i int) float64 { return t.mu(x[i]) - y(i) }, c.mean, c.scale, lambda, half)
		}); err != nil {
		return err
	}
	if o.FitPropensity {
		if m.PropensityModel, err = fitPropensity(x, treated, o); err != nil {
			return err
		}
	}
	return nil
}

// check checks the options that do not depend on the data.
func (o FitOptions) check() error {
	switch {
	case o.Learner > XLearner:
		return fmt.Errorf("%w: learner %d", ErrInvalid, o.Learner)
	case o.Logistic != nil && o.Logistic.Weights != nil:
		return fmt.Errorf("%w: FitOptions.Logistic.Weights is set; the learners weight the rows themselves", ErrInvalid)
	case math.IsNaN(o.Lambda) || math.IsInf(o.Lambda, 0) || o.Lambda < 0:
		return fmt.Errorf("%w: FitOptions.Lambda %v", ErrInvalid, o.Lambda)
	case o.Logistic != nil && !(o.Logistic.Lambda >= 0 && !math.IsInf(o.Logistic.Lambda, 0)):
		// Checked here, not left to scoring.FitLogistic, so that a bad option is
		// uplift's ErrInvalid, refused before any fit, like every other option.
		return fmt.Errorf("%w: FitOptions.Logistic.Lambda %v", ErrInvalid, o.Logistic.Lambda)
	case math.IsNaN(o.Propensity) || o.Propensity < 0 || o.Propensity >= 1:
		return fmt.Errorf("%w: propensity %v, want 0 (the treated share) or within (0, 1)", ErrInvalid, o.Propensity)
	}
	return nil
}

// checkNames checks the logistic options' feature names against the rows' width.
func (o FitOptions) checkNames(features int) error {
	if o.Logistic != nil && o.Logistic.Names != nil && len(o.Logistic.Names) != features {
		return fmt.Errorf("%w: FitOptions.Logistic.Names has %s for %s", ErrInvalid,
			english.Count(len(o.Logistic.Names), "name"), english.Count(features, "feature"))
	}
	return nil
}

func (o FitOptions) lambda() float64 {
	if o.Lambda == 0 {
		return 1
	}
	return o.Lambda
}

// fitPropensity fits the X-learner's g(x) = P(treated | x).
func fitPropensity(x [][]float64, treated []bool, o FitOptions) (*scoring.Logistic, error) {
	var lo scoring.LogisticOptions
	if o.Logistic != nil {
		lo = *o.Logistic
	}
	m, err := scoring.FitLogistic(x, treated, &lo)
	if err != nil {
		return nil, fmt.Errorf("uplift: %s propensity model: %w", o.Learner, err)
	}
	return m, nil
}

// pair runs two fits concurrently and returns the first error in argument order.
func pair[M any](a, b func() (M, error)) (M, M, error) {
	var mb, zero M
	var errB error
	var wg sync.WaitGroup
	wg.Go(func() { mb, errB = b() })
	ma, errA := a()
	wg.Wait()
	if errA != nil {
		return zero, zero, errA
	}
	if errB != nil {
		return zero, zero, errB
	}
	return ma, mb, nil
}

type campaignArms struct{ treated, control []int }

// checkCampaign checks the lengths and values of a campaign and returns the rows of
// each arm.
func checkCampaign(x [][]float64, treated, converted []bool) (campaignArms, error) {
	var a campaignArms
	if len(x) != len(treated) || len(x) != len(converted) {
		return a, fmt.Errorf("%w: %s, %s, %s", ErrInvalid, english.Count(len(x), "feature row"), english.Count(len(treated), "treatment flag"), english.Count(len(converted), "outcome"))
	}
	if len(x) == 0 {
		return a, fmt.Errorf("%w: no rows", ErrInvalid)
	}
	if err := checkRows(x, len(x[0])); err != nil {
		return a, err
	}
	var buyers [2]int
	for i, t := range treated {
		arm := 0
		if t {
			a.treated = append(a.treated, i)
			arm = 1
		} else {
			a.control = append(a.control, i)
		}
		if converted[i] {
			buyers[arm]++
		}
	}
	for arm, name := range []string{"control", "treated"} {
		size := len(a.control)
		if arm == 1 {
			size = len(a.treated)
		}
		if buyers[arm] == 0 || buyers[arm] == size {
			return a, fmt.Errorf("%w: the %s arm has %s, %s among them; each arm needs buyers and non-buyers", ErrInvalid, name, english.Count(size, "row"), english.Count(buyers[arm], "buyer"))
		}
	}
	return a, nil
}

// checkRows checks that every row has d finite features.
func checkRows(x [][]float64, d int) error {
	for i, row := range x {
		if len(row) != d {
			return fmt.Errorf("%w: row %d has %s, want %d", ErrInvalid, i, english.Count(len(row), "feature"), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: row %d, feature %d is %v", ErrInvalid, i, j, v)
			}
		}
	}
	return nil
}

func rows(x [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for k, i := range idx {
		out[k] = x[i]
	}
	return out
}

func pick(v []bool, idx []int) []bool {
	out := make([]bool, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
