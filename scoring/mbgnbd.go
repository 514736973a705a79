package scoring

import (
	"math"
	"time"
)

// MBGNBD is a fitted MBG/NBD model (Batislam, Denizel & Filiztekin 2007): BG/NBD in
// which a customer may also drop out right after the first purchase, so that a
// customer with no repeat purchase is not assumed alive. Parameters as in BGNBD. An
// MBGNBD is safe for concurrent use once fitted.
type MBGNBD struct {
	R, Alpha, A, B float64
	LogLik         float64
	Unit           time.Duration
	Fit            Diagnostics // standard errors in the order R, Alpha, A, B
}

// FitMBGNBD fits MBG/NBD by maximum likelihood (Batislam et al. 2007, eq. 4), with the
// grouping and parallel evaluation of FitBGNBD, and its ErrBurst for repeat purchases
// at recency 0.
func FitMBGNBD(cs []Customer, opt *FitOptions) (*MBGNBD, error) {
	o := opt.withDefaults()
	unit, err := unitOf(cs, customerUnit)
	if err != nil {
		return nil, err
	}
	g, err := groupForFit("MBG/NBD", cs, o.Weights)
	if err != nil {
		return nil, err
	}
	b := findBursts("MBG/NBD", cs, o.Weights)
	if err := b.before(); err != nil {
		return nil, err
	}
	theta, ll, d, err := fitGrouped(g, betaGeoBuild("MBG/NBD", 1, o.Workers), o)
	if err := b.after(err, []string{"alpha"}, scalesOf(theta, 1)...); err != nil {
		return nil, err
	}
	return &MBGNBD{R: theta[0], Alpha: theta[1], A: theta[2], B: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// posterior is the process of c from T on given alive: x+1 dropout chances survived.
func (m *MBGNBD) posterior(c Customer) betaGeo {
	x := float64(c.Frequency)
	return betaGeo{m.R + x, m.Alpha + c.T, m.A, m.B + x + 1}
}

// PAlive returns P(alive | x, t_x, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))
// (Batislam et al. 2007, eq. 6).
func (m *MBGNBD) PAlive(c Customer) float64 {
	if !m.usable() {
		return 0
	}
	if !usable(0, c) {
		return 0
	}
	x := float64(c.Frequency)
	d := math.Log(m.A) - math.Log(m.B+x) + (m.R+x)*(math.Log(m.Alpha+c.T)-math.Log(m.Alpha+c.Recency))
	return sigmoid(-d)
}

// ExpectedPurchases returns E[X(T, T+t) | x, t_x, T] (Batislam et al. 2007, eq. 8).
func (m *MBGNBD) ExpectedPurchases(t float64, c Customer) float64 {
	if !m.usable() {
		return 0
	}
	return expectedGiven[betaGeo](m, t, c)
}

// PurchaseProb returns P(X(T, T+t) = n | x, t_x, T).
func (m *MBGNBD) PurchaseProb(t float64, n int, c Customer) float64 {
	if !m.usable() {
		return 0
	}
	return probGiven[betaGeo](m, t, n, c)
}

// ExpectedPurchasesNew returns E[X(t)] for a new customer (Batislam et al. 2007,
// eq. 7).
func (m *MBGNBD) ExpectedPurchasesNew(t float64) float64 {
	if !m.usable() {
		return 0
	}
	return expectedNew[betaGeo](m, t)
}

// PurchaseProbNew returns P(X(t) = n) for a new customer.
func (m *MBGNBD) PurchaseProbNew(t float64, n int) float64 {
	if !m.usable() {
		return 0
	}
	return probNew[betaGeo](m, t, n)
}

// newCustomer is a new MBG/NBD customer: with probability b/(a+b) the customer
// survives the dropout chance at the first purchase, and p's posterior is then
// Beta(a, b+1).
func (m *MBGNBD) newCustomer() process {
	return mixture[betaGeo]{m.B / (m.A + m.B), betaGeo{m.R, m.Alpha, m.A, m.B + 1}}
}
