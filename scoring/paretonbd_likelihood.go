package scoring

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// paretoQuadLikelihood is the Pareto/NBD log-likelihood on grouped data with its
// gradient and Hessian in the log-parameters, all from one quadrature per group.
//
// One customer contributes (Fader & Hardie 2005, the note's eqs. 19-22)
//
//	Γ(r+x) α^r β^s / Γ(r) · { E + s·I },   E = (α+T)^-(r+x) (β+T)^-s,
//	I = ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ,
//
// where s·I is the note's s/(r+s+x)·A0: the probability of dying at τ in (t_x, T)
// having made the x purchases by then. The 2F1 form of A0 is a difference of two
// terms that cancel when t_x is near T and whose derivatives in the parameters have
// no closed form; the integral's derivatives are integrals of the same integrand f
// times log(α+τ), 1/(α+τ), log(β+τ), 1/(β+τ) and their products (differentiation
// under the integral sign), so one pass of Gauss-Legendre quadrature over (t_x, T)
// gives the value, the gradient and the Hessian together.
type paretoQuadLikelihood struct {
	g       *grouped
	workers int
}

func newParetoQuadLikelihood(g *grouped, workers int) *paretoQuadLikelihood {
	return &paretoQuadLikelihood{g: g, workers: workers}
}

// Moments of the integrand: I and ∫ f·gₖ for the products gₖ of la = log(α+τ),
// ia = 1/(α+τ), lb = log(β+τ), ib = 1/(β+τ) that the derivatives need.
const (
	qI = iota
	qLa
	qIa
	qLb
	qIb
	qLaLa
	qLaIa
	qIaIa
	qLaLb
	qLaIb
	qIaLb
	qIaIb
	qLbLb
	qLbIb
	qIbIb
	qMoments
)

// paretoMoments stores in m the moments of f(τ) = (α+τ)^-k1 (β+τ)^-k2 over (lo, hi),
// each relative to f(lo), and returns log f(lo); with hess false only the first five.
// The panels are as in paretoLogA0Quad, and also no wider than α+τ and β+τ at their
// left end, so that the integrand's singularities at -α and -β are at least a panel
// width away and the 8-point rule is accurate to about 1e-13 on each.
func paretoMoments(k1, k2, alpha, beta, lo, hi float64, hess bool, m *[qMoments]float64) float64 {
	*m = [qMoments]float64{}
	h0 := -k1*math.Log(alpha+lo) - k2*math.Log(beta+lo)
	if !(hi > lo) {
		return h0
	}
	nodes, weights := legendre8()
	for tau, panels := lo, 0; tau < hi && panels < 1000; panels++ {
		rate := k1/(alpha+tau) + k2/(beta+tau)
		width := math.Min(math.Min(hi-tau, 2/rate), math.Min(alpha+tau, beta+tau))
		if !(width > 0) || tau+width == tau {
			break
		}
		for i, v := range nodes {
			t := tau + width*v
			la, lb := math.Log(alpha+t), math.Log(beta+t)
			f := weights[i] * width * math.Exp(-k1*la-k2*lb-h0)
			ia, ib := 1/(alpha+t), 1/(beta+t)
			m[qI] += f
			m[qLa] += f * la
			m[qIa] += f * ia
			m[qLb] += f * lb
			m[qIb] += f * ib
			if hess {
				m[qLaLa] += f * la * la
				m[qLaIa] += f * la * ia
				m[qIaIa] += f * ia * ia
				m[qLaLb] += f * la * lb
				m[qLaIb] += f * la * ib
				m[qIaLb] += f * ia * lb
				m[qIaIb] += f * ia * ib
				m[qLbLb] += f * lb * lb
				m[qLbIb] += f * lb * ib
				m[qIbIb] += f * ib * ib
			}
		}
		tau += width
		if -k1*math.Log(alpha+tau)-k2*math.Log(beta+tau)-h0 < -50 {
			break
		}
	}
	return h0
}

