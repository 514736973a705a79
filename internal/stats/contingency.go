package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Table is a 2×2 contingency table of counts:
//
//	          with   without
//	group 1   A      B
//	group 2   C      D
type Table struct{ A, B, C, D int64 }

func (t Table) check() error {
	if t.A < 0 || t.B < 0 || t.C < 0 || t.D < 0 {
		return fmt.Errorf("%w: negative count in table %v", ErrInput, t)
	}
	return nil
}

// MinExpected returns the smallest of the four counts expected under independence
// (row total times column total over the grand total), 0 for an empty table.
func (t Table) MinExpected() float64 {
	n := float64(t.A + t.B + t.C + t.D)
	if n == 0 {
		return 0
	}
	r1, r2 := float64(t.A+t.B), float64(t.C+t.D)
	c1, c2 := float64(t.A+t.C), float64(t.B+t.D)
	return min(r1*c1, r1*c2, r2*c1, r2*c2) / n
}

// OddsRatio returns the sample odds ratio AD/BC with Woolf's (1955) interval,
// exp(log OR ± z·sqrt(1/A + 1/B + 1/C + 1/D)).
//
// A table with a zero cell (and no empty row or column) has A at an end of its support
// given the margins, and then the conditional maximum likelihood estimate is 0 or +Inf
// and the interval is Fisher's exact one, bounded on one side: for +Inf, [ψ, +Inf)
// with P(A ≥ a; ψ) = (1−level)/2 under Fisher's noncentral hypergeometric
// distribution (Cornfield 1956; SciPy's odds_ratio(kind="conditional") and R's
// fisher.test), and symmetrically [0, ψ] for 0. The Haldane-Anscombe alternative (a half
// added to every cell) keeps the estimate finite but can put it on the wrong side of
// 1: three converters of three with the candidate against 52 of 54 non-converters
// gives 0.33, a candidate "against" converting that every converter had.
//
// An empty row or column carries no information: the estimate is 1 and the interval
// (0, +Inf).
func OddsRatio(t Table, level float64) (Interval, error) {
	if err := t.check(); err != nil {
		return Interval{}, err
	}
	if !(level > 0 && level < 1) {
		return Interval{}, fmt.Errorf("%w: confidence level %v outside (0, 1)", ErrInput, level)
	}
	if t.A+t.B == 0 || t.C+t.D == 0 || t.A+t.C == 0 || t.B+t.D == 0 {
		return Interval{1, 0, math.Inf(1)}, nil
	}
	alpha := (1 - level) / 2
	switch {
	case t.B == 0 || t.C == 0: // A at the top of its support
		return Interval{math.Inf(1), exactBound(t, alpha, false), math.Inf(1)}, nil
	case t.A == 0 || t.D == 0: // A at the bottom
		return Interval{0, 0, exactBound(t, alpha, true)}, nil
	}
	a, b, c, d := float64(t.A), float64(t.B), float64(t.C), float64(t.D)
	// The estimate as SciPy forms it, a ratio of products: equal products give exactly
	// 1, where exp of a sum of logs gave 0.9999999999999998 for (3, 3, 5, 5) and put
	// the candidate in the "against" list.
	or := (a * d) / (b * c)
	lor := math.Log(a) + math.Log(d) - math.Log(b) - math.Log(c)
	se := math.Sqrt(1/a + 1/b + 1/c + 1/d)
	z := ZCrit(level)
	return Interval{or, math.Exp(lor - z*se), math.Exp(lor + z*se)}, nil
}

