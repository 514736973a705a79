package uplift

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/clientele-go/clientele/scoring"
)

// index is a fitted model's linear predictor folded onto the raw features: η = b0 +
// b·x, with b_j = Coef_j/Scale_j and b0 = Intercept - Σ b_j Mean_j, so that scoring a
// row is one dot product.
type index struct {
	b0 float64
	b  []float64
}

func newIndex(mean, scale []float64, intercept float64, coef []float64) index {
	l := index{b0: intercept, b: make([]float64, len(coef))}
	for j, c := range coef {
		l.b[j] = c / scale[j]
		l.b0 -= l.b[j] * mean[j]
	}
	return l
}

// logit is the linear predictor of a logistic model.
func logit(m *scoring.Logistic) index { return newIndex(m.Mean, m.Scale, m.Intercept, m.Coef) }

func (l index) eta(x []float64) float64 {
	s := l.b0
	for j, b := range l.b[:len(x)] {
		s += b * x[j]
	}
	return s
}

func (l index) prob(x []float64) float64 { return sigmoid(l.eta(x)) }

func sigmoid(eta float64) float64 {
	if eta >= 0 {
		return 1 / (1 + math.Exp(-eta))
	}
	e := math.Exp(eta)
	return e / (1 + e)
}

// Uplift returns the estimated uplift of every row of x: for a Conversion model
// P(buy | treated, x) - P(buy | control, x), a number in [-1, 1]; for a Spend model
// E[spend | treated, x] - E[spend | control, x]. Rows must have the model's features,
// all finite.
func (m *Model) Uplift(x [][]float64) ([]float64, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil uplift model", ErrInvalid)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	spend := m.Outcome == Spend
	var score func(x []float64) float64
	switch m.Learner {
	case TwoModel:
		if spend {
			t, c := m.SpendTreated.index(), m.SpendControl.index()
			score = func(x []float64) float64 { return t.eta(x) - c.eta(x) }
			break
		}
		t, c := logit(m.Treated), logit(m.Control)
		score = func(x []float64) float64 { return t.prob(x) - c.prob(x) }
	case ClassTransformation:
		if spend {
			score = m.SpendTransformed.index().eta
			break
		}
		z := logit(m.Transformed)
		score = func(x []float64) float64 { return 2*z.prob(x) - 1 }
	case XLearner:
		t, c := m.EffectTreated.index(), m.EffectControl.index()
		var g index
		if m.PropensityModel != nil {
			g = logit(m.PropensityModel)
		}
		p := m.Propensity
		score = func(x []float64) float64 {
			gx := p
			if g.b != nil {
				gx = g.prob(x)
			}
			// Künzel et al. 2019, eq. 9; a conversion uplift is clipped to the range of
			// a difference of probabilities.
			u := gx*c.eta(x) + (1-gx)*t.eta(x)
			if spend {
				return u
			}
			return max(-1, min(1, u))
		}
	default:
		return nil, fmt.Errorf("%w: model of learner %d", ErrInvalid, m.Learner)
	}
	return m.apply(x, score)
}

// Response returns, for every row of x, what a profile sent the promotion is expected
// to bring, which Target prices: P(buy | treated, x), the chance that it buys (and
// redeems its discount), for a Conversion model; E[spend | treated, x] for a Spend
// model, clipped at 0. The ClassTransformation learner does not model it; fit scoring.FitLogistic
// (or FitSpend's TwoModel) on the treated rows instead.
func (m *Model) Response(x [][]float64) ([]float64, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil uplift model", ErrInvalid)
	}
	if m.Learner == ClassTransformation {
		return nil, fmt.Errorf("%w: the %s learner does not model the treated response", ErrInvalid, m.Learner)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	if m.Outcome == Spend {
		t := m.SpendTreated.index()
		// A linear model of spend can go below 0 far from the data; spend cannot.
		return m.apply(x, func(x []float64) float64 { return max(0, t.eta(x)) })
	}
	t := logit(m.Treated)
	return m.apply(x, t.prob)
}

// apply checks x and scores its rows in parallel.
func (m *Model) apply(x [][]float64, score func([]float64) float64) ([]float64, error) {
	d := m.features()
	if err := checkRows(x, d); err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(x) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(x); lo += chunk {
		hi := min(lo+chunk, len(x))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i] = score(x[i])
			}
		})
	}
	wg.Wait()
	return out, nil
}

// check reports a model whose learner's base models are missing or of different
// feature counts (a Model built by hand or decoded partially).
func (m *Model) check() error {
	var need []*scoring.Logistic
	var effects []*Linear
	spend := m.Outcome == Spend
	switch {
	case m.Outcome > Spend:
		return fmt.Errorf("%w: model of outcome %d", ErrInvalid, m.Outcome)
	case m.Learner == TwoModel && spend:
		effects = []*Linear{m.SpendTreated, m.SpendControl}
	case m.Learner == TwoModel:
		need = []*scoring.Logistic{m.Treated, m.Control}
	case m.Learner == ClassTransformation && spend:
		effects = []*Linear{m.SpendTransformed}
	case m.Learner == ClassTransformation:
		need = []*scoring.Logistic{m.Transformed}
	case m.Learner == XLearner:
		effects = []*Linear{m.EffectTreated, m.EffectControl}
		if spend {
			effects = append(effects, m.SpendTreated, m.SpendControl)
		} else {
			need = []*scoring.Logistic{m.Treated, m.Control}
		}
		if m.PropensityModel != nil {
			need = append(need, m.PropensityModel)
		} else if !(m.Propensity > 0 && m.Propensity < 1) {
			return fmt.Errorf("%w: X-learner model with propensity %v", ErrInvalid, m.Propensity)
		}
	default:
		return fmt.Errorf("%w: model of learner %d", ErrInvalid, m.Learner)
	}
	d := -1
	shape := func(mean, scale, coef []float64) bool {
		if d < 0 {
			d = len(coef)
		}
		return len(mean) == d && len(scale) == d && len(coef) == d
	}
	for k, l := range need {
		if l == nil || !shape(l.Mean, l.Scale, l.Coef) {
			return fmt.Errorf("%w: %s model: base model %d missing or of another shape", ErrInvalid, m.Learner, k)
		}
	}
	for k, l := range effects {
		if l == nil || !shape(l.Mean, l.Scale, l.Coef) {
			return fmt.Errorf("%w: %s model: effect model %d missing or of another shape", ErrInvalid, m.Learner, k)
		}
	}
	return nil
}

func (m *Model) features() int {
	for _, l := range []*scoring.Logistic{m.Treated, m.Transformed} {
		if l != nil {
			return len(l.Coef)
		}
	}
	for _, l := range []*Linear{m.SpendTreated, m.SpendTransformed, m.EffectTreated} {
		if l != nil {
			return len(l.Coef)
		}
	}
	return 0
}
