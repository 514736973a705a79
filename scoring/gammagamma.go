package scoring

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// GammaGamma is a fitted Gamma-Gamma model of spend per transaction (Fader, Hardie &
// Lee 2005, "RFM and CLV: using iso-value curves for customer base analysis"; Fader &
// Hardie 2013, "The Gamma-Gamma model of monetary value"): each transaction's value is
// Gamma(P, ν) around a customer's mean P/ν, and ν ~ Gamma(Q, Gamma) across customers.
// It assumes that spend is independent of purchase frequency; check that with
// SpendIndependence. A GammaGamma is safe for concurrent use once fitted. The
// MeanSpend and ExpectedSpend of a nil *GammaGamma, or of one whose parameters are not
// positive numbers, are 0, as an invalid customer's are.
type GammaGamma struct {
	P, Q, Gamma float64
	LogLik      float64
	Fit         Diagnostics // standard errors in the order P, Q, Gamma
}

var gammaGammaNames = []string{"p", "q", "gamma"}

// gammaGammaLimits are the limiting models of Gamma-Gamma at the boundary of the
// parameter space (Diagnostics.Boundary): ν ~ Gamma(q, gamma) with q → ∞ at a fixed
// mean q/gamma is the same for everyone; p → ∞ makes a customer's transactions equal.
var gammaGammaLimits = map[string]string{
	"q+": "q, gamma → ∞: the same mean spend p·gamma/q for every customer",
	"q-": "q → 0: mean spend dispersed without bound",
	"p+": "p → ∞: every transaction of a customer has the same value",
	"p-": "p → 0: spend per transaction dispersed without bound",
}

// FitGammaGamma fits the model to the customers with at least one repeat purchase
// (Frequency > 0); the others carry no spend information and are skipped, as in
// Fader, Hardie & Lee (2005). So are repeat customers whose repeat purchases were all
// free (Monetary 0: a sample, an order a voucher paid in full): the model's spends are
// Gamma, positive, and it has no likelihood for a mean of 0, where refusing them
// failed the fit of a whole ordinary shop for one such customer. Diagnostics.Customers
// counts the customers fitted; ExpectedSpend still values the skipped ones, from
// their frequency and the fitted population.
func FitGammaGamma(cs []Customer, opt *FitOptions) (*GammaGamma, error) {
	o := opt.withDefaults()
	lk, starts, err := gammaGammaProblem(cs, o.Weights)
	if err != nil {
		return nil, err
	}
	theta, ll, d, err := maximise(lk, starts, o)
	if err != nil {
		return nil, err
	}
	return &GammaGamma{P: theta[0], Q: theta[1], Gamma: theta[2], LogLik: ll, Fit: d}, nil
}

// gammaGammaProblem validates the customers (and their weights, nil meaning one each)
// and returns the Gamma-Gamma likelihood of the repeat buyers (Fader & Hardie 2013,
// eq. 3) with its starting points. Customers of weight 0 are left out.
func gammaGammaProblem(cs []Customer, weights []float64) (likelihood, [][]float64, error) {
	if err := validateAll(cs); err != nil {
		return likelihood{}, nil, err
	}
	if weights != nil {
		if err := checkWeights("Gamma-Gamma", weights, len(cs)); err != nil {
			return likelihood{}, nil, err
		}
	}
	var xs, zs, ws []float64
	for i, c := range cs {
		// Validate refused a negative Monetary; 0 is repeat purchases that were all
		// free, outside the model's positive spends (see FitGammaGamma).
		if c.Frequency == 0 || c.Monetary == 0 || weights != nil && weights[i] == 0 {
			continue
		}
		xs = append(xs, float64(c.Frequency))
		zs = append(zs, c.Monetary)
		if weights != nil {
			ws = append(ws, weights[i])
		}
	}
	return gammaGammaLikelihood(xs, zs, ws)
}

