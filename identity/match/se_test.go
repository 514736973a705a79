package match

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// mixtureSE returns the asymptotic standard errors of the maximum-likelihood estimates
// of lambda, m and u of the Fellegi-Sunter mixture, fitted to n comparison vectors drawn
// from it with each comparison null with probability nullRate: the square roots of the
// diagonal of the inverse expected Fisher information, summed exactly over every
// possible vector (McLachlan and Krishnan, The EM Algorithm and Extensions, 2nd ed.,
// sec. 4.2). The binomial error of a proportion understates a mixture's error, the more
// so the vaguer the posterior: which class a vector came from is missing information.
// The expected information, unlike the observed one, does not vary with the sample, so
// a sample that happens to be short of a rare level does not also shrink the yardstick
// its error is measured with. Each distribution is parameterised by all but its last
// level, whose error follows by the delta method. With fitU false, u is known and only
// lambda and m are estimated (seU is nil).
func mixtureSE(t interface {
	Helper()
	Fatalf(format string, args ...any)
}, levels []int, nullRate, n, lambda float64, m, u [][]float64, fitU bool) (seLambda float64, seM, seU [][]float64) {
	t.Helper()
	k := len(levels)
	// Offsets of each distribution's free parameters in theta; index 0 is lambda.
	mOff, uOff := make([]int, k), make([]int, k)
	dim := 1
	for c := range k {
		mOff[c] = dim
		dim += levels[c] - 1
	}
	if fitU {
		for c := range k {
			uOff[c] = dim
			dim += levels[c] - 1
		}
	}
	info := mat.NewSymDense(dim, nil)
	s := make([]float64, dim)
	// addScore adds the derivative of log dist[g] with respect to the distribution's
	// free parameters at off, weighted by w.
	addScore := func(off int, dist []float64, g int8, w float64) {
		last := len(dist) - 1
		if int(g) < last {
			s[off+int(g)] += w / dist[g]
			return
		}
		for j := range last {
			s[off+j] -= w / dist[last]
		}
	}
	// Enumerate every vector g, each comparison a level or null, as an odometer.
	g := make([]int8, k)
	for c := range g {
		g[c] = null
	}
	for {
		// The vector's probability under each class, and its score.
		pm, pu := lambda, 1-lambda
		for c, l := range g {
			if l == null {
				pm *= nullRate
				pu *= nullRate
				continue
			}
			pm *= (1 - nullRate) * m[c][l]
			pu *= (1 - nullRate) * u[c][l]
		}
		if pr := pm + pu; pr > 0 {
			w := pm / pr // posterior probability of a match
			clear(s)
			s[0] = w/lambda - (1-w)/(1-lambda)
			for c, l := range g {
				if l == null {
					continue
				}
				addScore(mOff[c], m[c], l, w)
				if fitU {
					addScore(uOff[c], u[c], l, 1-w)
				}
			}
			info.SymRankOne(info, n*pr, mat.NewVecDense(dim, s))
		}
		c := 0
		for c < k {
			if g[c] == null {
				g[c] = 0
			} else {
				g[c]++
			}
			if int(g[c]) < levels[c] {
				break
			}
			g[c] = null
			c++
		}
		if c == k {
			break
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(info) {
		t.Fatalf("the information matrix is singular: a parameter is not identified")
	}
	var cov mat.SymDense
	if err := chol.InverseTo(&cov); err != nil {
		t.Fatalf("inverting the information matrix: %v", err)
	}
	// blockSE returns the standard errors of one distribution's levels.
	blockSE := func(off, n int) []float64 {
		se := make([]float64, n)
		last := 0.0
		for a := range n - 1 {
			se[a] = math.Sqrt(cov.At(off+a, off+a))
			for b := range n - 1 {
				last += cov.At(off+a, off+b)
			}
		}
		se[n-1] = math.Sqrt(last)
		return se
	}
	seM = make([][]float64, k)
	for c := range k {
		seM[c] = blockSE(mOff[c], levels[c])
	}
	if fitU {
		seU = make([][]float64, k)
		for c := range k {
			seU[c] = blockSE(uOff[c], levels[c])
		}
	}
	return math.Sqrt(cov.At(0, 0)), seM, seU
}

// logLikelihood returns the log-likelihood of the patterns p under the mixture with
// match share lambda and level distributions m and u; null comparisons carry no
// information.
func logLikelihood(p *patterns, lambda float64, m, u [][]float64) float64 {
	k := p.k
	ll := 0.0
	for i, n := range p.counts {
		g := p.vecs[i*k : (i+1)*k]
		a, b := math.Log(lambda), math.Log1p(-lambda)
		for c, l := range g {
			if l != null {
				a += math.Log(m[c][l])
				b += math.Log(u[c][l])
			}
		}
		hi := max(a, b)
		ll += n * (hi + math.Log(math.Exp(a-hi)+math.Exp(b-hi)))
	}
	return ll
}
