package uplift

import (
	"context"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// oneTreatedOnTop is a campaign of 1,000 rows ranked by their order (row 0 best), 9
// of them treated: one, a non-buyer, among the top 50, whose 49 control rows hold 5
// buyers; below them, 8 treated rows (4 buyers) and control buyers every tenth row.
func oneTreatedOnTop() (score []float64, treated, converted []bool) {
	n := 1000
	score, treated, converted = make([]float64, n), make([]bool, n), make([]bool, n)
	for i := range n {
		score[i] = float64(n - i)
		converted[i] = i%10 == 3
	}
	treated[20] = true
	for k := range 8 {
		i := 100 + 100*k
		treated[i], converted[i] = true, k%2 == 0
	}
	return score, treated, converted
}

// uplift@5% of oneTreatedOnTop is 0 - 5/49 = -0.102 from its one treated row on top; a
// replicate that does not draw that row (about e⁻¹ of them) has no treated row there
// and no uplift@k. The interval was the percentiles of the other replicates alone,
// [-0.19, -0.04]: a significant harm, from one person. The undefined replicates could
// hold either bound, so both are unknown. Plan.Check of the plan sending to the top 50
// is the same figure times 50 and had the same flaw.
func TestIntervalUnknownWhenReplicatesUndefined(t *testing.T) {
	s, tr, y := oneTreatedOnTop()
	ev, err := Evaluate(context.Background(), s, tr, y, &EvalOptions{K: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if iv := ev.UpliftAtK; math.Abs(iv.Estimate+5.0/49) > 1e-12 || !math.IsNaN(iv.Lo) || !math.IsNaN(iv.Hi) {
		t.Errorf("uplift@5%% %+v with %d of %d replicates undefined, want -5/49 [NaN, NaN]", iv, ev.Undefined, ev.Replicates)
	}
	if ev.Undefined < ev.Replicates/5 {
		t.Errorf("%d of %d replicates undefined, want about e⁻¹ of them", ev.Undefined, ev.Replicates)
	}
	u := make([]float64, len(s))
	for i := range u {
		u[i] = 0.5 - float64(i)/2000
	}
	plan, err := Target(u, nil, &Promotion{Contacts: 50})
	if err != nil {
		t.Fatal(err)
	}
	iv, err := plan.Check(context.Background(), u, nil, tr, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(iv.Estimate+50*5.0/49) > 1e-9 || !math.IsNaN(iv.Lo) || !math.IsNaN(iv.Hi) {
		t.Errorf("Check %+v, want -250/49 [NaN, NaN]", iv)
	}
}

// refQuantile is the quantile p of v by NumPy's default, linear interpolation between
// order statistics (np.quantile's method "linear").
func refQuantile(v []float64, p float64) float64 {
	v = slices.Sorted(slices.Values(v))
	h := p * float64(len(v)-1)
	lo := math.Floor(h)
	if int(lo) == len(v)-1 {
		return v[len(v)-1]
	}
	return v[int(lo)] + (h-lo)*(v[int(lo)+1]-v[int(lo)])
}

// percentiles' bounds are those of the percentile interval of all the replicates, the
// undefined ones set to -huge for the lower bound and +huge for the upper, and NaN
// exactly where that bound then depends on them.
func TestPercentilesBoundUndefined(t *testing.T) {
	const huge = 1e300
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.IntRange(2, 60).Draw(t, "replicates")
		undefined := rapid.IntRange(0, b).Draw(t, "undefined")
		draws := make([]float64, b-undefined)
		for i := range draws {
			draws[i] = float64(rapid.IntRange(-20, 20).Draw(t, "draw")) / 4
		}
		level := rapid.SampledFrom([]float64{0.5, 0.8, 0.9, 0.95, 0.99}).Draw(t, "level")
		got := percentiles(0.25, slices.Clone(draws), b, level)
		fill := func(v float64) []float64 {
			all := slices.Clone(draws)
			for range undefined {
				all = append(all, v)
			}
			return all
		}
		want := func(q float64) float64 {
			if math.Abs(q) > huge/1e100 {
				return math.NaN()
			}
			return q
		}
		lo, hi := want(refQuantile(fill(-huge), (1-level)/2)), want(refQuantile(fill(huge), (1+level)/2))
		if got.Estimate != 0.25 || !same(got.Lo, lo) || !same(got.Hi, hi) {
			t.Fatalf("%d replicates, %d undefined, draws %v: [%v, %v], want [%v, %v]", b, undefined, draws, got.Lo, got.Hi, lo, hi)
		}
	})
}
