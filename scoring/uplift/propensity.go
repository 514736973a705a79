package uplift

import (
	"fmt"
	"math"
)

// implausible is the chance below which a treated count refutes a given propensity:
// 1e-9, so that a correct propensity is refused less than once in 500 million
// campaigns (two tails), however many campaigns a host fits.
const implausible = 1e-9

// checkPropensity refuses FitOptions.Propensity p when the campaign's treated count
// (treated of n rows) is implausible under a randomisation of that propensity. The
// learners take p as the design's P(treated) and weight by it (ClassTransformation's
// 1/p and 1/(1-p), the transformed outcome's 1/(p(1-p)), the X-learner's g): a p of
// 1e-9 on a campaign of 1,004 treated rows in 2,000 was taken as given, and the class
// transformation estimated uplifts of -0.61 and -0.71 for profiles whose true uplifts
// are 0.1 and 0 (0.069 and 0.007 at the treated share). A p that is not the
// share of the rows at hand is legitimate (the design's exact probability, of which
// the share is a noisy estimate), so the rule refuses only what the data rule out.
//
// Under randomisation the treated count T is Binomial(n, p), and by the Chernoff
// bound (Hoeffding 1963, Theorem 1) a count at least as far from np as the one seen,
// on its side, has chance at most exp(-n·D(q‖p)), q = T/n the treated share and D the
// Kullback-Leibler divergence of Bernoulli(q) from Bernoulli(p). The bound holds for
// every n and p, unlike a normal approximation, which is far too confident in the
// tails when np is small (p 0.001, n 1,000 and T = 8 is 7 standard deviations out,
// yet has chance 1e-5). p is refused when the bound is below implausible: p lies
// outside the interval {p : n·D(q‖p) ≤ ln(1e9) ≈ 20.7} around q, which on 1,000
// half-treated rows is [0.40, 0.60] and on 4 rows [8e-6, 1 - 8e-6].
func checkPropensity(p float64, treated, n int) error {
	if p == 0 {
		return nil
	}
	q := float64(treated) / float64(n)
	if float64(n)*bernoulliKL(q, p) <= -math.Log(implausible) {
		return nil
	}
	return fmt.Errorf("%w: FitOptions.Propensity %v, but %d of %d rows are treated (a share of %.4g): under a randomisation of propensity %v a treated count so far from %.4g has a chance below %g",
		ErrInvalid, p, treated, n, q, p, p*float64(n), implausible)
}

// bernoulliKL is D(q‖p) = q ln(q/p) + (1-q) ln((1-q)/(1-p)), p in (0, 1), q in
// [0, 1], a term of weight 0 counting 0.
func bernoulliKL(q, p float64) float64 {
	d := 0.0
	if q > 0 {
		d += q * math.Log(q/p)
	}
	if q < 1 {
		d += (1 - q) * math.Log((1-q)/(1-p))
	}
	return max(0, d)
}
