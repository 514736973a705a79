package uplift

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/scoring"
	"pgregory.net/rapid"
)

// The bootstrap's replicates once built each replicate's groups and both curves in
// full (about 100 MB a replicate on a million rows) and read the rows through the
// ranking's order; they now take one pass down the ranking (ranking.sweep). The naive
// path below is that old code, kept as the reference the new one must equal to the
// bit and as the benchmarks' baseline.

// naiveEvaluate is evaluate's three intervals as computed before ranking.sweep.
func naiveEvaluate(score []float64, treated []bool, y []float64, outcome Outcome, opts *EvalOptions) ([3]scoring.Interval, int) {
	o, err := opts.defaults()
	if err != nil {
		panic(err)
	}
	r, err := newRanking(score, treated, y)
	if err != nil {
		panic(err)
	}
	perfect := func(w []float64, g []tally) (qini, up Curve) {
		c := categoriesOf(g)
		return c.perfectQini(), c.perfectUplift()
	}
	if outcome == Spend {
		oracle := make([]float64, len(y))
		for i, v := range y {
			oracle[i] = -v
			if treated[i] {
				oracle[i] = v
			}
		}
		pr, err := newRanking(oracle, treated, y)
		if err != nil {
			panic(err)
		}
		perfect = func(w []float64, _ []tally) (qini, up Curve) {
			g := pr.groups(w)
			return curveOf(g, qiniValue), curveOf(g, upliftValue)
		}
	}
	groups := r.groups(nil)
	up, qini := curveOf(groups, upliftValue), curveOf(groups, qiniValue)
	pq, pu := perfect(nil, groups)
	point := [3]float64{normalisedArea(qini, pq), normalisedArea(up, pu), naiveAtK(r, o.K, nil)}
	draws, undefined, _ := bootstrap(context.Background(), o, len(score), func(w []float64) []float64 {
		g := r.groups(w)
		pq, pu := perfect(w, g)
		return []float64{
			normalisedArea(curveOf(g, qiniValue), pq),
			normalisedArea(curveOf(g, upliftValue), pu),
			naiveAtK(r, o.K, w),
		}
	})
	var out [3]scoring.Interval
	for k := range out {
		out[k] = percentiles(point[k], draws[k], o.Replicates, o.Level)
	}
	return out, undefined
}

// naiveAtK is ranking.atK as it was: the weights summed afresh, each row read through
// the ranking's order.
func naiveAtK(r *ranking, k float64, w []float64) float64 {
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

// identical reports whether a and b are the same float64, bit for bit (NaN equal to
// NaN).
func identical(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func sameInterval(a, b scoring.Interval) bool {
	return identical(a.Estimate, b.Estimate) && identical(a.Lo, b.Lo) && identical(a.Hi, b.Hi)
}

// drawOutcomes draws a campaign of conversions or of spend (some of it negative, as a
// refund nets out, and many zeros), with few score levels so that rows tie.
func drawOutcomes(t *rapid.T, spend bool) ([]float64, []bool, []float64) {
	n := rapid.IntRange(2, 80).Draw(t, "n")
	levels := rapid.IntRange(1, 10).Draw(t, "levels")
	s, tr, y := make([]float64, n), make([]bool, n), make([]float64, n)
	for i := range s {
		s[i] = float64(rapid.IntRange(-levels, levels).Draw(t, "score")) / 4
		tr[i] = rapid.Bool().Draw(t, "treated")
		if rapid.Bool().Draw(t, "buys") {
			y[i] = 1
			if spend {
				y[i] = rapid.Float64Range(-50, 500).Draw(t, "spend")
			}
		}
	}
	tr[0], tr[1] = true, false
	y[0] = 1.5
	if !spend {
		y[0] = 1
	}
	return s, tr, y
}

// One pass down the ranking gives, to the bit, the areas and ends of the curves the
// groups make, the rows' total, and the old uplift@k, for any weights.
func TestSweepMatchesCurves(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, tr, y := drawOutcomes(t, rapid.Bool().Draw(t, "spend"))
		w, wf := make([]uint32, len(s)), make([]float64, len(s))
		for i := range w {
			w[i] = uint32(rapid.IntRange(0, 3).Draw(t, "w"))
			wf[i] = float64(w[i])
		}
		r, err := newRanking(s, tr, y)
		if err != nil {
			t.Fatal(err)
		}
		g := r.groups(wf)
		q, u, all := r.sweep(w)
		wantQ, wantU := endOf(curveOf(g, qiniValue)), endOf(curveOf(g, upliftValue))
		if q != wantQ || u != wantU {
			t.Fatalf("sweep qini %+v uplift %+v, curves %+v %+v", q, u, wantQ, wantU)
		}
		if want := categoriesOf(g); categoriesOfTotal(all) != want {
			t.Fatalf("total %+v, groups' categories %+v", categoriesOfTotal(all), want)
		}
		var n float64
		for _, v := range wf {
			n += v
		}
		if all.n != n {
			t.Fatalf("total count %v, sum of weights %v", all.n, n)
		}
		k := rapid.Float64Range(0.01, 0.99).Draw(t, "k")
		if got, want := r.atK(k, w, all.n), naiveAtK(r, k, wf); !identical(got, want) {
			t.Fatalf("uplift@%v %v, old %v", k, got, want)
		}
		if got, want := r.atK(k, nil, float64(len(s))), naiveAtK(r, k, nil); !identical(got, want) {
			t.Fatalf("unweighted uplift@%v %v, old %v", k, got, want)
		}
	})
}

