package uplift

import (
	"fmt"
	"math"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/order"
)

// Curve is an uplift or Qini curve: after targeting the X[k] best-scored rows of a
// campaign, the curve's value is Y[k]. X starts at 0 and rises to the number of rows,
// with one point per distinct score (rows of equal score are targeted together).
type Curve struct {
	X, Y []float64
}

// Area is the area under the curve by the trapezoidal rule (sklearn.metrics.auc).
func (c Curve) Area() float64 {
	var a float64
	for k := 1; k < len(c.X); k++ {
		a += (c.X[k] - c.X[k-1]) * (c.Y[k] + c.Y[k-1]) / 2
	}
	return a
}

// tally sums a group of rows: their count (a bootstrap weight each), the treated among
// them, and the outcomes of each arm (buyers, or spend).
type tally struct{ n, nt, yt, yc float64 }

func (a *tally) add(b tally) { a.n, a.nt, a.yt, a.yc = a.n+b.n, a.nt+b.nt, a.yt+b.yt, a.yc+b.yc }

func (a tally) nc() float64 { return a.n - a.nt }

// ratio is a/b, 0 where b is 0: sklift's np.divide(..., where=b != 0) on zeros.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// upliftValue is sklift's uplift curve at a cut: (Y_t/N_t - Y_c/N_c)·N.
func upliftValue(c tally) float64 { return (ratio(c.yt, c.nt) - ratio(c.yc, c.nc())) * c.n }

// qiniValue is sklift's Qini curve at a cut: Y_t - Y_c·N_t/N_c (Radcliffe 2007).
func qiniValue(c tally) float64 { return c.yt - c.yc*ratio(c.nt, c.nc()) }

// curveOf accumulates groups of rows, in targeting order, into a curve: one point
// after each group, and (0, 0) in front unless the first point is there already, as
// sklift does. Groups of no rows (a bootstrap replicate that drew none of them) are
// not points of the resampled data and are skipped.
func curveOf(groups []tally, value func(tally) float64) Curve {
	c := Curve{X: make([]float64, 0, len(groups)+1), Y: make([]float64, 0, len(groups)+1)}
	var cum tally
	for _, g := range groups {
		if g.n == 0 {
			continue
		}
		cum.add(g)
		c.X, c.Y = append(c.X, cum.n), append(c.Y, value(cum))
	}
	if len(c.X) == 0 || c.X[0] != 0 || c.Y[0] != 0 {
		c.X, c.Y = append([]float64{0}, c.X...), append([]float64{0}, c.Y...)
	}
	return c
}

// ranking is a campaign's rows ranked by descending score. order is sklift's
// np.argsort(score, kind="mergesort")[::-1]: a stable ascending sort reversed, so
// that among equal scores the later row comes first (this matters only to
// uplift@k); ends[g] is the end, in order, of the g-th group of equal scores.
type ranking struct {
	order   []int
	ends    []int
	treated []bool
	y       []float64 // outcomes: 1 for a buyer, 0 otherwise; or spend
	// treated and y in the ranking's order (rankT[k] is treated[order[k]]), so that a
	// bootstrap replicate's pass down the ranking reads them in sequence: on a million
	// rows, reading them through order missed the cache at every row.
	rankT []bool
	rankY []float64
}

// outcomes returns conversions as outcomes 0 and 1.
func outcomes(converted []bool) []float64 {
	y := make([]float64, len(converted))
	for i, c := range converted {
		if c {
			y[i] = 1
		}
	}
	return y
}

func newRanking(score []float64, treated []bool, y []float64) (*ranking, error) {
	if len(score) != len(treated) || len(score) != len(y) {
		return nil, fmt.Errorf("%w: %s, %s, %s", ErrInvalid, english.Count(len(score), "score"), english.Count(len(treated), "treatment flag"), english.Count(len(y), "outcome"))
	}
	var nt int
	for i, s := range score {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("%w: score %d is %v", ErrInvalid, i, s)
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return nil, fmt.Errorf("%w: outcome %d is %v", ErrInvalid, i, y[i])
		}
		if treated[i] {
			nt++
		}
	}
	if nt == 0 || nt == len(score) {
		return nil, fmt.Errorf("%w: %s, %d of them treated; evaluation needs both arms", ErrInvalid, english.Count(len(score), "row"), nt)
	}
	r := &ranking{order: rankOrder(score), treated: treated, y: y, rankT: make([]bool, len(score)), rankY: make([]float64, len(score))}
	order := r.order
	for k, i := range order {
		r.rankT[k], r.rankY[k] = treated[i], y[i]
	}
	for k := 1; k <= len(order); k++ {
		if k == len(order) || score[order[k]] != score[order[k-1]] {
			r.ends = append(r.ends, k)
		}
	}
	return r, nil
}

