package scoring

import (
	"gonum.org/v1/gonum/floats"
	"math"
	"sync"
	"time"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/integrate/quad"
)

// ParetoNBD is a fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): while
// active a customer buys at rate λ ~ Gamma(R, Alpha); the lifetime is exponential with
// rate μ ~ Gamma(S, Beta), so a customer can drop out at any moment, not only after a
// purchase. Alpha and Beta are in the data's time unit. A ParetoNBD is safe for
// concurrent use once fitted.
type ParetoNBD struct {
	R, Alpha, S, Beta float64
	LogLik            float64
	Unit              time.Duration
	Fit               Diagnostics // standard errors in the order R, Alpha, S, Beta
}

var paretoNames = []string{"r", "alpha", "s", "beta"}

// paretoLimits are the limiting models of Pareto/NBD at the boundary of the parameter
// space (Diagnostics.Boundary): a Gamma mixing distribution whose shape grows at a
// fixed mean degenerates to its mean; a dropout rate whose scale beta grows without
// bound (or whose shape s shrinks to 0) is 0 for nearly everyone. Repeat purchases at
// recency 0 are not among them: towards those the likelihood grows without bound (a
// singularity, see ErrBurst).
var paretoLimits = map[string]string{
	"r+":    "r, alpha → ∞: every customer buys at the same rate r/alpha (Poisson purchasing)",
	"r-":    "r → 0: purchase rates dispersed without bound",
	"s+":    "s, beta → ∞: every customer has the same dropout rate s/beta (exponential lifetimes)",
	"s-":    "s → 0: dropout rate → 0 for nearly every customer (no dropout: the NBD model)",
	"beta+": "beta → ∞: dropout rate → 0 (no dropout: the NBD model)",
	// A scale held below the data's time scale: rates without bound.
	"alpha-": "alpha → 0: purchase rates without bound, as repeat purchases moments after the first (Recency near 0) pull them",
	"beta-":  "beta → 0: dropout rates without bound (every customer gone at once)",
}