// Evaluate and EvaluateSpend give the old path's estimates and intervals to the bit.
func TestEvaluateMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spend := rapid.Bool().Draw(t, "spend")
		s, tr, y := drawOutcomes(t, spend)
		for i, v := range y {
			// EvaluateSpend refuses a negative spend; TestSweepMatchesCurves keeps them.
			y[i] = math.Abs(v)
		}
		o := &EvalOptions{Replicates: rapid.IntRange(2, 30).Draw(t, "replicates"), K: rapid.Float64Range(0.05, 0.95).Draw(t, "k"),
			Seed: rapid.Uint64().Draw(t, "seed")}
		var ev *Evaluation
		var err error
		outcome := Conversion
		if spend {
			outcome = Spend
			ev, err = EvaluateSpend(context.Background(), s, tr, y, o)
		} else {
			ev, err = Evaluate(context.Background(), s, tr, slices.Collect(func(yield func(bool) bool) {
				for _, v := range y {
					if !yield(v == 1) {
						return
					}
				}
			}), o)
		}
		if err != nil {
			t.Fatal(err)
		}
		want, undefined := naiveEvaluate(s, tr, y, outcome, o)
		got := [3]scoring.Interval{ev.QiniCoefficient, ev.AUUC, ev.UpliftAtK}
		for k := range got {
			if !sameInterval(got[k], want[k]) {
				t.Fatalf("figure %d: %+v, old %+v", k, got[k], want[k])
			}
		}
		if ev.Undefined != undefined {
			t.Fatalf("%d undefined replicates, old %d", ev.Undefined, undefined)
		}
	})
}

// The same on a campaign of the quickstart's kind, large enough that every score is
// distinct and the top share holds thousands of rows.
func TestEvaluateMatchesNaiveCampaign(t *testing.T) {
	c := synth.SimulateCampaign(synth.CampaignParams{People: scaled(20_000), Seed: 5})
	score := make([]float64, len(c.X))
	for i, x := range c.X {
		score[i] = x[0] - x[1]
	}
	o := &EvalOptions{Replicates: 20, K: 0.2, Seed: 3}
	ev, err := Evaluate(context.Background(), score, c.Treated, c.Converted, o)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := naiveEvaluate(score, c.Treated, outcomes(c.Converted), Conversion, o)
	for k, got := range [3]scoring.Interval{ev.QiniCoefficient, ev.AUUC, ev.UpliftAtK} {
		if !sameInterval(got, want[k]) {
			t.Fatalf("figure %d: %+v, old %+v", k, got, want[k])
		}
	}
	evs, err := EvaluateSpend(context.Background(), score, c.Treated, c.Spend, o)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = naiveEvaluate(score, c.Treated, c.Spend, Spend, o)
	for k, got := range [3]scoring.Interval{evs.QiniCoefficient, evs.AUUC, evs.UpliftAtK} {
		if !sameInterval(got, want[k]) {
			t.Fatalf("spend figure %d: %+v, old %+v", k, got, want[k])
		}
	}
}

