package scoring

import (
	"fmt"
	"math"
	"time"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mathext"
)

// Opportunities is a customer's history in a discrete-time setting, where
// transactions can only happen at fixed opportunities (an annual donation drive, a
// yearly event, a weekly delivery): Frequency (x) transactions in N opportunities
// after the first, the last at opportunity Recency (t_x), with 0 <= x <= t_x <= N and
// t_x = 0 when x = 0. Weight is the number of customers with this history, so that a
// base is summarised in a few rows as in Fader, Hardie & Shang (2010), table 1; it
// must be positive when fitting and is ignored by predictions.
type Opportunities struct {
	Frequency, Recency, N int
	Weight                float64
	// Unit is the spacing of the opportunities (a year for annual donations); 0 if
	// unrecorded. FitBGBB records it in the model and refuses rows of different units;
	// BGBB.Intervals and BGBBIntervals refuse rows of another unit than the model's
	// (the BGBB methods, which return no error, do not check it).
	Unit time.Duration
}

// Validate reports whether o is a possible history; the error wraps ErrInvalid.
func (o Opportunities) Validate() error {
	switch {
	case o.Frequency < 0 || o.Recency < 0 || o.N < 0:
		return fmt.Errorf("%w: negative count (x %d, t_x %d, n %d)", ErrInvalid, o.Frequency, o.Recency, o.N)
	case o.Recency > o.N:
		return fmt.Errorf("%w: recency %d greater than n %d", ErrInvalid, o.Recency, o.N)
	case o.Frequency > o.Recency:
		return fmt.Errorf("%w: frequency %d greater than recency %d (one transaction per opportunity)", ErrInvalid, o.Frequency, o.Recency)
	case o.Frequency == 0 && o.Recency != 0:
		return fmt.Errorf("%w: frequency 0 with recency %d", ErrInvalid, o.Recency)
	case !finite(o.Weight) || o.Weight < 0:
		return fmt.Errorf("%w: weight %v", ErrInvalid, o.Weight)
	}
	return nil
}

// BGBB is a fitted BG/BB model (Fader, Hardie & Shang 2010): while alive a customer
// transacts at each opportunity with probability p ~ Beta(Alpha, Beta), and at the
// start of each opportunity drops out with probability θ ~ Beta(Gamma, Delta). Unit,
// when recorded, is the spacing of the opportunities. A BGBB is safe for concurrent use
// once fitted. The predictions of a nil *BGBB, or of one whose parameters are not
// positive numbers, are 0, as an invalid history's are; its Intervals are ErrInvalid,
// and its MarshalJSON fails (ErrInvalid for a nil *BGBB, ErrModel for parameters that
// are not positive numbers).
type BGBB struct {
	Alpha, Beta, Gamma, Delta float64
	LogLik                    float64
	Unit                      time.Duration
	Fit                       Diagnostics // standard errors in the order Alpha, Beta, Gamma, Delta
}

var bgbbNames = []string{"alpha", "beta", "gamma", "delta"}

// bgbbLimits are the limiting models of BG/BB at the boundary of the parameter space
// (Diagnostics.Boundary): a Beta distribution whose shapes grow at a fixed mean is the
// same for everyone; one whose shapes shrink puts its mass at 0 and 1.
var bgbbLimits = map[string]string{
	"alpha,beta+":  "alpha, beta → ∞: every customer transacts with the same probability",
	"alpha,beta-":  "alpha, beta → 0: transaction probability 0 or 1",
	"gamma,delta+": "gamma, delta → ∞: every customer has the same dropout probability",
	"gamma,delta-": "gamma, delta → 0: dropout probability 0 or 1",
	"delta+":       "delta → ∞: dropout probability → 0 (no dropout)",
	"gamma-":       "gamma → 0: dropout probability → 0 for nearly every customer (no dropout)",
}