// exactBound returns the odds ratio ψ at which the observed A, at an end of its
// support, has probability alpha under Fisher's noncentral hypergeometric distribution
// with t's margins: P(A = a; ψ) ∝ C(r1, a)·C(r2, c1−a)·ψ^a. With A at the bottom
// (atLow) that is the upper end of the exact interval, else the lower end.
//
// P(A = a; ψ) = 1/S(ψ), where S sums each x's weight over a's: the central
// hypergeometric ratio of consecutive terms (as in FisherExact) times ψ^±1, walked
// from a inwards. S is monotone in ψ, so ψ is found by bisection on log ψ; the walk
// stops as soon as S passes 1/alpha (which decides the step) or its terms, past the
// mode (the weights are log-concave), stop mattering, so a step costs O(1/alpha) terms
// whatever the counts.
func exactBound(t Table, alpha float64, atLow bool) float64 {
	r1, r2, c1 := t.A+t.B, t.C+t.D, t.A+t.C
	lo, hi := max(0, c1-r2), min(r1, c1)
	target := 1 / alpha
	// above reports whether S(e^lpsi) > target.
	above := func(lpsi float64) bool {
		s, w := 1.0, 1.0
		if atLow {
			psi := math.Exp(lpsi)
			for x := lo; x < hi && w >= 1e-17*s; x++ {
				fx := float64(x)
				w *= float64(r1-x) * float64(c1-x) / ((fx + 1) * float64(r2-c1+x+1)) * psi
				if s += w; s > target {
					return true
				}
			}
			return false
		}
		inv := math.Exp(-lpsi)
		for x := hi; x > lo && w >= 1e-17*s; x-- {
			fx := float64(x)
			w *= fx * float64(r2-c1+x) / (float64(r1-x+1) * float64(c1-x+1)) * inv
			if s += w; s > target {
				return true
			}
		}
		return false
	}
	// S grows with ψ when A is at the bottom and shrinks when at the top: bracket the
	// crossing [l, h] in log ψ with S above the target on the "up" side.
	up := func(lpsi float64) bool { return above(lpsi) == atLow }
	l, h := -1.0, 1.0
	for up(l) {
		if l < -1400 {
			return 0
		}
		l, h = 2*l, l
	}
	for !up(h) {
		if h > 1400 {
			return math.Inf(1)
		}
		l, h = h, 2*h
	}
	for h-l > 1e-13*max(1, math.Abs(l)) {
		m := l + (h-l)/2
		if m == l || m == h {
			break
		}
		if up(m) {
			h = m
		} else {
			l = m
		}
	}
	return math.Exp(l + (h-l)/2)
}

// fisherTies is the relative tolerance within which a table counts as exactly as
// probable as the observed one: probabilities that are equal in exact arithmetic may
// differ in their last bits (R's fisher.test uses the same 1e-7).
const fisherTies = 1e-7