// benchEvalSet is the quickstart's holdout at a million people (as many as million's
// campaign under -short), scored by a fitted X-learner, as the quickstart evaluates it.
var benchEvalSet = sync.OnceValues(func() ([]float64, *synth.Campaign) {
	c := million()
	m, err := Fit(c.X, c.Treated, c.Converted, &FitOptions{Learner: XLearner})
	if err != nil {
		panic(err)
	}
	h := synth.SimulateCampaign(synth.CampaignParams{People: len(c.Treated), Seed: 2})
	u, err := m.Uplift(h.X)
	if err != nil {
		panic(err)
	}
	return u, h
})

// benchReplicates keeps a benchmark iteration to a few seconds; the cost is linear in it.
const benchReplicates = 20

// BenchmarkEvaluate1M is Evaluate's bootstrap on a million rows, 20 replicates.
// Run with: go test -run '^$' -bench 'Evaluate1M' -benchtime 2x ./scoring/uplift/
func BenchmarkEvaluate1M(b *testing.B) {
	u, h := benchEvalSet()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := Evaluate(context.Background(), u, h.Treated, h.Converted, &EvalOptions{K: 0.2, Replicates: benchReplicates}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate1MNaive is the same by the old path: groups and curves built in full
// for each replicate.
func BenchmarkEvaluate1MNaive(b *testing.B) {
	u, h := benchEvalSet()
	y := outcomes(h.Converted)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		naiveEvaluate(u, h.Treated, y, Conversion, &EvalOptions{K: 0.2, Replicates: benchReplicates})
	}
}

// naiveCheck is Plan.check's interval as computed before the bootstrap's counts were
// uint32.
func naiveCheck(p *Plan, uplift, response []float64, treated []bool, y []float64, opts *EvalOptions) scoring.Interval {
	o, err := opts.defaults()
	if err != nil {
		panic(err)
	}
	if len(p.Send) == 0 {
		return scoring.Interval{}
	}
	var picked []int
	for i := range uplift {
		if p.picks(uplift, response, i) {
			picked = append(picked, i)
		}
	}
	sent := float64(len(p.Send))
	gain := func(w []float64) float64 {
		var nt, nc, yt, yc float64
		for _, i := range picked {
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			if treated[i] {
				nt += wi
				yt += wi * y[i]
			} else {
				nc += wi
				yc += wi * y[i]
			}
		}
		if nt == 0 || nc == 0 {
			return math.NaN()
		}
		return (yt/nt - yc/nc) * sent
	}
	draws, _, _ := bootstrap(context.Background(), o, len(uplift), func(w []float64) []float64 { return []float64{gain(w)} })
	return percentiles(gain(nil), draws[0], o.Replicates, o.Level)
}

// Plan.Check gives the old interval to the bit.
func TestCheckMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 80).Draw(t, "n")
		u, r, tr, conv := make([]float64, n), make([]float64, n), make([]bool, n), make([]bool, n)
		for i := range u {
			u[i] = rapid.Float64Range(-0.2, 0.4).Draw(t, "uplift")
			r[i] = rapid.Float64Range(0, 1).Draw(t, "response")
			tr[i] = rapid.Bool().Draw(t, "treated")
			conv[i] = rapid.Bool().Draw(t, "converted")
		}
		plan, err := Target(u, r, &Promotion{Contacts: rapid.IntRange(1, n).Draw(t, "contacts"), ContactCost: 0.05, DiscountCost: 2, Value: 20})
		if err != nil {
			t.Fatal(err)
		}
		o := &EvalOptions{Replicates: rapid.IntRange(2, 30).Draw(t, "replicates"), Seed: rapid.Uint64().Draw(t, "seed")}
		got, err := plan.Check(context.Background(), u, r, tr, conv, o)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveCheck(plan, u, r, tr, outcomes(conv), o); !sameInterval(got, want) {
			t.Fatalf("check %+v, old %+v", got, want)
		}
	})
}