// rankOrder is the ranking's order of scores (none NaN): a stable ascending sort
// reversed, which is a sort by descending score and, among equal scores, descending
// row (TestRankOrderMatchesStable holds the two equal).
func rankOrder(score []float64) []int {
	rows := order.Rows(len(score))
	order.Descending(rows, score, true)
	return rows
}

// row returns the tally of row i counted w times.
func (r *ranking) row(i int, w float64) tally {
	t := tally{n: w}
	if r.treated[i] {
		t.nt = w
		t.yt = w * r.y[i]
	} else {
		t.yc = w * r.y[i]
	}
	return t
}

// groups tallies each group of equal scores, row i counted w[i] times (once if w is
// nil).
func (r *ranking) groups(w []float64) []tally {
	out := make([]tally, len(r.ends))
	start := 0
	for g, end := range r.ends {
		for _, i := range r.order[start:end] {
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			out[g].add(r.row(i, wi))
		}
		start = end
	}
	return out
}

// curveEnd is what a normalised area needs of a curve: its area (Curve.Area) and its
// last point.
type curveEnd struct{ area, x, y float64 }

func endOf(c Curve) curveEnd {
	last := len(c.X) - 1
	return curveEnd{area: c.Area(), x: c.X[last], y: c.Y[last]}
}

// sweep is endOf(curveOf(r.groups(w), qiniValue)) and the same of upliftValue, and the
// total tally of the rows, computed in one pass down the ranking without building the
// groups or the curves: a bootstrap replicate on a million rows allocated about 100
// MB doing that, and its figures need only the areas. Every sum is taken in the same
// order as there (rows into their group, groups into the running total, trapezoids
// into the area from the point (0, 0)), so the results are the same to the bit
// (TestSweepMatchesCurves). Row i counts w[i] times; w is not nil.
func (r *ranking) sweep(w []uint32) (qini, up curveEnd, all tally) {
	var px, pq, pu float64 // the previous point of each curve, (0, 0) first
	start := 0
	for _, end := range r.ends {
		var g tally
		for k := start; k < end; k++ {
			// As g.add(r.row(order[k], w)), leaving out the additions of the row's
			// zero fields: g's fields start at +0 and a sum that starts at +0 never
			// becomes -0, so adding +0 changes nothing.
			wi := float64(w[r.order[k]])
			g.n += wi
			if r.rankT[k] {
				g.nt += wi
				g.yt += wi * r.rankY[k]
			} else {
				g.yc += wi * r.rankY[k]
			}
		}
		start = end
		if g.n == 0 {
			continue
		}
		all.add(g)
		x, q, u := all.n, qiniValue(all), upliftValue(all)
		qini.area += (x - px) * (q + pq) / 2
		up.area += (x - px) * (u + pu) / 2
		px, pq, pu = x, q, u
	}
	qini.x, qini.y = px, pq
	up.x, up.y = px, pu
	return qini, up, all
}

// categories are the totals of treated responders, treated non-responders, control
// responders and control non-responders, from which the perfect curves are made.
type categories struct{ tr, tn, cr, cn tally }

func categoriesOf(groups []tally) categories {
	var all tally
	for _, g := range groups {
		all.add(g)
	}
	return categoriesOfTotal(all)
}

// categoriesOfTotal is categoriesOf from the groups' total.
func categoriesOfTotal(all tally) categories {
	return categories{
		tr: tally{n: all.yt, nt: all.yt, yt: all.yt},
		tn: tally{n: all.nt - all.yt, nt: all.nt - all.yt},
		cr: tally{n: all.yc, yc: all.yc},
		cn: tally{n: all.nc() - all.yc},
	}
}

// perfectQini is sklift's perfect_qini_curve with negative_effect=True: the Qini curve
// of the score y·t - y·(1-t), which ranks treated buyers first, then every
// non-buyer, then control buyers.
func (c categories) perfectQini() Curve {
	mid := c.tn
	mid.add(c.cn)
	return curveOf([]tally{c.tr, mid, c.cr}, qiniValue)
}

