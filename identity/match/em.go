package match

import "math"

// patterns counts distinct comparison vectors: EM needs only each vector and how often
// it occurs, which turns millions of pairs into a few hundred rows.
type patterns struct {
	k      int       // comparisons per vector
	vecs   []int8    // vectors, k entries each
	counts []float64 // occurrences of each vector
	index  map[string]int
}

func newPatterns(k int) *patterns { return &patterns{k: k, index: map[string]int{}} }

func (p *patterns) add(g []int8, w float64) {
	key := string(int8Bytes(g))
	if i, ok := p.index[key]; ok {
		p.counts[i] += w
		return
	}
	p.index[key] = len(p.counts)
	p.vecs = append(p.vecs, g...)
	p.counts = append(p.counts, w)
}

func int8Bytes(g []int8) []byte {
	b := make([]byte, len(g))
	for i, v := range g {
		b[i] = byte(v)
	}
	return b
}

// probFloor keeps every estimated probability away from 0 so that no level's log Bayes
// factor is infinite; a level never seen among matches weighs about -20 bits, not -inf.
const probFloor = 1e-6

// em fits the two-class latent model of Fellegi & Sunter (1969) to comparison vectors
// by expectation-maximisation (Winkler 1988; Jaro 1989), assuming the comparisons are
// independent given match status. With m_kl = P(level l of comparison k | match),
// u_kl = P(level l | non-match) and lambda = P(match), the E-step gives each vector g
//
//	p(g) = lambda prod_k m_k,g_k / (lambda prod_k m_k,g_k + (1-lambda) prod_k u_k,g_k),
//
// null entries (missing values) and comparisons with active[k] false leaving both
// products alone; the M-step sets m_kl to the p-weighted share of non-null vectors at
// level l, u_kl likewise with 1-p (only when fitU, otherwise u stays as given, Splink's
// default with u from random pairs), and lambda to the mean of p. It updates m, u in
// place and returns lambda and the iterations run: it stops when no parameter moves by
// more than tol, or after maxIter.
func em(p *patterns, levels []int, active []bool, m, u [][]float64, lambda float64, fitU bool, maxIter int, tol float64) (float64, int) {
	k := p.k
	post := make([]float64, len(p.counts))
	mNum := make([][]float64, k)
	uNum := make([][]float64, k)
	for c := range k {
		mNum[c] = make([]float64, levels[c])
		uNum[c] = make([]float64, levels[c])
	}
	it := 0
	for it < maxIter {
		it++
		// E-step, in logs so that many comparisons cannot underflow.
		lm, lu := math.Log(lambda), math.Log1p(-lambda)
		total := 0.0
		for i := range p.counts {
			g := p.vecs[i*k : (i+1)*k]
			a, b := lm, lu
			for c, l := range g {
				if l == null || !active[c] {
					continue
				}
				a += math.Log(m[c][l])
				b += math.Log(u[c][l])
			}
			post[i] = 1 / (1 + math.Exp(b-a))
			total += p.counts[i]
		}
		// M-step.
		for c := range k {
			clear(mNum[c])
			clear(uNum[c])
		}
		matches := 0.0
		for i, n := range p.counts {
			g := p.vecs[i*k : (i+1)*k]
			w := post[i] * n
			matches += w
			for c, l := range g {
				if l == null || !active[c] {
					continue
				}
				mNum[c][l] += w
				uNum[c][l] += n - w
			}
		}
		moved := 0.0
		newLambda := min(max(matches/total, probFloor), 1-probFloor)
		moved = math.Abs(newLambda - lambda)
		lambda = newLambda
		for c := range k {
			if !active[c] {
				continue
			}
			moved = max(moved, normalizeInto(m[c], mNum[c]))
			if fitU {
				moved = max(moved, normalizeInto(u[c], uNum[c]))
			}
		}
		if moved <= tol {
			break
		}
	}
	return lambda, it
}

// normalizeInto sets dst to num normalised to sum 1 with every entry at least
// probFloor, and returns the largest change; it leaves dst alone when num is all zero.
func normalizeInto(dst, num []float64) float64 {
	s := 0.0
	for _, v := range num {
		s += v
	}
	if s <= 0 {
		return 0
	}
	moved, t := 0.0, 0.0
	tmp := make([]float64, len(num))
	for i, v := range num {
		tmp[i] = max(v/s, probFloor)
		t += tmp[i]
	}
	for i := range tmp {
		v := tmp[i] / t
		moved = max(moved, math.Abs(v-dst[i]))
		dst[i] = v
	}
	return moved
}