// BenchmarkCheck1M is Plan.Check's bootstrap on a million rows, 20 replicates, beside
// BenchmarkCheck1MNaive, the old float64 counts.
func BenchmarkCheck1M(b *testing.B) {
	benchCheck(b, func(p *Plan, u, r []float64, h *synth.Campaign, o *EvalOptions) {
		if _, err := p.Check(context.Background(), u, r, h.Treated, h.Converted, o); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkCheck1MNaive(b *testing.B) {
	benchCheck(b, func(p *Plan, u, r []float64, h *synth.Campaign, o *EvalOptions) {
		naiveCheck(p, u, r, h.Treated, outcomes(h.Converted), o)
	})
}

func benchCheck(b *testing.B, check func(p *Plan, u, r []float64, h *synth.Campaign, o *EvalOptions)) {
	u, h := benchEvalSet()
	r := make([]float64, len(u))
	for i, v := range u {
		r[i] = min(1, max(0, 0.1+v))
	}
	plan, err := Target(u, r, &Promotion{Contacts: len(u) / 5, ContactCost: 0.05, DiscountCost: 2, Value: 20})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		check(plan, u, r, h, &EvalOptions{Replicates: benchReplicates})
	}
}

// naiveRankOrder is the ranking's order as newRanking made it before rankOrder: NumPy's
// argsort(kind="mergesort")[::-1], a stable ascending sort reversed.
func naiveRankOrder(score []float64) []int {
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
	return order
}

// rankOrder is the stable sort reversed, ties (±0 among them) and infinities
// included.
func TestRankOrderMatchesStable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 200).Draw(t, "n")
		levels := []float64{math.Inf(-1), -1, math.Copysign(0, -1), 0, 0.5, 1, math.Inf(1)}
		s := make([]float64, n)
		for i := range s {
			if rapid.Bool().Draw(t, "level") {
				s[i] = rapid.SampledFrom(levels).Draw(t, "s")
			} else {
				s[i] = rapid.Float64().Draw(t, "s")
			}
		}
		if got, want := rankOrder(s), naiveRankOrder(s); !slices.Equal(got, want) {
			t.Fatalf("scores %v: order %v, stable %v", s, got, want)
		}
	})
}

// BenchmarkRankOrder1M ranks the quickstart's million holdout scores, beside
// BenchmarkRankOrder1MNaive, the stable sort reversed.
func BenchmarkRankOrder1M(b *testing.B) {
	u, _ := benchEvalSet()
	for b.Loop() {
		rankOrder(u)
	}
}

func BenchmarkRankOrder1MNaive(b *testing.B) {
	u, _ := benchEvalSet()
	for b.Loop() {
		naiveRankOrder(u)
	}
}

// naiveByPriority is Target's order as it was: a stable sort by descending priority.
func naiveByPriority(idx []int, prio []float64) {
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(prio[b], prio[a]) })
}

// byPriority is the stable sort, ties (±0 among them), infinities and NaN included.
func TestByPriorityMatchesStable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 200).Draw(t, "n")
		levels := []float64{math.NaN(), math.Inf(-1), -1, math.Copysign(0, -1), 0, 0.5, 1, math.Inf(1)}
		prio := make([]float64, n)
		var idx []int
		for i := range prio {
			if rapid.Bool().Draw(t, "level") {
				prio[i] = rapid.SampledFrom(levels).Draw(t, "p")
			} else {
				prio[i] = rapid.Float64().Draw(t, "p")
			}
			if rapid.IntRange(0, 3).Draw(t, "skip") > 0 {
				idx = append(idx, i)
			}
		}
		got, want := slices.Clone(idx), slices.Clone(idx)
		byPriority(got, prio)
		naiveByPriority(want, prio)
		if !slices.Equal(got, want) {
			t.Fatalf("priorities %v: order %v, stable %v", prio, got, want)
		}
	})
}

// BenchmarkByPriority1M orders the quickstart's million holdout uplifts as Target
// does, beside BenchmarkByPriority1MNaive, the stable sort.
func BenchmarkByPriority1M(b *testing.B) {
	benchByPriority(b, byPriority)
}

func BenchmarkByPriority1MNaive(b *testing.B) {
	benchByPriority(b, naiveByPriority)
}

func benchByPriority(b *testing.B, sort func(idx []int, prio []float64)) {
	u, _ := benchEvalSet()
	idx := make([]int, len(u))
	for b.Loop() {
		for i := range idx {
			idx[i] = i
		}
		sort(idx, u)
	}
}