// gammaGammaLikelihood is the Gamma-Gamma log-likelihood (Fader & Hardie 2013, eq. 3)
// of repeat buyers with frequencies xs and mean repeat spends zs, the i-th counted
// ws[i] times (every one once if ws is nil), with its starting points. A weighted
// row's terms are its customer's terms times the weight, so the weighted likelihood
// is that of the expanded base.
func gammaGammaLikelihood(xs, zs, ws []float64) (likelihood, [][]float64, error) {
	weight := func(i int) float64 {
		if ws == nil {
			return 1
		}
		return ws[i]
	}
	var n, sum float64
	for i := range zs {
		n += weight(i)
	}
	if err := checkTotalWeight("Gamma-Gamma", "weights", n); err != nil {
		return likelihood{}, nil, err
	}
	// The mean spend of the starts, on weights scaled to one or two per row (a
	// power of two, which changes nothing but the range) so that it cannot overflow.
	shift := 0
	if n > 0 {
		shift = weightShift(n, len(zs))
	}
	for i, z := range zs {
		sum += math.Ldexp(weight(i), shift) * z
	}
	sum = math.Ldexp(sum, -shift)
	if !(n >= MinCustomers) {
		return likelihood{}, nil, fmt.Errorf("%w: Gamma-Gamma needs at least %d customers with repeat purchases that cost something, got %v", ErrTooFew, MinCustomers, n)
	}
	eval := func(theta, grad []float64) float64 {
		p, q, g := theta[0], theta[1], theta[2]
		lq, lgq, psiQ := math.Log(g), lgamma(q), mathext.Digamma(q)
		var ll, gp, gq, gg float64
		for i, x := range xs {
			z, w := zs[i], weight(i)
			px := p * x
			lgz := math.Log(g + x*z)
			ll += w * (lgamma(px+q) - lgamma(px) - lgq + q*lq + px*math.Log(x) + (px-1)*math.Log(z) - (px+q)*lgz)
			if grad != nil {
				psi := mathext.Digamma(px + q)
				gp += w * x * (psi - mathext.Digamma(px) + math.Log(x) + math.Log(z) - lgz)
				gq += w * (psi - psiQ + lq - lgz)
				gg += w * (q/g - (px+q)/(g+x*z))
			}
		}
		if grad != nil {
			grad[0], grad[1], grad[2] = p*gp, q*gq, g*gg
		}
		return ll
	}
	// Starts put the population mean spend pγ/(q-1) at the sample mean.
	m := sum / n
	starts := [][]float64{{1, 2, m}, {5, 3, 0.4 * m}, {10, 5, 0.4 * m}, {0.5, 1.5, m}}
	lk := likelihood{model: "Gamma-Gamma", names: gammaGammaNames, n: n, rows: len(xs), eval: eval, analytic: true,
		scale: []bool{false, false, true}, shapeOf: []int{-1, -1, 1}, limits: gammaGammaLimits}
	return lk, starts, nil
}

// MeanSpend returns the population mean spend per transaction, pγ/(q-1); it is
// infinite when q <= 1 (the spread of ν is then too heavy for a mean).
func (m *GammaGamma) MeanSpend() float64 {
	if !m.usable() {
		return 0
	}
	if m.Q <= 1 {
		return math.Inf(1)
	}
	return m.P * m.Gamma / (m.Q - 1)
}

// ExpectedSpend returns the conditional expected average profit of c's transactions,
// E[Z | x, zbar] = p(γ + x·zbar)/(px + q - 1) (Fader, Hardie & Lee 2005, "RFM and CLV",
// eq. 4): a weighted average of the population mean and c's own mean, the weight on
// c's mean growing with x. For x = 0 it is the population mean. It returns 0 for an
// invalid customer and +Inf where the mean does not exist.
func (m *GammaGamma) ExpectedSpend(c Customer) float64 {
	if !m.usable() {
		return 0
	}
	if c.Validate() != nil {
		return 0
	}
	if c.Frequency == 0 {
		return m.MeanSpend()
	}
	x := float64(c.Frequency)
	den := m.P*x + m.Q - 1
	if den <= 0 {
		return math.Inf(1)
	}
	return m.P * (m.Gamma + x*c.Monetary) / den
}

