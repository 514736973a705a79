package scoring

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Simulators of the models' generative stories, written from the papers' definitions
// (not from the likelihoods), for recovery and Monte Carlo tests. Each returns the
// calibration history at age T and what happens in the following horizon.

type simCustomer struct {
	Customer
	future int  // purchases in (T, T+horizon]
	alive  bool // active at T
}

func gammaRand(rng *rand.Rand, shape, rate float64) float64 {
	return distuv.Gamma{Alpha: shape, Beta: rate, Src: rng}.Rand()
}

func betaRand(rng *rand.Rand, a, b float64) float64 {
	return distuv.Beta{Alpha: a, Beta: b, Src: rng}.Rand()
}

// simBetaGeo simulates BG/NBD (mbg false) or MBG/NBD (mbg true): λ ~ Gamma(r, α),
// p ~ Beta(a, b); exponential gaps at rate λ; after each repeat purchase (and, for
// MBG/NBD, also right after the first purchase at age 0) the customer drops out with
// probability p.
func simBetaGeo(rng *rand.Rand, r, alpha, a, b float64, mbg bool, T, horizon float64) simCustomer {
	lambda, p := gammaRand(rng, r, alpha), betaRand(rng, a, b)
	c := simCustomer{Customer: Customer{T: T}, alive: true}
	if mbg && rng.Float64() < p {
		c.alive = false
		return c
	}
	t := 0.0
	for {
		t += rng.ExpFloat64() / lambda
		if t > T+horizon {
			return c
		}
		if t <= T {
			c.Frequency++
			c.Recency = t
		} else {
			c.future++
		}
		if rng.Float64() < p {
			c.alive = t > T // it died at t; alive at T only if t is in the future
			return c
		}
	}
}

// simPareto simulates Pareto/NBD: λ ~ Gamma(r, α), μ ~ Gamma(s, β), lifetime τ ~
// Exp(μ); purchases at rate λ while alive.
func simPareto(rng *rand.Rand, r, alpha, s, beta float64, T, horizon float64) simCustomer {
	lambda, mu := gammaRand(rng, r, alpha), gammaRand(rng, s, beta)
	tau := rng.ExpFloat64() / mu
	c := simCustomer{Customer: Customer{T: T}, alive: tau > T}
	end := math.Min(tau, T+horizon)
	for t := rng.ExpFloat64() / lambda; t <= end; t += rng.ExpFloat64() / lambda {
		if t <= T {
			c.Frequency++
			c.Recency = t
		} else {
			c.future++
		}
	}
	return c
}

// simBGBB simulates BG/BB over n calibration and horizon future opportunities:
// p ~ Beta(α, β), θ ~ Beta(γ, δ); at the start of each opportunity the customer dies
// with probability θ, and if alive transacts with probability p. The flag says whether
// the customer is alive at opportunity n+1 (meaningful when horizon >= 1).
func simBGBB(rng *rand.Rand, alpha, beta, gamma, delta float64, n, horizon int) (Opportunities, int, bool) {
	p, theta := betaRand(rng, alpha, beta), betaRand(rng, gamma, delta)
	o := Opportunities{N: n, Weight: 1}
	future := 0
	for t := 1; t <= n+horizon; t++ {
		if rng.Float64() < theta {
			return o, future, t > n+1
		}
		if rng.Float64() < p {
			if t <= n {
				o.Frequency++
				o.Recency = t
			} else {
				future++
			}
		}
	}
	return o, future, true
}

// simSpend draws x transactions' mean value under Gamma-Gamma: ν ~ Gamma(q, γ), each
// value ~ Gamma(p, ν).
func simSpend(rng *rand.Rand, p, q, gamma float64, x int) float64 {
	nu := gammaRand(rng, q, gamma)
	var sum float64
	for range x {
		sum += gammaRand(rng, p, nu)
	}
	return sum / float64(x)
}