// FitBGBB fits BG/BB by maximum likelihood (Fader, Hardie & Shang 2010, eq. 5) on
// rows weighted by their own Weight, as the paper's table 1 counts donors per
// history; identical histories are merged first. FitOptions.Weights is ErrInvalid
// here: a second weight would only multiply the first.
func FitBGBB(rows []Opportunities, opt *FitOptions) (*BGBB, error) {
	if err := opt.refuseWeights("FitBGBB", "each Opportunities row carries its own Weight"); err != nil {
		return nil, err
	}
	o := opt.withDefaults()
	unit, err := unitOf(rows, func(o Opportunities) time.Duration { return o.Unit })
	if err != nil {
		return nil, err
	}
	lk, starts, err := bgbbProblem(rows)
	if err != nil {
		return nil, err
	}
	theta, ll, d, err := maximise(lk, starts, o)
	if err != nil {
		return nil, err
	}
	return &BGBB{Alpha: theta[0], Beta: theta[1], Gamma: theta[2], Delta: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// bgbbProblem validates and merges the rows and returns the BG/BB likelihood with its
// starting points.
func bgbbProblem(rows []Opportunities) (likelihood, [][]float64, error) {
	type key struct{ x, tx, n int }
	index := map[key]int{}
	var keys []key
	var w []float64
	var total, repeat float64
	for i, r := range rows {
		if err := r.Validate(); err != nil {
			return likelihood{}, nil, errorf("row %d: %w", i, err)
		}
		if r.Weight == 0 {
			return likelihood{}, nil, errorf("row %d: %w: weight 0 (the number of customers with this history)", i, ErrInvalid)
		}
		k := key{r.Frequency, r.Recency, r.N}
		j, ok := index[k]
		if !ok {
			j = len(keys)
			index[k] = j
			keys = append(keys, k)
			w = append(w, 0)
		}
		w[j] += r.Weight
		total += r.Weight
		if r.Frequency > 0 {
			repeat += r.Weight
		}
	}
	if err := checkTotalWeight("BG/BB", "weights", total); err != nil {
		return likelihood{}, nil, err
	}
	if total < MinCustomers {
		return likelihood{}, nil, fmt.Errorf("%w: BG/BB needs at least %d customers, got %g", ErrTooFew, MinCustomers, total)
	}
	if repeat == 0 {
		return likelihood{}, nil, fmt.Errorf("%w: BG/BB: no customer made a repeat transaction", ErrTooFew)
	}
	eval := func(theta, _ []float64) float64 {
		var ll float64
		for j, k := range keys {
			ll += w[j] * bgbbLogLik(theta[0], theta[1], theta[2], theta[3], k.x, k.tx, k.n)
		}
		return ll
	}
	lk := likelihood{model: "BG/BB", names: bgbbNames, n: total, rows: len(keys), eval: eval, twin: []int{1, 0, 3, 2}, limits: bgbbLimits}
	return lk, [][]float64{{1, 1, 1, 1}, {0.5, 0.5, 0.5, 2}, {2, 1, 1, 5}, {1, 3, 0.3, 1}}, nil
}

// bgbbLogLik is one history's log-likelihood (Fader, Hardie & Shang 2010, eq. 5): the
// customer is alive through opportunity n, or died at the start of opportunity
// t_x + i + 1 for some i in 0 .. n-t_x-1:
//
//	B(α+x, β+n-x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//	  + Σ_i B(α+x, β+t_x-x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
func bgbbLogLik(alpha, beta, gamma, delta float64, x, tx, n int) float64 {
	return logAddExp(bgbbLogAlive(alpha, beta, gamma, delta, x, n), bgbbLogDead(alpha, beta, gamma, delta, x, tx, n))
}

// bgbbLogAlive is the log of the first term: history observed and alive at n.
func bgbbLogAlive(alpha, beta, gamma, delta float64, x, n int) float64 {
	xf, nf := float64(x), float64(n)
	return mathext.Lbeta(alpha+xf, beta+nf-xf) - mathext.Lbeta(alpha, beta) +
		mathext.Lbeta(gamma, delta+nf) - mathext.Lbeta(gamma, delta)
}

// bgbbLogDead is the log of the sum over the opportunities at which the customer may
// have died unseen.
func bgbbLogDead(alpha, beta, gamma, delta float64, x, tx, n int) float64 {
	xf := float64(x)
	lab, lgd := mathext.Lbeta(alpha, beta), mathext.Lbeta(gamma, delta)
	if n <= tx {
		return math.Inf(-1)
	}
	terms := make([]float64, n-tx)
	for i := range terms {
		fi := float64(i)
		terms[i] = mathext.Lbeta(alpha+xf, beta+float64(tx)-xf+fi) - lab +
			mathext.Lbeta(gamma+1, delta+float64(tx)+fi) - lgd
	}
	return floats.LogSumExp(terms)
}

// pAliveAt returns P(alive at opportunity n | x, t_x, n).
func (m *BGBB) pAliveAt(c Opportunities) float64 {
	la := bgbbLogAlive(m.Alpha, m.Beta, m.Gamma, m.Delta, c.Frequency, c.N)
	ld := bgbbLogDead(m.Alpha, m.Beta, m.Gamma, m.Delta, c.Frequency, c.Recency, c.N)
	if math.IsInf(ld, -1) {
		return 1
	}
	return sigmoid(la - ld)
}

// PAlive returns P(alive at opportunity n+1 | x, t_x, n) (Fader, Hardie & Shang 2010,
// eq. 11): alive at n and surviving the next dropout chance. It returns 0 for an
// invalid history.
func (m *BGBB) PAlive(c Opportunities) float64 {
	if !m.usable() {
		return 0
	}
	if c.Validate() != nil {
		return 0
	}
	nf := float64(c.N)
	return m.pAliveAt(c) * (m.Delta + nf) / (m.Gamma + m.Delta + nf)
}

// bgbbProcess is a customer alive at opportunity 0 with p ~ Beta(alpha, beta) and
// θ ~ Beta(gamma, delta): a new customer, or, with posterior parameters
// (α+x, β+n-x, γ, δ+n), one known to be alive at opportunity n.
type bgbbProcess struct{ alpha, beta, gamma, delta float64 }

// mean returns E[X(n)] = α/(α+β) · Σ_{t=1..n} B(γ, δ+t)/B(γ, δ): the expected number
// of opportunities at which the customer is alive times the chance of a transaction
// (Fader, Hardie & Shang 2010, eq. 9).
func (p bgbbProcess) mean(n int) float64 {
	return p.alpha / (p.alpha + p.beta) * survivalSum(p.gamma, p.delta, n)
}

// survivalSum returns Σ_{t=1..n} B(γ, δ+t)/B(γ, δ), the expected number of the next n
// opportunities a customer alive now survives to. It is summed term by term with
// B(γ, y+1)/B(γ, y) = y/(γ+y) up to a thousand terms, and up to a million near γ = 1;
// beyond, the closed form of eq. 9, δ/(γ-1) · [1 - Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))],
// keeps the cost constant. (At γ = 1 the closed form is 0/0; for more than a million
// opportunities there, the average of its values at γ ± 1e-3 is used, good to about
// 1e-4 relative.)
func survivalSum(gamma, delta float64, n int) float64 {
	nearOne := math.Abs(gamma-1) < 1e-3
	if n <= 1000 || (nearOne && n <= 1_000_000) {
		var sum float64
		surv := 1.0
		for t := 0; t < n; t++ {
			y := delta + float64(t)
			surv *= y / (gamma + y)
			sum += surv
		}
		return sum
	}
	if nearOne {
		return (survivalSum(1-1e-3, delta, n) + survivalSum(1+1e-3, delta, n)) / 2
	}
	nf := float64(n)
	logRatio := lgamma(gamma+delta) - lgamma(gamma+delta+nf) + lgamma(1+delta+nf) - lgamma(1+delta)
	return delta / (gamma - 1) * -math.Expm1(logRatio)
}

// pmf returns P(X(n) = k) (Fader, Hardie & Shang 2010, eq. 8), at a cost of O(n):
//
//	C(n,k) B(α+k, β+n-k)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//	  + Σ_{i=k..n-1} C(i,k) B(α+k, β+i-k)/B(α,β) · B(γ+1, δ+i)/B(γ,δ)
func (p bgbbProcess) pmf(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	kf := float64(k)
	lab, lgd := mathext.Lbeta(p.alpha, p.beta), mathext.Lbeta(p.gamma, p.delta)
	lchoose := func(a, b int) float64 {
		return lgamma(float64(a)+1) - lgamma(float64(b)+1) - lgamma(float64(a-b)+1)
	}
	nf := float64(n)
	terms := make([]float64, 0, n-k+1)
	terms = append(terms, lchoose(n, k)+mathext.Lbeta(p.alpha+kf, p.beta+nf-kf)-lab+mathext.Lbeta(p.gamma, p.delta+nf)-lgd)
	for i := k; i < n; i++ {
		fi := float64(i)
		terms = append(terms, lchoose(i, k)+mathext.Lbeta(p.alpha+kf, p.beta+fi-kf)-lab+mathext.Lbeta(p.gamma+1, p.delta+fi)-lgd)
	}
	return stats.Clamp01(math.Exp(floats.LogSumExp(terms)))
}

func (m *BGBB) posterior(c Opportunities) bgbbProcess {
	x, n := float64(c.Frequency), float64(c.N)
	return bgbbProcess{m.Alpha + x, m.Beta + n - x, m.Gamma, m.Delta + n}
}

// ExpectedPurchases returns E[X(n, n+future) | x, t_x, n], the transactions expected in
// the next future opportunities (Fader, Hardie & Shang 2010, eq. 13). It returns 0 for
// an invalid history or a negative future.
func (m *BGBB) ExpectedPurchases(future int, c Opportunities) float64 {
	if !m.usable() {
		return 0
	}
	if c.Validate() != nil || future < 0 {
		return 0
	}
	return m.pAliveAt(c) * m.posterior(c).mean(future)
}

// PurchaseProb and PurchaseProbNew cost O(number of opportunities); the expectations
// cost O(1) beyond a thousand opportunities.

// PurchaseProb returns P(X(n, n+future) = k | x, t_x, n).
func (m *BGBB) PurchaseProb(future, k int, c Opportunities) float64 {
	if !m.usable() {
		return 0
	}
	if c.Validate() != nil || future < 0 || k < 0 {
		return 0
	}
	pa := m.pAliveAt(c)
	p := pa * m.posterior(c).pmf(future, k)
	if k == 0 {
		p += 1 - pa
	}
	return stats.Clamp01(p)
}

// ExpectedPurchasesNew returns E[X(n)] for a new customer over n opportunities (eq. 9).
func (m *BGBB) ExpectedPurchasesNew(n int) float64 {
	if !m.usable() {
		return 0
	}
	if n < 0 {
		return 0
	}
	return bgbbProcess{m.Alpha, m.Beta, m.Gamma, m.Delta}.mean(n)
}

// PurchaseProbNew returns P(X(n) = k) for a new customer (eq. 8).
func (m *BGBB) PurchaseProbNew(n, k int) float64 {
	if !m.usable() {
		return 0
	}
	if n < 0 {
		return 0
	}
	return bgbbProcess{m.Alpha, m.Beta, m.Gamma, m.Delta}.pmf(n, k)
}