// FitParetoNBD fits Pareto/NBD by maximum likelihood, with the likelihood of Fader &
// Hardie's 2005 note "A note on deriving the Pareto/NBD model and related
// expressions" (eqs. 19-22), its A0 as the integral over the moment of death, whose
// value, gradient and Hessian come from one Gauss-Legendre quadrature per distinct
// history (see paretoQuadLikelihood). As FitBGNBD, it may fail with ErrBurst on
// customers whose repeat purchases are all at recency 0.
func FitParetoNBD(cs []Customer, opt *FitOptions) (*ParetoNBD, error) {
	o := opt.withDefaults()
	unit, err := unitOf(cs, customerUnit)
	if err != nil {
		return nil, err
	}
	g, err := groupForFit("Pareto/NBD", cs, o.Weights)
	if err != nil {
		return nil, err
	}
	b := findBursts("Pareto/NBD", cs, o.Weights)
	if err := b.before(); err != nil {
		return nil, err
	}
	theta, ll, d, err := fitGrouped(g, paretoBuild(o.Workers), o)
	if err := b.after(err, []string{"alpha", "beta"}, scalesOf(theta, 1, 3)...); err != nil {
		return nil, err
	}
	return &ParetoNBD{R: theta[0], Alpha: theta[1], S: theta[2], Beta: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// paretoProblem validates and groups the customers and returns the Pareto/NBD
// likelihood with its starting points.
func paretoProblem(cs []Customer, workers int) (likelihood, [][]float64, error) {
	g, err := groupForFit("Pareto/NBD", cs, nil)
	if err != nil {
		return likelihood{}, nil, err
	}
	lk, starts := paretoGrouped(g, workers)
	return lk, starts, nil
}

// paretoGrouped is paretoProblem on customers already grouped.
func paretoGrouped(g *grouped, workers int) (likelihood, [][]float64) {
	l := newParetoQuadLikelihood(g, workers)
	lk := likelihood{model: "Pareto/NBD", names: paretoNames, n: g.total, rows: g.rows(), eval: l.eval, analytic: true, hess: l.evalHess,
		scale: []bool{false, true, false, true}, shapeOf: []int{-1, 0, -1, 2}, limits: paretoLimits}
	return lk, paretoStarts(g)
}

// paretoBuild is paretoGrouped as fitGrouped takes it.
func paretoBuild(workers int) func(*grouped) (likelihood, [][]float64) {
	return func(g *grouped) (likelihood, [][]float64) { return paretoGrouped(g, workers) }
}

func paretoStarts(g *grouped) [][]float64 {
	bg := betaGeoStarts(g)
	starts := make([][]float64, len(bg))
	for i, s := range bg {
		// r and alpha as for BG/NBD; the dropout rate's mean s/beta starts near the
		// purchase rate's.
		starts[i] = []float64{s[0], s[1], s[2], s[2] * s[1] / s[0]}
	}
	return starts
}

// paretoLogA0 returns log A0 and the logs of its two terms, from the note's eq. 24:
//
//	α >= β: A0 = 2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+t_x)) / (α+t_x)^(r+s+x)
//	           - 2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+T)) / (α+T)^(r+s+x)
//	α <  β: A0 = 2F1(r+s+x, r+x; r+s+x+1; (β-α)/(β+t_x)) / (β+t_x)^(r+s+x)
//	           - 2F1(r+s+x, r+x; r+s+x+1; (β-α)/(β+T)) / (β+T)^(r+s+x)
//
// The branch keeps the argument of 2F1 in [0, 1), where its series converges. Each
// term is kept as a logarithm (the powers underflow for frequent buyers), and their
// difference, which is positive because A0 is the integral of a positive function over
// (t_x, T), is taken as log(e^u - e^v) = u + log(1 - e^(v-u)).
//
// Where the argument of 2F1 is within zQuad of 1 the series needs about 36/(1-z)
// terms (beta ≫ alpha: hardly any dropout), and paretoTerm returns NaN: A0 is then
// computed by quadrature (paretoLogA0Quad).
func paretoTerm(r, alpha, s, beta float64, x int, y float64) float64 {
	rsx := r + s + float64(x)
	if math.Abs(alpha-beta)/(max(alpha, beta)+y) > 1-zQuad {
		return math.NaN()
	}
	if alpha >= beta {
		return math.Log(hypergeo(rsx, s+1, rsx+1, (alpha-beta)/(alpha+y))) - rsx*math.Log(alpha+y)
	}
	return math.Log(hypergeo(rsx, r+float64(x), rsx+1, (beta-alpha)/(beta+y))) - rsx*math.Log(beta+y)
}

// log1mexp returns log(1 - e^d) for d <= 0 (Mächler 2012's two branches).
func log1mexp(d float64) float64 {
	if d >= 0 {
		return math.Inf(-1)
	}
	if d > -math.Ln2 {
		return math.Log(-math.Expm1(d))
	}
	return math.Log1p(-math.Exp(d))
}

// zQuad is the distance from 1 of the 2F1 argument below which A0 is computed by
// quadrature: there the series would need over 36/zQuad = 720 terms.
const zQuad = 0.05

// paretoLogA0 returns log A0 from the two 2F1 terms at t_x and T, or, where
// paretoTerm left them NaN, by quadrature.
func paretoLogA0(r, alpha, s, beta float64, x int, tx, T, termTx, termT float64) float64 {
	if math.IsNaN(termTx) || math.IsNaN(termT) {
		return paretoLogA0Quad(r, alpha, s, beta, x, tx, T)
	}
	return termTx + log1mexp(termT-termTx)
}

// paretoLogA0Quad returns log A0 from its definition as an integral over the moment
// of death τ in (t_x, T) (Fader & Hardie 2005, the note's eqs. 19-21):
//
//	s/(r+s+x) · A0 = s ∫ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ,
//
// by Gauss-Legendre quadrature on panels. The log of the integrand, h, is convex and
// decreasing, so its rate of decay |h'| is largest at a panel's left end; each panel is
// as wide as 2/|h'| there, so that the integrand falls by at most e² across it, where
// 16 nodes are exact to rounding. Panels stop where the integrand is e⁻⁵⁰ of its value
// at t_x or at T.
func paretoLogA0Quad(r, alpha, s, beta float64, x int, tx, T float64) float64 {
	k1, k2 := r+float64(x), s+1
	h := func(t float64) float64 { return -k1*math.Log(alpha+t) - k2*math.Log(beta+t) }
	h0 := h(tx)
	nodes, weights := legendre16()
	var sum float64
	for tau, panels := tx, 0; tau < T && panels < 400; panels++ {
		rate := k1/(alpha+tau) + k2/(beta+tau)
		width := math.Min(T-tau, 2/rate)
		if width <= 0 || tau+width == tau {
			break
		}
		var p float64
		for i, v := range nodes {
			p += weights[i] * math.Exp(h(tau+width*v)-h0)
		}
		sum += p * width
		tau += width
		if h(tau)-h0 < -50 {
			break
		}
	}
	return math.Log(k1+s) + h0 + math.Log(sum)
}

// legendre16 are the 16-point Gauss-Legendre nodes and weights on [0, 1].
var legendre16 = sync.OnceValues(func() ([]float64, []float64) {
	x, w := make([]float64, 16), make([]float64, 16)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	return x, w
})

// paretoLogLik is one customer's log-likelihood (the note's eq. 22):
//
//	Γ(r+x) α^r β^s / Γ(r) · { 1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0 },
//
// given the two A0 terms at t_x and T.
func paretoLogLik(r, alpha, s, beta float64, x int, tx, T, termTx, termT float64) float64 {
	xf := float64(x)
	first := -(r+xf)*math.Log(alpha+T) - s*math.Log(beta+T)
	logA0 := paretoLogA0(r, alpha, s, beta, x, tx, T, termTx, termT)
	second := math.Log(s/(r+s+xf)) + logA0
	return lgamma(r+xf) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta) + logAddExp(first, second)
}

// logAddExp returns log(e^a + e^b) by gonum's floats.LogSumExp, with the empty sum
// (both -Inf), which LogSumExp makes NaN, answered as -Inf. A hand-written log1p form
// stood here while the Pareto/NBD fit's gradient was by finite differences, which felt
// the last digits of the smaller term; with the analytic gradient and Hessian every
// SciPy golden (golden_test.go, cdnow_test.go) stays within its tolerance (rechecked
// for issue #21).
func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	return floats.LogSumExp([]float64{a, b})
}