// legendre8 are the 8-point Gauss-Legendre nodes and weights on [0, 1].
var legendre8 = sync.OnceValues(func() ([]float64, []float64) {
	x, w := make([]float64, 8), make([]float64, 8)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	return x, w
})

// eval returns the log-likelihood at theta = (r, alpha, s, beta) and, if grad is
// non-nil, stores ∂LL/∂log θ in it.
func (l *paretoQuadLikelihood) eval(theta, grad []float64) float64 {
	if grad == nil {
		return l.evalHess(theta, nil, nil)
	}
	var h [16]float64
	return l.evalHess(theta, grad, h[:])
}

// Accumulators: LL, the gradient in the natural parameters, and the upper triangle of
// the Hessian of the rows' log-bracket in the natural parameters.
const (
	pqLL = iota
	pqG  // 4 entries
	pqH  = pqG + 4
	pqN  = pqH + 10
)

// triangle index of (i, j), i <= j, in a 4×4 upper triangle.
func tri4(i, j int) int { return i*4 - i*(i-1)/2 + j - i }

// evalHess returns the log-likelihood and, if grad is non-nil, stores the gradient
// and, if hess is non-nil, the Hessian ∂²LL/∂log θᵢ∂log θⱼ (4×4, row-major).
//
// Per group, with B = E + s·I the bracket, ω = s·I/B and 1-ω = E/B, and in the
// natural parameters (r, α, s, β) numbered 0..3:
//
//	∂ log B = (1-ω) eᵢ + ω (δᵢₛ/s + Mᵢ),
//	∂² log B = (1-ω)(eᵢeⱼ + eᵢⱼ) + ω (δᵢₛ Mⱼ/s + δⱼₛ Mᵢ/s + Mᵢⱼ) - ∂ᵢlog B ∂ⱼlog B,
//
// where e = ∂ log E = (-log(α+T), -(r+x)/(α+T), -log(β+T), -s/(β+T)), eᵢⱼ its second
// derivatives, and Mᵢ = ∂ᵢI/I, Mᵢⱼ = ∂ᵢⱼI/I the moments of f: ∂_r f = -la f,
// ∂_α f = -(r+x) ia f, ∂_s f = -lb f, ∂_β f = -(s+1) ib f.
func (l *paretoQuadLikelihood) evalHess(theta, grad, hess []float64) float64 {
	r, alpha, s, beta := theta[0], theta[1], theta[2], theta[3]
	g := l.g
	n := 1
	if grad != nil {
		n = pqH
	}
	if hess != nil {
		n = pqN
	}
	var acc [pqN]float64
	parallelSum(g.rows(), l.workers, n, acc[:n], func(lo, hi int, out []float64) {
		var a [pqN]float64
		var m [qMoments]float64
		for j := lo; j < hi; j++ {
			w := g.w[j]
			rx := r + float64(g.xs[g.xi[j]])
			tx, T := g.txs[g.txi[j]], g.ts[g.ti[j]]
			lT, lbT := math.Log(alpha+T), math.Log(beta+T)
			logE := -rx*lT - s*lbT
			h0 := paretoMoments(rx, s+1, alpha, beta, tx, T, hess != nil, &m)
			logSI := math.Inf(-1)
			if m[qI] > 0 {
				logSI = math.Log(s) + h0 + math.Log(m[qI])
			}
			logB := logAddExp(logE, logSI)
			a[pqLL] += w * logB
			if grad == nil {
				continue
			}
			om := 0.0
			if m[qI] > 0 {
				om = math.Exp(logSI - logB)
			}
			iI := 0.0
			if m[qI] > 0 {
				iI = 1 / m[qI]
			}
			e := [4]float64{-lT, -rx / (alpha + T), -lbT, -s / (beta + T)}
			M := [4]float64{-m[qLa] * iI, -rx * m[qIa] * iI, -m[qLb] * iI, -(s + 1) * m[qIb] * iI}
			var d [4]float64
			for i := range 4 {
				d[i] = (1-om)*e[i] + om*M[i]
			}
			d[2] += om / s
			for i := range 4 {
				a[pqG+i] += w * d[i]
			}
			if hess == nil {
				continue
			}
			iaT, ibT := 1/(alpha+T), 1/(beta+T)
			var ee [10]float64 // second derivatives of log E
			ee[tri4(0, 1)] = -iaT
			ee[tri4(1, 1)] = rx * iaT * iaT
			ee[tri4(2, 3)] = -ibT
			ee[tri4(3, 3)] = s * ibT * ibT
			var mm [10]float64 // ∂ᵢⱼI / I
			s1 := s + 1
			mm[tri4(0, 0)] = m[qLaLa] * iI
			mm[tri4(0, 1)] = (rx*m[qLaIa] - m[qIa]) * iI
			mm[tri4(1, 1)] = rx * (rx + 1) * m[qIaIa] * iI
			mm[tri4(0, 2)] = m[qLaLb] * iI
			mm[tri4(0, 3)] = s1 * m[qLaIb] * iI
			mm[tri4(1, 2)] = rx * m[qIaLb] * iI
			mm[tri4(1, 3)] = rx * s1 * m[qIaIb] * iI
			mm[tri4(2, 2)] = m[qLbLb] * iI
			mm[tri4(2, 3)] = (s1*m[qLbIb] - m[qIb]) * iI
			mm[tri4(3, 3)] = s1 * (s1 + 1) * m[qIbIb] * iI
			for i := range 4 {
				for k := i; k < 4; k++ {
					t := tri4(i, k)
					v := (1-om)*(e[i]*e[k]+ee[t]) + om*mm[t] - d[i]*d[k]
					if i == 2 {
						v += om * M[k] / s
					}
					if k == 2 {
						v += om * M[i] / s
					}
					a[pqH+t] += w * v
				}
			}
		}
		for i := range n {
			out[i] += a[i]
		}
	})
	// The per-x part: log Γ(r+x) - log Γ(r) + r log α + s log β.
	ll := acc[pqLL] + g.total*(r*math.Log(alpha)+s*math.Log(beta))
	lgr := lgamma(r)
	for i, x := range g.xs {
		ll += g.wx[i] * (lgamma(r+float64(x)) - lgr)
	}
	if grad == nil {
		return ll
	}
	var d [4]float64
	psiR := mathext.Digamma(r)
	for i, x := range g.xs {
		d[0] += g.wx[i] * (mathext.Digamma(r+float64(x)) - psiR)
	}
	d[0] += g.total*math.Log(alpha) + acc[pqG]
	d[1] = g.total*r/alpha + acc[pqG+1]
	d[2] = g.total*math.Log(beta) + acc[pqG+2]
	d[3] = g.total*s/beta + acc[pqG+3]
	for i := range 4 {
		grad[i] = theta[i] * d[i]
	}
	if hess == nil {
		return ll
	}
	var h [10]float64
	copy(h[:], acc[pqH:pqN])
	tR := trigamma(r)
	for i, x := range g.xs {
		if x > 0 {
			h[tri4(0, 0)] += g.wx[i] * (trigamma(r+float64(x)) - tR)
		}
	}
	h[tri4(0, 1)] += g.total / alpha
	h[tri4(1, 1)] -= g.total * r / (alpha * alpha)
	h[tri4(2, 3)] += g.total / beta
	h[tri4(3, 3)] -= g.total * s / (beta * beta)
	for i := range 4 {
		for k := i; k < 4; k++ {
			v := theta[i] * theta[k] * h[tri4(i, k)]
			if i == k {
				v += theta[i] * d[i]
			}
			hess[4*i+k], hess[4*k+i] = v, v
		}
	}
	return ll
}
