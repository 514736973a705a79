package scoring

import (
	"math"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// betaGeo is the purchase-and-dropout process shared by BG/NBD and MBG/NBD for a
// customer who is alive at time 0 and has not yet had a dropout chance: purchases
// arrive as a Poisson process with rate λ ~ Gamma(r, alpha) and after each purchase
// the customer drops out with probability p ~ Beta(a, b) (Fader, Hardie & Lee 2005,
// section 3). Both models' predictions reduce to it: a new BG/NBD customer is exactly
// this process; an MBG/NBD customer is this process after surviving a first dropout
// chance; and a customer who is alive after x purchases by age T continues as this
// process with posterior parameters (r+x, alpha+T) and p's posterior, by the
// memorylessness of the exponential purchase gaps.
type betaGeo struct{ r, alpha, a, b float64 }

// pmf returns P(X(t) = n), Fader, Hardie & Lee 2005, eq. 8. The sum of NBD terms in
// the second part is the NBD tail P(Y >= n), computed as a regularised incomplete beta
// function rather than as 1 minus a sum, which would cancel for large n.
func (g betaGeo) pmf(t float64, n int) float64 {
	nf := float64(n)
	lbab := mathext.Lbeta(g.a, g.b)
	// In terms of u = t/alpha, so that alpha+t cannot overflow.
	u := t / g.alpha
	logNB := lgamma(g.r+nf) - lgamma(g.r) - lgamma(nf+1) - g.r*math.Log1p(u) + nf*(math.Log(u)-math.Log1p(u))
	p := math.Exp(mathext.Lbeta(g.a, g.b+nf) - lbab + logNB)
	if n > 0 {
		tail := mathext.RegIncBeta(nf, g.r, u/(1+u))
		p += math.Exp(mathext.Lbeta(g.a+1, g.b+nf-1)-lbab) * tail
	}
	return stats.Clamp01(p)
}

// mean returns E[X(t)], Fader, Hardie & Lee 2005, eq. 9:
//
//	(a+b-1)/(a-1) · [1 - (alpha/(alpha+t))^r · 2F1(r, b; a+b-1; t/(alpha+t))].
//
// The 2F1 there grows like (1-z)^(a-1-r-b) and overflows for the large r and b of a
// frequent buyer's posterior, so it is rewritten by Euler's transformation
// (Abramowitz & Stegun 15.3.3) as (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b-1; z), whose
// second parameter stays small. At a = 1 the expression is 0/0 with a finite limit;
// near it the mean is the average of the values at a ± 1e-4, exact to O(1e-8); the
// same holds at a + b = 1.
func (g betaGeo) mean(t float64) float64 {
	// Beyond 1e12·alpha the argument of 2F1 rounds to 1, where the series has its
	// singularity; such horizons are evaluated at 1e12·alpha.
	t = math.Min(t, 1e12*g.alpha)
	const near = 1e-5
	if math.Abs(g.a-1) < near {
		lo, hi := g, g
		lo.a, hi.a = 1-1e-4, 1+1e-4
		return (lo.mean(t) + hi.mean(t)) / 2
	}
	// At a + b = 1 the factor (a+b-1) is 0 and 2F1(·; a+b-1; z) has a pole: again
	// 0·∞ with a finite limit (the mean is smooth in b), so the mean there is the
	// average of the values at a+b-1 = ±1e-4.
	if c := g.a + g.b - 1; math.Abs(c) < near && g.b-c > 2e-4 {
		lo, hi := g, g
		lo.b, hi.b = g.b-c-1e-4, g.b-c+1e-4
		return (lo.mean(t) + hi.mean(t)) / 2
	}
	u := t / g.alpha
	z := u / (1 + u)
	c := g.a + g.b - 1
	var scaled float64
	if g.a-1 > g.r {
		// 2F1(r, b; c; z) is bounded as z → 1 when c-r-b = a-1-r > 0, while the
		// transformed series' (1-z)^(a-1) underflows and its 2F1 overflows for large
		// a (a dropout probability the same for everyone, a, b → ∞): the
		// untransformed form.
		scaled = math.Exp(-g.r*math.Log1p(u)) * hypergeo(g.r, g.b, c, z)
	} else {
		// (1-z)^(a-1) = (alpha/(alpha+t))^(a-1)
		scaled = math.Exp(-(g.a-1)*math.Log1p(u)) * hypergeo(c-g.r, g.a-1, c, z)
	}
	m := c / (g.a - 1) * (1 - scaled)
	if math.IsNaN(m) {
		// (1-z)^(a-1) underflowed while its 2F1 overflowed (r, a and b all large, a
		// horizon thousands of purchase intervals long): 0·∞, which read as 0 purchases.
		m = g.meanOverDropout(u)
	}
	return math.Max(m, 0)
}

// meanOverDropout returns E[X(t)], u = t/alpha, as the expectation over the dropout
// probability p ~ Beta(a, b) of the mean given p,
//
//	E[X(t) | p] = (1 - (1 + p·u)^(-r)) / p,
//
// Fader, Hardie & Lee 2005, eq. 7 with λ integrated out (the step before eq. 9). The
// integrand is positive and bounded (by r·u), so the integral, by Gauss-Legendre over
// the quantiles of p, cannot cancel or overflow where the closed form does; it costs a
// Beta quantile per node, so mean uses it only where the closed form fails.
func (g betaGeo) meanOverDropout(u float64) float64 {
	const nodes = 256
	x, w := make([]float64, nodes), make([]float64, nodes)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	beta := distuv.Beta{Alpha: g.a, Beta: g.b}
	var m float64
	for i, q := range x {
		if p := beta.Quantile(q); p > 0 {
			m += w[i] * -math.Expm1(-g.r*math.Log1p(p*u)) / p
		} else {
			m += w[i] * g.r * u // the limit as p → 0
		}
	}
	return m
}

// hypergeo is gonum's Gaussian hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1,
// or NaN where gonum would never return. For z > 0.9 with c-a-b an integer (to
// 1e-13), gonum's port of Cephes sums the psi-function expansion (Abramowitz & Stegun
// 15.3.10-12) in a loop whose only exit is a term below 1e-13 of the sum; where
// a·b·(1-z) is large its terms overflow and the sum becomes Inf - Inf, and where
// c-a-b passes 170 the factorials in its terms overflow and every term is 0/0: either
// way the loop runs for ever. BG/NBD met that at a boundary fit's r = a = e^8
// (r+x-a+1 an integer), 10^6 weeks ahead, and at R 2, A 2 for a customer of 500
// purchases (c-a-b = 501), 5,000 weeks ahead. Each caller has a form without 2F1 to
// fall back on: betaGeo.mean the integral over the dropout probability, paretoTerm the
// quadrature of A0, SBG.DERL the integral over the churn probability.
func hypergeo(a, b, c, z float64) float64 {
	if z == 0 {
		return 1
	}
	if psiExpansionFails(a, b, c, z) {
		return math.NaN()
	}
	return mathext.Hypergeo(a, b, c, z)
}

// psiExpansionFails reports whether Cephes would sum 2F1(a, b; c; z) by the psi
// expansion (z > 0.9, d = c-a-b within 1e-12 of an integer, a margin over its
// 1e-13) and never end: |d| past 168, or the expansion's terms, p_0 = (a+d1)(b+d1)(1-z)/Γ(e+2) and p_(t+1) =
// p_t·(1-z)(a+t+d1)(b+t+d1)/((t+1)(t+1+e)) with e = |d| and d1 = max(d, 0), would
// reach e^600, within a few powers of ten of overflow once multiplied by the psi
// differences and summed. The terms grow while their ratio exceeds 1, about
// √((1-z)·a·b) of them, so the check costs no more than the sum it guards.
func psiExpansionFails(a, b, c, z float64) bool {
	d := c - a - b
	id := math.Round(d)
	if !(z > 0.9) || math.Abs(d-id) > 1e-12 {
		return false
	}
	e, d1 := math.Abs(id), math.Max(id, 0)
	if e > 168 {
		// Cephes divides by Γ(e+1) and Γ(e+2), which overflow past 171: the first
		// term and every later one are then 0, and 0/0 never falls below 1e-13.
		return true
	}
	s := 1 - z
	logP := math.Log(math.Abs((a+d1)*(b+d1)*s)) - lgamma(e+2)
	for t := 1.0; ; t++ {
		ratio := s * (a + t + d1) / (t + 1) * (b + t + d1) / (t + 1 + e)
		if !(math.Abs(ratio) > 1) {
			return !(logP < 600)
		}
		if logP += math.Log(math.Abs(ratio)); !(logP < 600) {
			return true
		}
	}
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// sigmoid is 1/(1+e^-u) without overflow.
func sigmoid(u float64) float64 {
	if u >= 0 {
		return 1 / (1 + math.Exp(-u))
	}
	e := math.Exp(u)
	return e / (1 + e)
}

// softplus is log(1+e^u) without overflow.
func softplus(u float64) float64 {
	if u > 0 {
		return u + math.Log1p(math.Exp(-u))
	}
	return math.Log1p(math.Exp(u))
}

// betaGeoStarts are the starting points of BG/NBD and MBG/NBD fits, scaled to the
// data's purchase rate so that alpha starts near r divided by the rate.
func betaGeoStarts(g *grouped) [][]float64 {
	var purchases, exposure float64
	for j := range g.w {
		purchases += g.w[j] * float64(g.xs[g.xi[j]])
		exposure += g.w[j] * g.ts[g.ti[j]]
	}
	rate := purchases / math.Max(exposure, 1e-300)
	if !(rate > 0) || math.IsInf(rate, 0) {
		rate = 1
	}
	return [][]float64{
		{1, 1 / rate, 1, 1},
		{0.25, 0.25 / rate, 0.5, 2},
		{2, 2 / rate, 2, 5},
		{0.5, 0.5 / rate, 1, 3},
		{0.1, 0.1 / rate, 0.3, 0.5},
	}
}