// paretoLikelihood evaluates the Pareto/NBD log-likelihood on grouped data. The 2F1
// terms depend on (x, t_x) and (x, T) only, so they are computed once per distinct
// pair, in parallel.
type paretoLikelihood struct {
	g       *grouped
	workers int
	// distinct (x, y) pairs: y is t_x for pairsTx, T for pairsT
	pairX, pairY []int32
	pairIsT      []bool
	groupTx      []int32 // per group: pair index of (x, t_x)
	groupT       []int32 // per group: pair index of (x, T)
	terms        []float64
}

func newParetoLikelihood(g *grouped, workers int) *paretoLikelihood {
	l := &paretoLikelihood{g: g, workers: workers, groupTx: make([]int32, g.rows()), groupT: make([]int32, g.rows())}
	type key struct {
		x, y int32
		isT  bool
	}
	index := map[key]int32{}
	pair := func(k key) int32 {
		if i, ok := index[k]; ok {
			return i
		}
		i := int32(len(l.pairX))
		index[k] = i
		l.pairX = append(l.pairX, k.x)
		l.pairY = append(l.pairY, k.y)
		l.pairIsT = append(l.pairIsT, k.isT)
		return i
	}
	for j := range g.w {
		l.groupTx[j] = pair(key{g.xi[j], g.txi[j], false})
		l.groupT[j] = pair(key{g.xi[j], g.ti[j], true})
	}
	l.terms = make([]float64, len(l.pairX))
	return l
}

func (l *paretoLikelihood) eval(theta, _ []float64) float64 {
	r, alpha, s, beta := theta[0], theta[1], theta[2], theta[3]
	g := l.g
	parallelSum(len(l.pairX), l.workers, 0, nil, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			var y float64
			if l.pairIsT[i] {
				y = g.ts[l.pairY[i]]
			} else {
				y = g.txs[l.pairY[i]]
			}
			l.terms[i] = paretoTerm(r, alpha, s, beta, g.xs[l.pairX[i]], y)
		}
	})
	var acc [1]float64
	parallelSum(g.rows(), l.workers, 1, acc[:], func(lo, hi int, a []float64) {
		var sum float64
		for j := lo; j < hi; j++ {
			x := g.xs[g.xi[j]]
			sum += g.w[j] * paretoLogLik(r, alpha, s, beta, x, g.txs[g.txi[j]], g.ts[g.ti[j]], l.terms[l.groupTx[j]], l.terms[l.groupT[j]])
		}
		a[0] += sum
	})
	return acc[0]
}

// PAlive returns P(alive | x, t_x, T), the note's eq. 25:
//
//	1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0),
//
// with s/(r+s+x)·A0 the integral s·I of paretoQuadLikelihood, by the same quadrature
// as the fits (the 2F1 form of A0 loses every digit, or overflows, when s is large or
// t_x is near T).
func (m *ParetoNBD) PAlive(c Customer) float64 {
	if !m.usable() {
		return 0
	}
	if !usable(0, c) {
		return 0
	}
	rx := m.R + float64(c.Frequency)
	var mo [qMoments]float64
	h0 := paretoMoments(rx, m.S+1, m.Alpha, m.Beta, c.Recency, c.T, false, &mo)
	if !(mo[qI] > 0) {
		return 1
	}
	d := math.Log(m.S) + h0 + math.Log(mo[qI]) + rx*math.Log(m.Alpha+c.T) + m.S*math.Log(m.Beta+c.T)
	return sigmoid(-d)
}

// paretoProcess is a customer alive at time 0 with λ ~ Gamma(r, alpha), μ ~ Gamma(s,
// beta): a new customer, or, with posterior parameters (r+x, alpha+T, s, beta+T), a
// customer known to be alive at T.
type paretoProcess struct{ r, alpha, s, beta float64 }

