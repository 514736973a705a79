package uplift

import (
	"context"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// refCurves computes both curves from their definition, O(n²): for each distinct score
// v from the highest down, the rows scoring at least v are targeted; the counts are
// taken afresh over all rows.
func refCurves(score []float64, tr, y []bool) (up, qini Curve) {
	vals := slices.Clone(score)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	slices.Reverse(vals)
	for _, v := range vals {
		var n, nt, nc, yt, yc float64
		for i, s := range score {
			if s < v {
				continue
			}
			n++
			if tr[i] {
				nt++
				if y[i] {
					yt++
				}
			} else {
				nc++
				if y[i] {
					yc++
				}
			}
		}
		rt, rc, r := 0.0, 0.0, 0.0
		if nt > 0 {
			rt = yt / nt
		}
		if nc > 0 {
			rc, r = yc/nc, nt/nc
		}
		up.X, up.Y = append(up.X, n), append(up.Y, (rt-rc)*n)
		qini.X, qini.Y = append(qini.X, n), append(qini.Y, yt-yc*r)
	}
	for _, c := range []*Curve{&up, &qini} {
		if c.Y[0] != 0 || c.X[0] != 0 {
			c.X, c.Y = append([]float64{0}, c.X...), append([]float64{0}, c.Y...)
		}
	}
	return up, qini
}

// refNormalised is (A - A_random)/(A_perfect - A_random) with the perfect ranking's
// curve computed by refCurves from sklift's perfect scores.
func refNormalised(score []float64, tr, y []bool) (qiniCoef, auuc float64) {
	pq, pu := make([]float64, len(score)), make([]float64, len(score))
	var cr, tn int
	for i := range score {
		if y[i] && !tr[i] {
			cr++
		}
		if !y[i] && tr[i] {
			tn++
		}
	}
	for i := range score {
		yi, ti := b2f(y[i]), b2f(tr[i])
		pq[i] = yi*ti - yi*(1-ti)
		s := ti
		if cr > tn {
			s = yi
		}
		pu[i] = 2*b2f(y[i] == tr[i]) + s
	}
	up, q := refCurves(score, tr, y)
	_, perfQ := refCurves(pq, tr, y)
	perfU, _ := refCurves(pu, tr, y)
	norm := func(a, p Curve) float64 {
		last := len(p.X) - 1
		base := p.X[last] * p.Y[last] / 2
		if p.Area() == base {
			return math.NaN() // sklift divides by zero here
		}
		return (a.Area() - base) / (p.Area() - base)
	}
	return norm(q, perfQ), norm(up, perfU)
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	return 1
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func drawCampaign(t *rapid.T) ([]float64, []bool, []bool) {
	n := rapid.IntRange(2, 60).Draw(t, "n")
	levels := rapid.IntRange(1, 8).Draw(t, "levels") // few levels: many ties
	s, tr, y := make([]float64, n), make([]bool, n), make([]bool, n)
	for i := range s {
		s[i] = float64(rapid.IntRange(-levels, levels).Draw(t, "score")) / 4
		tr[i] = rapid.Bool().Draw(t, "treated")
		y[i] = rapid.Bool().Draw(t, "converted")
	}
	tr[0], tr[1] = true, false
	y[0] = true
	return s, tr, y
}

func TestCurvesMatchDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, tr, y := drawCampaign(t)
		wantUp, wantQ := refCurves(s, tr, y)
		up, err := UpliftCurve(s, tr, y)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := QiniCurve(s, tr, y)
		for _, c := range []struct {
			name      string
			got, want Curve
		}{{"uplift", up, wantUp}, {"qini", q, wantQ}} {
			if !slices.Equal(c.got.X, c.want.X) || !curvesClose(c.got.Y, c.want.Y) {
				t.Fatalf("%s curve\n got %v\nwant %v", c.name, c.got, c.want)
			}
		}
		k := rapid.Float64Range(0.01, 0.99).Draw(t, "k")
		ev, err := Evaluate(context.Background(), s, tr, y, &EvalOptions{Replicates: 2, K: k})
		if err != nil {
			t.Fatal(err)
		}
		// uplift@k: rows by descending score, the later row first among equal
		// scores (NumPy's reversed stable argsort), the first int(n·k) of them.
		idx := make([]int, len(s))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			if s[a] != s[b] {
				return cmpFloat(s[b], s[a])
			}
			return b - a
		})
		var nt, nc, yt, yc float64
		for _, i := range idx[:int(float64(len(s))*k)] {
			if tr[i] {
				nt, yt = nt+1, yt+b2f(y[i])
			} else {
				nc, yc = nc+1, yc+b2f(y[i])
			}
		}
		wantK := math.NaN()
		if nt > 0 && nc > 0 {
			wantK = yt/nt - yc/nc
		}
		if !same(ev.UpliftAtK.Estimate, wantK) {
			t.Fatalf("uplift@%v = %v, want %v", k, ev.UpliftAtK.Estimate, wantK)
		}
		wq, wu := refNormalised(s, tr, y)
		if !same(ev.QiniCoefficient.Estimate, wq) || !same(ev.AUUC.Estimate, wu) {
			t.Fatalf("qini %v want %v, auuc %v want %v", ev.QiniCoefficient.Estimate, wq, ev.AUUC.Estimate, wu)
		}
	})
}

// A bootstrap replicate counts row i w[i] times; its figures must equal those of the
// campaign with each row written out w[i] times.
func TestWeightsAreRepeatedRows(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, tr, y := drawCampaign(t)
		w := make([]float64, len(s))
		var es []float64
		var et, ey []bool
		for i := range w {
			w[i] = float64(rapid.IntRange(0, 3).Draw(t, "w"))
			for range int(w[i]) {
				es, et, ey = append(es, s[i]), append(et, tr[i]), append(ey, y[i])
			}
		}
		if !slices.Contains(et, true) || !slices.Contains(et, false) || !slices.Contains(ey, true) {
			t.Skip("the expansion lacks an arm or a buyer")
		}
		r, _ := newRanking(s, tr, outcomes(y))
		g := r.groups(w)
		c := categoriesOf(g)
		gotQ := normalisedArea(curveOf(g, qiniValue), c.perfectQini())
		gotU := normalisedArea(curveOf(g, upliftValue), c.perfectUplift())
		wantQ, wantU := refNormalised(es, et, ey)
		if !same(gotQ, wantQ) || !same(gotU, wantU) {
			t.Fatalf("weighted qini %v auuc %v, expanded %v %v", gotQ, gotU, wantQ, wantU)
		}
		upW, upE := curveOf(g, upliftValue), Curve{}
		upE, _ = refCurves(es, et, ey)
		if !slices.Equal(upW.X, upE.X) || !curvesClose(upW.Y, upE.Y) {
			t.Fatalf("weighted uplift curve %v, expanded %v", upW, upE)
		}
	})
}

func curvesClose(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !same(a[i], b[i]) {
			return false
		}
	}
	return true
}

func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.IsNaN(a) == math.IsNaN(b) && (math.IsNaN(a) || a == b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}
