package uplift

import (
	"fmt"
	"math"
	"slices"

	"github.com/clientele-go/clientele/internal/english"
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
		if math.IsNaN(s) {
			return nil, fmt.Errorf("%w: score %d is NaN", ErrInvalid, i)
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
	order := make([]int, len(score))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case score[a] < score[b]:
			return -1
		case score[a] > score[b]:
			return 1
		}
		return 0
	})
	slices.Reverse(order)
	r := &ranking{order: order, treated: treated, y: y}
	for k := 1; k <= len(order); k++ {
		if k == len(order) || score[order[k]] != score[order[k-1]] {
			r.ends = append(r.ends, k)
		}
	}
	return r, nil
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

// categories are the totals of treated responders, treated non-responders, control
// responders and control non-responders, from which the perfect curves are made.
type categories struct{ tr, tn, cr, cn tally }

func categoriesOf(groups []tally) categories {
	var all tally
	for _, g := range groups {
		all.add(g)
	}
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
// the perfect curve has no area above the line.
func normalisedArea(actual, perfect Curve) float64 {
	last := len(perfect.X) - 1
	random := perfect.X[last] * perfect.Y[last] / 2
	den := perfect.Area() - random
	if den == 0 {
		return math.NaN()
	}
	return (actual.Area() - random) / den
}

// atK is sklift's uplift_at_k with strategy "overall": the buyers' rate among the
// treated minus that among the control rows in the first int(n·k) rows of the ranking
// (n the total count); NaN where an arm has no row there. Row i counts w[i] times
// (once if w is nil), copies of a row taken together in the ranking's order.
func (r *ranking) atK(k float64, w []float64) float64 {
	var n float64
	if w == nil {
		n = float64(len(r.order))
	} else {
		for _, v := range w {
			n += v
		}
	}
	left := math.Floor(n * k)
	var top tally
	for _, i := range r.order {
		if left <= 0 {
			break
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		wi = math.Min(wi, left)
		left -= wi
		top.add(r.row(i, wi))
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
