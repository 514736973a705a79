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

// hypergeo is gonum's Gaussian hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1.
func hypergeo(a, b, c, z float64) float64 {
	if z == 0 {
		return 1
	}
	return mathext.Hypergeo(a, b, c, z)
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