// perfectUplift is sklift's perfect_uplift_curve: the uplift curve of the score
// 2·[y = t] + s, s = y if there are more control responders than treated
// non-responders and s = t otherwise. Treated buyers (3) and control non-buyers (2)
// come first; the smaller of the two "harmful" groups is put last.
func (c categories) perfectUplift() Curve {
	if c.cr.n > c.tn.n {
		return curveOf([]tally{c.tr, c.cn, c.cr, c.tn}, upliftValue)
	}
	return curveOf([]tally{c.tr, c.cn, c.tn, c.cr}, upliftValue)
}

// normalisedArea is (A - A_random)/(A_perfect - A_random), the random line running from
// (0, 0) to the curve's end (sklift's qini_auc_score and uplift_auc_score); NaN where
// the perfect curve has no area above the line (TestQiniCoefficientMatchesExact).
func normalisedArea(actual, perfect Curve) float64 {
	return normalisedEnd(actual.Area(), endOf(perfect))
}

// normalisedEnd is normalisedArea from the actual curve's area and the perfect curve's
// end.
func normalisedEnd(actual float64, perfect curveEnd) float64 {
	random := perfect.x * perfect.y / 2
	den := perfect.area - random
	// The perfect curve can lie on the random line or below it: a spend campaign whose
	// treated arm spent nothing ranks its control rows by ascending spend, a curve that
	// may bend either way. sklift divides regardless, so a "perfect" curve below the
	// line turned a ranking above it into a negative coefficient (-20), and one on the
	// line divided by the trapezoid sums' rounding residue (1e15). A difference within
	// 1e-9 of the areas is taken as that residue: a sum of n trapezoids rounds by about
	// √n·2⁻⁵³ of its size (1e-13 for a million groups), and a perfect curve closer to
	// the line than that could not tell good rankings from bad anyway.
	if den <= 1e-9*(math.Abs(perfect.area)+math.Abs(random)) {
		return math.NaN()
	}
	return (actual - random) / den
}

// atK is sklift's uplift_at_k with strategy "overall": the buyers' rate among the
// treated minus that among the control rows in the first int(n·k) rows of the ranking
// (n the total count: len(order) if w is nil, the sum of w otherwise, which the caller
// knows); NaN where an arm has no row there. Row i counts w[i] times (once if w is
// nil), copies of a row taken together in the ranking's order.
func (r *ranking) atK(k float64, w []uint32, n float64) float64 {
	left := math.Floor(n * k)
	var top tally
	for pos, i := range r.order {
		if left <= 0 {
			break
		}
		wi := 1.0
		if w != nil {
			wi = float64(w[i])
		}
		wi = math.Min(wi, left)
		left -= wi
		// top.add(r.row(i, wi)) without adding the row's zero fields (see sweep).
		top.n += wi
		if r.rankT[pos] {
			top.nt += wi
			top.yt += wi * r.rankY[pos]
		} else {
			top.yc += wi * r.rankY[pos]
		}
	}
	if top.nt == 0 || top.nc() == 0 {
		return math.NaN()
	}
	return top.yt/top.nt - top.yc/top.nc()
}

// UpliftCurve returns the uplift curve of scores on a randomised campaign, as
// sklift.metrics.uplift_curve: with rows ranked by descending score and cut after each
// group of equal scores, the value at a cut of N rows (N_t treated, N_c control, Y_t
// and Y_c buyers among them) is (Y_t/N_t - Y_c/N_c)·N, a term taken as 0 where its arm
// has no row. Its area is the uplift curve's AUUC.
func UpliftCurve(score []float64, treated, converted []bool) (Curve, error) {
	r, err := newRanking(score, treated, outcomes(converted))
	if err != nil {
		return Curve{}, err
	}
	return curveOf(r.groups(nil), upliftValue), nil
}

// QiniCurve returns the Qini curve (Radcliffe 2007) of scores on a randomised campaign,
// as sklift.metrics.qini_curve: at a cut of N rows as in UpliftCurve, Y_t - Y_c·N_t/N_c
// (0 for the second term where N_c is 0): the incremental buyers among the targeted
// treated rows.
func QiniCurve(score []float64, treated, converted []bool) (Curve, error) {
	r, err := newRanking(score, treated, outcomes(converted))
	if err != nil {
		return Curve{}, err
	}
	return curveOf(r.groups(nil), qiniValue), nil
}
