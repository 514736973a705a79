package scoring

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// betaGeoLikelihood is the log-likelihood of BG/NBD (shift 0) and MBG/NBD (shift 1) on
// grouped data, with its gradient and Hessian in the log-parameters. With k = x + shift
// dropout chances survived, one customer contributes (Fader, Hardie & Lee 2005, eq. 6;
// Batislam, Denizel & Filiztekin 2007, eq. 4)
//
//	Γ(r+x) α^r / Γ(r) · B(a, b+k)/B(a, b) · [(α+T)^-(r+x) + 1{k>0} a/(b+k-1) · (α+t_x)^-(r+x)]
//
// computed as logs, the bracket by a softplus so that neither term underflows. Terms
// that depend only on x are computed once per distinct x; log(α+T) and log(α+t_x)
// once per distinct T and t_x; the rest per group, in parallel.
type betaGeoLikelihood struct {
	g       *grouped
	shift   int
	workers int
	// scratch, reused across evaluations (a fit evaluates from one goroutine)
	lT, iT, lt, it []float64
	cx, dx, ibk    []float64
}

func newBetaGeoLikelihood(g *grouped, shift, workers int) *betaGeoLikelihood {
	return &betaGeoLikelihood{
		g: g, shift: shift, workers: workers,
		lT: make([]float64, len(g.ts)), iT: make([]float64, len(g.ts)),
		lt: make([]float64, len(g.txs)), it: make([]float64, len(g.txs)),
		cx: make([]float64, len(g.xs)), dx: make([]float64, len(g.xs)), ibk: make([]float64, len(g.xs)),
	}
}

// eval returns the total log-likelihood at theta = (r, alpha, a, b) and, if grad is
// non-nil, stores ∂LL/∂log θ in it.
func (l *betaGeoLikelihood) eval(theta, grad []float64) float64 { return l.evalHess(theta, grad, nil) }

// Accumulators of the per-group sums (see evalHess).
const (
	bgLL     = iota
	bgR      // Σ w ∂f/∂r
	bgAlpha  // Σ w ∂f/∂α
	bgA      // Σ w σ
	bgB      // Σ w σ/(b+k-1)
	bgRR     // Σ w q D²
	bgRAlpha // Σ w (q D (r+x) E - σ E - 1/(α+T))
	bgAlAl   // Σ w ((r+x)/(α+T)² + q (r+x)² E² + σ (r+x) (1/(α+t_x)² - 1/(α+T)²))
	bgRA     // Σ w q D
	bgRB     // Σ w q D/(b+k-1)
	bgAlA    // Σ w q (r+x) E
	bgAlB    // Σ w q (r+x) E/(b+k-1)
	bgAA     // Σ w (q - σ)
	bgAB     // Σ w q/(b+k-1)
	bgBB     // Σ w (q + σ)/(b+k-1)²
	bgAccumulators
)

