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
// place and returns lambda, the iterations run and the largest parameter change of the
// last one: it stops when no parameter moves by more than tol (the change is then <=
// tol: converged), or after maxIter (+Inf when maxIter < 1 and no iteration ran).
//
// The start (m, u, lambda) is taken as given only where it is a proper start: a lambda
// outside [probFloor, 1-probFloor] is clamped into it (NaN becomes 1/2), and an active
// distribution with an entry below probFloor is floored and renormalised (one that is
// not a distribution at all, negative, infinite, NaN or summing to 0, becomes uniform).
// A probability of exactly 0 or 1 is a start EM cannot leave: a level with m = 0 keeps
// every vector at it out of the match class for good, lambda = 0 makes every posterior
// 0, so that m does not move and EM stops after one step, and a NaN spreads to every
// parameter. Train's own start, initialM and randomU, is proper already.
//
// The likelihood of the mixture does not change when the classes trade places (m with
// u, lambda with 1-lambda), so with fitU EM may end, from a start nearer the mirrored
// solution, with the "match" class holding the non-matches: label switching. em then
// trades them back, so that the match class is the one more likely to agree: the
// identifiability convention that separation(p, m, u, active) be positive. With u fixed
// no mirror image exists and nothing is traded. Where m = u on every active comparison
// (a fixed point of EM: every posterior is lambda and the M-step gives back m = u, the
// share of each level among all vectors) the classes cannot be told apart and the
// separation is 0; Train refuses such a session rather than learn weights of 0 bits.
func em(p *patterns, levels []int, active []bool, m, u [][]float64, lambda float64, fitU bool, maxIter int, tol float64) (float64, int, float64) {
	k := p.k
	lambda = properLambda(lambda)
	for c := range k {
		if active[c] {
			properDist(m[c])
			properDist(u[c])
		}
	}
	post := make([]float64, len(p.counts))
	mNum := make([][]float64, k)
	uNum := make([][]float64, k)
	for c := range k {
		mNum[c] = make([]float64, levels[c])
		uNum[c] = make([]float64, levels[c])
	}
	it, moved := 0, math.Inf(1)
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
	if fitU && separation(p, m, u, active) < 0 {
		for c := range k {
			if active[c] {
				m[c], u[c] = u[c], m[c]
			}
		}
		lambda = 1 - lambda
	}
	return lambda, it, moved
}

// separation is the match weight, in bits without the prior, of a pair at the most
// similar level of every active comparison whose most similar level some vector of p
// is at: sum_k log2(m_k0 / u_k0) over them. Levels run from most to least similar, so
// it is positive when the match class is the one that agrees more, the convention that
// names the classes: the likelihood of the mixture does not (see em), and the matches
// of Fellegi & Sunter (1969) are the pairs of one person, which agree more often than
// pairs of two. It is 0 when m = u, when no comparison is active and when no vector
// agrees at the top level of any: EM has then told no class from the other, or found
// its "matches" among pairs that never agree. A top level no vector
// is at is left out because EM learns nothing of it: its m is floored at probFloor, as
// if matches never agreed there (-10 to -20 bits where a session's pairs never agree
// exactly on a name), which says nothing of which class agrees more on what was seen.
// The convention is on agreement, not on lambda < 1/2: a training session blocked on an
// e-mail address may well hold more matches than non-matches.
func separation(p *patterns, m, u [][]float64, active []bool) float64 {
	s := 0.0
	for c := range m {
		if !active[c] {
			continue
		}
		for i := range p.counts {
			if p.vecs[i*p.k+c] == 0 {
				s += math.Log2(m[c][0] / u[c][0])
				break
			}
		}
	}
	return s
}

// properLambda clamps a starting lambda into [probFloor, 1-probFloor], NaN to 1/2.
func properLambda(lambda float64) float64 {
	if math.IsNaN(lambda) {
		return 0.5
	}
	return min(max(lambda, probFloor), 1-probFloor)
}

// properDist makes a starting distribution one EM can move from: entries at least
// probFloor and summing to 1. It leaves a proper one alone, bit for bit, and makes one
// with a negative, infinite or NaN entry, or summing to 0, uniform.
func properDist(p []float64) {
	s, floored := 0.0, true
	for _, v := range p {
		if !(v >= 0) || math.IsInf(v, 0) {
			s = math.NaN()
			break
		}
		s += v
		floored = floored && v >= probFloor
	}
	switch {
	case !(s > 0): // NaN too
		for i := range p {
			p[i] = 1 / float64(len(p))
		}
	case floored && math.Abs(s-1) <= 1e-9:
	default:
		normalizeInto(p, p)
	}
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