// mean returns E[X(t)] = r β / (α (s-1)) · [1 - (β/(β+t))^(s-1)] (Schmittlein et al.
// 1987; the note's eq. 27 for the conditional form). At s = 1 it is its limit
// r β / α · log(1 + t/β); expm1 keeps it accurate near there.
func (p paretoProcess) mean(t float64) float64 {
	lq := -math.Log1p(t / p.beta) // log(β/(β+t)) < 0
	var f float64
	if sm1 := p.s - 1; math.Abs(sm1) < 1e-12 {
		f = -lq
	} else {
		f = -math.Expm1(sm1*lq) / sm1
	}
	// beta/alpha first: r·beta overflows for absurd ages before the ratio does.
	return p.r * (p.beta / p.alpha) * f
}

// pmf returns P(X(t) = n): a customer whose lifetime τ outlasts t makes an NBD number of
// purchases over t, one who dies at τ < t an NBD number over τ:
//
//	P(X(t)=n) = P(τ > t)·NBD(n; t) + ∫_0^t NBD(n; τ) f(τ) dτ,
//
// with τ Pareto of the second kind, P(τ > t) = (β/(β+t))^s. The integral is computed
// by Gauss-Legendre quadrature after the change of variable τ = β((1+t/β)^u - 1), which
// makes the lifetime density flat (f(τ)dτ = s L (1+t/β)^(-s u) du with
// L = log(1+t/β)) and follows the NBD term across orders of magnitude of τ.
func (p paretoProcess) pmf(t float64, n int) float64 {
	// Beyond 1e12·beta nearly every customer has died; such horizons are evaluated at
	// 1e12·beta, which keeps the change of variable below finite.
	t = math.Min(t, 1e12*p.beta)
	L := math.Log1p(t / p.beta)
	nf := float64(n)
	logNorm := lgamma(p.r+nf) - lgamma(p.r) - lgamma(nf+1)
	nbd := func(tau float64) float64 {
		if tau == 0 {
			return pointMass(n)
		}
		u := tau / p.alpha
		return math.Exp(logNorm - p.r*math.Log1p(u) + nf*(math.Log(u)-math.Log1p(u)))
	}
	// The density of the moment of death in u is s·L·e^(-s·L·u): for a large s·L
	// (many customers' lifetimes inside the horizon) all but e^-40 of it lies below
	// U = 40/(s·L), and nodes spread over [0, 1] would miss it (P(X(t) = 0) of a base
	// that had died out drifted from 0.23 to 0.05 as the horizon grew past 1e7
	// lifetimes). The nodes span [0, U]; what lies beyond is below e^-40.
	U := math.Min(1, 40/(p.s*L))
	xs, ws := legendreNodes()
	var integral float64
	for i, v := range xs {
		u := U * v
		tau := p.beta * math.Expm1(u*L)
		integral += ws[i] * nbd(tau) * math.Exp(-p.s*u*L)
	}
	integral *= p.s * L * U
	return stats.Clamp01(math.Exp(-p.s*L)*nbd(t) + integral)
}

// legendreNodes are the Gauss-Legendre nodes and weights on [0, 1] used by
// paretoProcess.pmf, computed once.
var legendreNodes = sync.OnceValues(func() ([]float64, []float64) {
	const n = 256
	x, w := make([]float64, n), make([]float64, n)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	return x, w
})

func (m *ParetoNBD) newCustomer() process { return paretoProcess{m.R, m.Alpha, m.S, m.Beta} }

func (m *ParetoNBD) posterior(c Customer) paretoProcess {
	return paretoProcess{m.R + float64(c.Frequency), m.Alpha + c.T, m.S, m.Beta + c.T}
}

// ExpectedPurchases returns E[X(T, T+t) | x, t_x, T] (the note's eq. 27).
func (m *ParetoNBD) ExpectedPurchases(t float64, c Customer) float64 {
	if !m.usable() {
		return 0
	}
	return expectedGiven[paretoProcess](m, t, c)
}

// PurchaseProb returns P(X(T, T+t) = n | x, t_x, T): 0 purchases if the customer has
// died; otherwise the purchases of a new customer with the posterior parameters.
func (m *ParetoNBD) PurchaseProb(t float64, n int, c Customer) float64 {
	if !m.usable() {
		return 0
	}
	return probGiven[paretoProcess](m, t, n, c)
}

// ExpectedPurchasesNew returns E[X(t)] for a new customer.
func (m *ParetoNBD) ExpectedPurchasesNew(t float64) float64 {
	if !m.usable() {
		return 0
	}
	return expectedNew[paretoProcess](m, t)
}

// PurchaseProbNew returns P(X(t) = n) for a new customer.
func (m *ParetoNBD) PurchaseProbNew(t float64, n int) float64 {
	if !m.usable() {
		return 0
	}
	return probNew[paretoProcess](m, t, n)
}