// evalHess is eval that also stores, if hess is non-nil, the Hessian ∂²LL/∂log θᵢ∂log θⱼ
// in hess (4×4, row-major); grad must then be non-nil too.
//
// The derivatives are by hand from eq. 6. Per group, with u = log a - log(b+k-1) -
// (r+x)·D, D = log(α+t_x) - log(α+T) and E = 1/(α+t_x) - 1/(α+T), the log of the
// bracket is f = -(r+x) log(α+T) + softplus(u), so that with σ = sigmoid(u) and
// q = σ(1-σ)
//
//	∂f/∂θᵢ = ∂(-(r+x) log(α+T))/∂θᵢ + σ uᵢ,   ∂²f/∂θᵢ∂θⱼ = ∂²(...)/∂θᵢ∂θⱼ + q uᵢuⱼ + σ uᵢⱼ,
//
// where u_r = -D, u_α = -(r+x)E, u_a = 1/a, u_b = -1/(b+k-1), u_rα = -E,
// u_αα = (r+x)(1/(α+t_x)² - 1/(α+T)²), u_aa = -1/a², u_bb = 1/(b+k-1)², the other
// second derivatives 0. The per-x part log Γ(r+x) - log Γ(r) + r log α + log B(a, b+k)
// - log B(a, b) has digamma first and trigamma second derivatives. The Hessian in the
// log-parameters is then θᵢθⱼ ∂²LL/∂θᵢ∂θⱼ + δᵢⱼ θᵢ ∂LL/∂θᵢ.
func (l *betaGeoLikelihood) evalHess(theta, grad, hess []float64) float64 {
	r, alpha, a, b := theta[0], theta[1], theta[2], theta[3]
	g := l.g
	la := math.Log(alpha)
	lbab := mathext.Lbeta(a, b)
	for i, T := range g.ts {
		l.lT[i] = math.Log(alpha + T)
		l.iT[i] = 1 / (alpha + T)
	}
	for i, tx := range g.txs {
		l.lt[i] = math.Log(alpha + tx)
		l.it[i] = 1 / (alpha + tx)
	}
	// Per distinct x: the constant part and the log of the second term's factor, and
	// their derivatives in the natural parameters.
	var ll, gr, ga, gA, gB float64
	var hrr, hAA, hBB float64 // trigamma parts; the cross terms follow from them
	var psiR, psiAB, psiB, tR, tAB, tB float64
	if grad != nil {
		psiR, psiAB, psiB = mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	}
	if hess != nil {
		tR, tAB, tB = trigamma(r), trigamma(a+b), trigamma(b)
	}
	for i, x := range g.xs {
		xf, k := float64(x), float64(x+l.shift)
		l.cx[i] = lgamma(r+xf) - lgamma(r) + r*la + mathext.Lbeta(a, b+k) - lbab
		if x+l.shift > 0 {
			l.dx[i] = math.Log(a) - math.Log(b+k-1)
			l.ibk[i] = 1 / (b + k - 1)
		} else {
			l.dx[i] = math.Inf(-1)
			l.ibk[i] = 0
		}
		w := g.wx[i]
		ll += w * l.cx[i]
		if grad != nil {
			psiABk := mathext.Digamma(a + b + k)
			gr += w * (mathext.Digamma(r+xf) - psiR + la)
			ga += w * r / alpha
			gA += w * (psiAB - psiABk)
			gB += w * (psiAB + mathext.Digamma(b+k) - psiB - psiABk)
		}
		if hess != nil && x+l.shift > 0 {
			tABk := trigamma(a + b + k)
			if x > 0 {
				hrr += w * (trigamma(r+xf) - tR)
			}
			hAA += w * (tAB - tABk)
			hBB += w * (trigamma(b+k) - tB + tAB - tABk)
		}
	}
	var acc [bgAccumulators]float64
	n := 5
	if hess != nil {
		n = bgAccumulators
	}
	parallelSum(g.rows(), l.workers, n, acc[:n], func(lo, hi int, s []float64) {
		if hess != nil {
			l.rowsHess(lo, hi, r, s)
		} else {
			l.rowsGrad(lo, hi, r, grad != nil, s)
		}
	})
	ll += acc[bgLL]
	if grad == nil {
		return ll
	}
	// ∂LL/∂θ in the natural parameters.
	dr := gr + acc[bgR]
	dal := ga + acc[bgAlpha]
	da := gA + acc[bgA]/a
	db := gB - acc[bgB]
	// Chain rule to log-parameters: ∂/∂log θ = θ ∂/∂θ.
	grad[0], grad[1], grad[2], grad[3] = r*dr, alpha*dal, a*da, b*db
	if hess == nil {
		return ll
	}
	n0 := g.total
	var h [4][4]float64
	h[0][0] = hrr + acc[bgRR]
	h[0][1] = n0/alpha + acc[bgRAlpha]
	h[1][1] = -n0*r/(alpha*alpha) + acc[bgAlAl]
	h[0][2] = -acc[bgRA] / a
	h[0][3] = acc[bgRB]
	h[1][2] = -acc[bgAlA] / a
	h[1][3] = acc[bgAlB]
	h[2][2] = hAA + acc[bgAA]/(a*a)
	h[2][3] = hAA - acc[bgAB]/a
	h[3][3] = hBB + acc[bgBB]
	d := [4]float64{dr, dal, da, db}
	for i := range 4 {
		for j := i; j < 4; j++ {
			v := theta[i] * theta[j] * h[i][j]
			if i == j {
				v += theta[i] * d[i]
			}
			hess[4*i+j], hess[4*j+i] = v, v
		}
	}
	return ll
}