// Independence is the check of the Gamma-Gamma model's assumption that a customer's
// spend per transaction does not depend on how often they buy, on the customers with
// repeat purchases. Fader, Hardie & Lee (2005) report a correlation of 0.11 on CDNOW
// and judge it weak enough.
type Independence struct {
	N        int     // customers with Frequency > 0
	Pearson  float64 // correlation of Frequency and Monetary
	Spearman float64 // rank correlation (midranks for ties), robust to skewed spend
	// PValue is the two-sided p-value of the Pearson correlation under independence
	// (t = r·sqrt((n-2)/(1-r²)) with n-2 degrees of freedom). With thousands of
	// customers even a negligible correlation is "significant": judge the size of the
	// correlation, not only the p-value.
	PValue float64
	// Constant is set when frequency or mean spend is the same for every customer
	// measured (a subscription at one price, or every customer repeating as often):
	// a constant is independent of anything, so Gamma-Gamma's assumption holds, but
	// a correlation has no value; Pearson and Spearman are then 0 and PValue 1.
	Constant bool
}

// SpendIndependence measures the correlation between frequency and mean spend among
// the customers with repeat purchases. It needs at least three such customers; when
// frequency or spend does not vary among them, it reports Constant rather than fail
// (a shop that sells one product at one price is an ordinary shop).
func SpendIndependence(cs []Customer) (Independence, error) {
	if err := validateAll(cs); err != nil {
		return Independence{}, err
	}
	var xs, zs []float64
	for _, c := range cs {
		if c.Frequency > 0 {
			xs = append(xs, float64(c.Frequency))
			zs = append(zs, c.Monetary)
		}
	}
	n := len(xs)
	if n < 3 {
		return Independence{}, fmt.Errorf("%w: independence check needs at least 3 customers with repeat purchases, got %d", ErrTooFew, n)
	}
	if constant(xs) || constant(zs) {
		return Independence{N: n, PValue: 1, Constant: true}, nil
	}
	r, _ := pearson(xs, zs) // neither is constant: pearson refuses only that
	rho, _ := pearson(midranks(xs), midranks(zs))
	df := float64(n - 2)
	var pv float64
	if math.Abs(r) < 1 {
		tstat := r * math.Sqrt(df/(1-r*r))
		pv = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(tstat))
	}
	return Independence{N: n, Pearson: r, Spearman: rho, PValue: pv}, nil
}

// constant reports whether v's values agree to within rounding: one price's mean spend,
// summed and divided over different numbers of purchases, differs in its last bits
// from customer to customer, and a correlation of those bits would be noise.
func constant(v []float64) bool {
	lo, hi := slices.Min(v), slices.Max(v)
	return hi-lo <= 1e-9*max(math.Abs(lo), math.Abs(hi))
}

// pearson returns the correlation of a and b, and false if either is constant.
func pearson(a, b []float64) (float64, bool) {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0, false
	}
	return math.Max(-1, math.Min(1, sab/math.Sqrt(saa*sbb))), true
}

// midranks returns the ranks of v (1-based), tied values sharing the mean of their
// ranks.
func midranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmpFloat(v[i], v[j]) })
	ranks := make([]float64, len(v))
	for lo := 0; lo < len(idx); {
		hi := lo + 1
		for hi < len(idx) && v[idx[hi]] == v[idx[lo]] {
			hi++
		}
		r := float64(lo+hi+1) / 2 // mean of ranks lo+1 .. hi
		for k := lo; k < hi; k++ {
			ranks[idx[k]] = r
		}
		lo = hi
	}
	return ranks
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