// FisherExact returns the two-sided p-value of Fisher's exact test of independence:
// the probability, under the hypergeometric distribution of A given the margins, of
// the tables no more probable than the observed one (SciPy's fisher_exact and R's
// fisher.test). A table with an empty row or column has p = 1.
//
// gonum has no hypergeometric distribution, so its probabilities are computed here, by
// the ratio of consecutive terms, P(x-1)/P(x) = x(r2-c1+x) / ((r1-x+1)(c1-x+1)), from
// the mode outwards, and normalised by their sum (the method of R's dnhyper): no
// factorial of a large count is ever formed, so precision does not fall with the
// table's size. Terms are summed until they stop mattering (below 1e-18 of the sum);
// the work is proportional to the spread of the distribution, not to its support.
func FisherExact(t Table) (float64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	r1, r2, c1 := t.A+t.B, t.C+t.D, t.A+t.C
	if r1 == 0 || r2 == 0 || c1 == 0 || t.B+t.D == 0 {
		return 1, nil
	}
	lo, hi := max(0, c1-r2), min(r1, c1)
	n := r1 + r2
	mode := int64((float64(c1+1) * float64(r1+1)) / float64(n+2))
	mode = min(max(mode, lo), hi)
	down := func(x int64) float64 { // P(x-1)/P(x)
		fx := float64(x)
		return fx * float64(r2-c1+x) / (float64(r1-x+1) * float64(c1-x+1))
	}
	up := func(x int64) float64 { // P(x+1)/P(x)
		fx := float64(x)
		return float64(r1-x) * float64(c1-x) / ((fx + 1) * float64(r2-c1+x+1))
	}
	// walk visits x and its weight relative to the mode's, from the mode outwards in
	// each direction while more(x, w) says the terms still matter.
	walk := func(each func(x int64, w float64), more func(x int64, w float64) bool) {
		each(mode, 1)
		for x, w := mode, 1.0; x > lo; x-- {
			if w *= down(x); w == 0 || !more(x-1, w) {
				break
			}
			each(x-1, w)
		}
		for x, w := mode, 1.0; x < hi; x++ {
			if w *= up(x); w == 0 || !more(x+1, w) {
				break
			}
			each(x+1, w)
		}
	}
	// First pass: the total, and the observed table's weight (the walk goes at least
	// as far as the observed count).
	total, obs := 0.0, 0.0
	walk(func(x int64, w float64) {
		total += w
		if x == t.A {
			obs = w
		}
	}, func(x int64, w float64) bool {
		return w >= 1e-18*total || (x-mode)*(t.A-mode) > 0 && (x-t.A)*(t.A-mode) <= 0
	})
	switch {
	case obs >= 1/(1+fisherTies):
		return 1, nil // the observed table is the most probable one
	case obs == 0:
		return 0, nil // beyond 1e-308 of the mode's probability: p is below that too
	}
	// Second pass: the tables no more probable than the observed one, down to terms
	// that no longer change the sum.
	limit := obs * (1 + fisherTies)
	var p float64
	walk(func(_ int64, w float64) {
		if w <= limit {
			p += w
		}
	}, func(_ int64, w float64) bool { return w >= 1e-18*min(total, obs) })
	return min(p/total, 1), nil
}

// ChiSquareYates returns Pearson's χ² statistic of the table with Yates's (1934)
// continuity correction, each count moved half a unit towards its expected value (but
// never past it, as SciPy's chi2_contingency does), and its p-value on one degree of
// freedom. Every expected count must be positive: an empty row or column gives χ² = 0
// and p = 1.
func ChiSquareYates(t Table) (chi2, p float64, err error) {
	if err := t.check(); err != nil {
		return 0, 0, err
	}
	if t.MinExpected() == 0 {
		return 0, 1, nil
	}
	n := float64(t.A + t.B + t.C + t.D)
	rows := [2]float64{float64(t.A + t.B), float64(t.C + t.D)}
	cols := [2]float64{float64(t.A + t.C), float64(t.B + t.D)}
	obs := [2][2]float64{{float64(t.A), float64(t.B)}, {float64(t.C), float64(t.D)}}
	for i := range 2 {
		for j := range 2 {
			e := rows[i] * cols[j] / n
			o := obs[i][j]
			diff := e - o
			o += math.Copysign(min(0.5, math.Abs(diff)), diff)
			if diff == 0 {
				o = obs[i][j]
			}
			chi2 += (o - e) * (o - e) / e
		}
	}
	return chi2, distuv.ChiSquared{K: 1}.Survival(chi2), nil
}

// BenjaminiHochberg returns the Benjamini & Hochberg (1995) adjusted p-values of ps,
// in the same order: for the i-th smallest of m, q = min over j >= i of m·p(j)/j,
// capped at 1 (SciPy's false_discovery_control, method "bh"). Rejecting the hypotheses
// whose q is at most α controls the false discovery rate at α for independent or
// positively dependent tests.
func BenjaminiHochberg(ps []float64) ([]float64, error) {
	for i, p := range ps {
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("%w: p-value %v at %d outside [0, 1]", ErrInput, p, i)
		}
	}
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case ps[i] < ps[j]:
			return -1
		case ps[i] > ps[j]:
			return 1
		}
		return 0
	})
	q := make([]float64, m)
	run := 1.0
	for k := m - 1; k >= 0; k-- {
		i := order[k]
		run = min(run, ps[i]*float64(m)/float64(k+1))
		q[i] = max(run, ps[i]) // m·p/m may round below p
	}
	return q, nil
}
