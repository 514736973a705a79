package scoring

import (
	"math"

	"github.com/clientele-go/clientele/internal/stats"
)

// Model is a fitted continuous-time buy-till-you-die model: *BGNBD, *MBGNBD or
// *ParetoNBD. Times are in the unit of the customers the model was fitted on. A
// Model's methods only read it, so a fitted model is safe for concurrent use.
//
// The methods take a customer that passes Customer.Validate and a horizon t >= 0; for
// anything else they return 0 (never NaN), and so do a nil model and one whose
// parameters are not all positive numbers. Score, CLV, Forecast and CheckHoldout
// check their input and return errors instead.
type Model interface {
	// ExpectedPurchases returns E[X(T, T+t) | c]: the purchases c is expected to make
	// in the next t after the end of its observation period.
	ExpectedPurchases(t float64, c Customer) float64
	// PAlive returns the probability that c is still active at its age T.
	PAlive(c Customer) float64
	// PurchaseProb returns P(X(T, T+t) = n | c).
	PurchaseProb(t float64, n int, c Customer) float64
	// ExpectedPurchasesNew returns E[X(t)] for a customer just acquired.
	ExpectedPurchasesNew(t float64) float64
	// PurchaseProbNew returns P(X(t) = n) for a customer just acquired.
	PurchaseProbNew(t float64, n int) float64
}

var (
	_ Model = (*BGNBD)(nil)
	_ Model = (*MBGNBD)(nil)
	_ Model = (*ParetoNBD)(nil)
)

// positive reports whether every value is a positive number (not NaN, not +Inf): the
// parameters of every model of the package, whose special functions return NaN
// outside that range or, in gonum's incomplete beta, panic.
func positive(vs ...float64) bool {
	for _, v := range vs {
		if !(v > 0 && v <= math.MaxFloat64) {
			return false
		}
	}
	return true
}

// usable reports whether a model can predict: not nil, its parameters positive
// numbers. The methods of one that cannot answer as they do for invalid input.
func (m *BGNBD) usable() bool      { return m != nil && positive(m.R, m.Alpha, m.A, m.B) }
func (m *MBGNBD) usable() bool     { return m != nil && positive(m.R, m.Alpha, m.A, m.B) }
func (m *ParetoNBD) usable() bool  { return m != nil && positive(m.R, m.Alpha, m.S, m.Beta) }
func (m *BGBB) usable() bool       { return m != nil && positive(m.Alpha, m.Beta, m.Gamma, m.Delta) }
func (m *SBG) usable() bool        { return m != nil && positive(m.Gamma, m.Delta) }
func (m *GammaGamma) usable() bool { return m != nil && positive(m.P, m.Q, m.Gamma) }

// usable reports whether a prediction's inputs are valid; the Model methods answer 0
// for anything else.
func usable(t float64, c Customer) bool {
	return checkHorizon(t) == nil && c.Validate() == nil
}

// process is the purchasing of a customer known to be alive at its start: a new
// customer, or an observed customer from its age T on, with the parameters updated by
// its history. Implementations may assume t > 0 and n >= 0.
type process interface {
	mean(t float64) float64       // E[X(t)]
	pmf(t float64, n int) float64 // P(X(t) = n)
}

// mixture is a customer who is alive with probability alive and then follows p, and
// otherwise never buys again. Every prediction of the three models is one: a customer
// with a history is alive with probability P(alive) and then follows the posterior
// process; a new MBG/NBD customer survives the dropout chance at the first purchase.
type mixture[P process] struct {
	alive float64
	p     P
}

func (m mixture[P]) mean(t float64) float64 { return m.alive * m.p.mean(t) }

func (m mixture[P]) pmf(t float64, n int) float64 {
	p := m.alive * m.p.pmf(t, n)
	if n == 0 {
		p += 1 - m.alive
	}
	return stats.Clamp01(p)
}

// btyd is what the three continuous-time models share: P(alive), the process P of a
// customer alive at T given the history, and the process of a new customer. (P is a
// type parameter so that scoring a customer does not box its process.)
type btyd[P process] interface {
	PAlive(c Customer) float64
	posterior(c Customer) P
	newCustomer() process
}

// The Model methods of the three models, in terms of btyd: validation, the trivial
// horizon t = 0, and the mixture of dead and alive.

func expectedGiven[P process](m btyd[P], t float64, c Customer) float64 {
	if !usable(t, c) || t == 0 {
		return 0
	}
	return mixture[P]{m.PAlive(c), m.posterior(c)}.mean(t)
}

func probGiven[P process](m btyd[P], t float64, n int, c Customer) float64 {
	if !usable(t, c) || n < 0 {
		return 0
	}
	if t == 0 {
		return pointMass(n)
	}
	return mixture[P]{m.PAlive(c), m.posterior(c)}.pmf(t, n)
}

func expectedNew[P process](m btyd[P], t float64) float64 {
	if checkHorizon(t) != nil || t == 0 {
		return 0
	}
	return m.newCustomer().mean(t)
}

func probNew[P process](m btyd[P], t float64, n int) float64 {
	if checkHorizon(t) != nil || n < 0 {
		return 0
	}
	if t == 0 {
		return pointMass(n)
	}
	return stats.Clamp01(m.newCustomer().pmf(t, n))
}

// pointMass is P(X(0) = n): nobody buys in no time.
func pointMass(n int) float64 {
	if n == 0 {
		return 1
	}
	return 0
}