// rowsGrad adds the per-group log-likelihood (and, if grad, the gradient sums) of
// groups lo..hi to s.
func (l *betaGeoLikelihood) rowsGrad(lo, hi int, r float64, grad bool, s []float64) {
	g := l.g
	var sll, sr, sa, sA, sB float64
	for j := lo; j < hi; j++ {
		xi, ti, txi, w := g.xi[j], g.ti[j], g.txi[j], g.w[j]
		rx := r + float64(g.xs[xi])
		lT := l.lT[ti]
		v := -rx * lT
		if d := l.dx[xi]; !math.IsInf(d, -1) {
			lt := l.lt[txi]
			u := d - rx*(lt-lT)
			sp, w4 := softplusSigmoid(u)
			v += sp
			if grad {
				sr += w * (-lT + w4*(lT-lt))
				sa += w * (-rx*l.iT[ti] - w4*rx*(l.it[txi]-l.iT[ti]))
				sA += w * w4
				sB += w * w4 * l.ibk[xi]
			}
		} else if grad {
			sr -= w * lT
			sa -= w * rx * l.iT[ti]
		}
		sll += w * v
	}
	s[bgLL] += sll
	if grad {
		s[bgR] += sr
		s[bgAlpha] += sa
		s[bgA] += sA
		s[bgB] += sB
	}
}

// rowsHess adds the per-group log-likelihood, gradient and Hessian sums of groups
// lo..hi to s (the accumulators bgLL..bgBB).
func (l *betaGeoLikelihood) rowsHess(lo, hi int, r float64, s []float64) {
	g := l.g
	var acc [bgAccumulators]float64
	for j := lo; j < hi; j++ {
		xi, ti, txi, w := g.xi[j], g.ti[j], g.txi[j], g.w[j]
		rx := r + float64(g.xs[xi])
		lT, iT := l.lT[ti], l.iT[ti]
		v := -rx * lT
		acc[bgR] -= w * lT
		acc[bgAlpha] -= w * rx * iT
		acc[bgRAlpha] -= w * iT
		acc[bgAlAl] += w * rx * iT * iT
		if d := l.dx[xi]; !math.IsInf(d, -1) {
			lt, it := l.lt[txi], l.it[txi]
			D, E := lt-lT, it-iT
			u := d - rx*D
			sp, sg := softplusSigmoid(u)
			v += sp
			ws, wq := w*sg, w*sg*(1-sg)
			ibk := l.ibk[xi]
			acc[bgR] -= ws * D
			acc[bgAlpha] -= ws * rx * E
			acc[bgA] += ws
			acc[bgB] += ws * ibk
			acc[bgRR] += wq * D * D
			acc[bgRAlpha] += wq*D*rx*E - ws*E
			acc[bgAlAl] += wq*rx*rx*E*E + ws*rx*(it*it-iT*iT)
			acc[bgRA] += wq * D
			acc[bgRB] += wq * D * ibk
			acc[bgAlA] += wq * rx * E
			acc[bgAlB] += wq * rx * E * ibk
			acc[bgAA] += wq - ws
			acc[bgAB] += wq * ibk
			acc[bgBB] += (wq + ws) * ibk * ibk
		}
		acc[bgLL] += w * v
	}
	for i, v := range acc {
		s[i] += v
	}
}

// softplusSigmoid returns log(1+e^u) and 1/(1+e^-u) from one exponential.
func softplusSigmoid(u float64) (float64, float64) {
	e := math.Exp(-math.Abs(u))
	sp := math.Log1p(e)
	if u > 0 {
		return u + sp, 1 / (1 + e)
	}
	return sp, e / (1 + e)
}

// trigamma returns ψ'(x) for x > 0: the recurrence ψ'(x) = ψ'(x+1) + 1/x² up to
// x >= 10, then the asymptotic series (Abramowitz & Stegun 6.4.12), whose first
// omitted term is below 1e-12 of the value there.
func trigamma(x float64) float64 {
	var s float64
	for x < 10 {
		s += 1 / (x * x)
		x++
	}
	z := 1 / (x * x)
	return s + 1/x + z/2 + z/x*(1.0/6-z*(1.0/30-z*(1.0/42-z/30)))
}
