package stats

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/golden"
	"pgregory.net/rapid"
)

// close9 reports whether got is within 1e-9 of want, relatively for magnitudes above
// one (odds ratios and χ² statistics run into the thousands).
func close9(got, want float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= 1e-9*max(1, math.Abs(want))
}

// closeP reports whether the p-value got is within 1e-9 of want relatively: p-values
// that decide a ranking run down to 1e-300, where an absolute tolerance would pass a
// 0 for 1e-44. Below 1e-300 (SciPy's 0 included) any value as small passes.
func closeP(got, want float64) bool {
	if want < 1e-300 {
		return got >= 0 && got < 1e-300
	}
	return math.Abs(got-want) <= 1e-9*want
}

// TestContingencyGolden checks every statistic of the tables in testdata/contingency.csv
// against SciPy's values (see contingency.py) to 1e-9.
func TestContingencyGolden(t *testing.T) {
	var chosen, wantQ []float64
	for _, rec := range golden.Rows(t, "testdata/contingency.csv") {
		v := make([]float64, len(rec))
		for i, s := range rec {
			var err error
			if v[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatal(err)
			}
		}
		tb := Table{int64(v[0]), int64(v[1]), int64(v[2]), int64(v[3])}
		if got := tb.MinExpected(); !close9(got, v[4]) {
			t.Errorf("%v: min expected %v, SciPy's margins give %v", tb, got, v[4])
		}
		or, err := OddsRatio(tb, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !close9(or.Estimate, v[5]) || !close9(or.Lo, v[6]) || !close9(or.Hi, v[7]) {
			t.Errorf("%v: odds ratio %v, SciPy %v [%v, %v]", tb, or, v[5], v[6], v[7])
		}
		pf, err := FisherExact(tb)
		if err != nil {
			t.Fatal(err)
		}
		if !closeP(pf, v[8]) {
			t.Errorf("%v: Fisher p %.17g, SciPy %.17g", tb, pf, v[8])
		}
		chi2, pc, err := ChiSquareYates(tb)
		if err != nil {
			t.Fatal(err)
		}
		if !close9(chi2, v[9]) || !closeP(pc, v[10]) {
			t.Errorf("%v: χ² %v p %v, SciPy %v %v", tb, chi2, pc, v[9], v[10])
		}
		chosen = append(chosen, v[11])
		wantQ = append(wantQ, v[12])
	}
	q, err := BenjaminiHochberg(chosen)
	if err != nil {
		t.Fatal(err)
	}
	for i := range q {
		if !closeP(q[i], wantQ[i]) {
			t.Errorf("row %d: BH q %v, want %v", i, q[i], wantQ[i])
		}
	}
}

// Fisher's p-value is the sum of the hypergeometric probabilities no larger than the
// observed one: checked against that sum over the whole support with probabilities
// from log-factorials (the reference model, fine at these small counts).
func TestFisherExactReference(t *testing.T) {
	lchoose := func(n, k int64) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(k + 1))
		c, _ := math.Lgamma(float64(n - k + 1))
		return a - b - c
	}
	rapid.Check(t, func(t *rapid.T) {
		tb := Table{rapid.Int64Range(0, 30).Draw(t, "a"), rapid.Int64Range(0, 30).Draw(t, "b"), rapid.Int64Range(0, 30).Draw(t, "c"), rapid.Int64Range(0, 30).Draw(t, "d")}
		got, err := FisherExact(tb)
		if err != nil {
			t.Fatal(err)
		}
		r1, r2, c1 := tb.A+tb.B, tb.C+tb.D, tb.A+tb.C
		want := 1.0
		if r1 > 0 && r2 > 0 && c1 > 0 && tb.B+tb.D > 0 {
			pmf := func(x int64) float64 { return math.Exp(lchoose(r1, x) + lchoose(r2, c1-x) - lchoose(r1+r2, c1)) }
			obs := pmf(tb.A)
			want = 0
			for x := max(0, c1-r2); x <= min(r1, c1); x++ {
				if p := pmf(x); p <= obs*(1+1e-7) {
					want += p
				}
			}
			want = min(want, 1)
		}
		if math.Abs(got-want) > 1e-10 {
			t.Fatalf("%v: %v, reference %v", tb, got, want)
		}
	})
}

func TestContingencyInvalid(t *testing.T) {
	bad := Table{1, -1, 2, 3}
	if _, err := FisherExact(bad); !errors.Is(err, ErrInput) {
		t.Error(err)
	}
	if _, _, err := ChiSquareYates(bad); !errors.Is(err, ErrInput) {
		t.Error(err)
	}
	if _, err := OddsRatio(bad, 0.95); !errors.Is(err, ErrInput) {
		t.Error(err)
	}
	if _, err := OddsRatio(Table{1, 1, 1, 1}, 1); !errors.Is(err, ErrInput) {
		t.Error(err)
	}
	if _, err := BenjaminiHochberg([]float64{0.1, math.NaN()}); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "at 1") {
		t.Error(err)
	}
}

// BenchmarkFisherExact: a table with a large grand total and a small cell, the case
// the funnel's correlation sends to Fisher's test, beside FisherNaive, the sum over the
// whole support with log-factorials.
func BenchmarkFisherExact(b *testing.B) {
	tb := Table{3, 400000, 40, 600000}
	for b.Loop() {
		if _, err := FisherExact(tb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFisherNaive(b *testing.B) {
	tb := Table{3, 400000, 40, 600000}
	lchoose := func(n, k int64) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(k + 1))
		c, _ := math.Lgamma(float64(n - k + 1))
		return a - b - c
	}
	for b.Loop() {
		r1, r2, c1 := tb.A+tb.B, tb.C+tb.D, tb.A+tb.C
		pmf := func(x int64) float64 { return math.Exp(lchoose(r1, x) + lchoose(r2, c1-x) - lchoose(r1+r2, c1)) }
		obs, p := pmf(tb.A), 0.0
		for x := max(0, c1-r2); x <= min(r1, c1); x++ {
			if q := pmf(x); q <= obs*(1+1e-7) {
				p += q
			}
		}
		if p <= 0 {
			b.Fatal(p)
		}
	}
}

// A q-value is never below its p-value, also where m·p/m rounds below p (p = 7/15 with
// m = 3 did, and TestCorrelateReference caught it).
func TestBenjaminiHochbergNotBelowP(t *testing.T) {
	for m := 1; m <= 40; m++ {
		for _, p := range []float64{7.0 / 15, 0.1, 1.0 / 3, 0.7, 0.29, 0.57} {
			ps := make([]float64, m)
			for i := range ps {
				ps[i] = p
			}
			q, err := BenjaminiHochberg(ps)
			if err != nil {
				t.Fatal(err)
			}
			for i := range q {
				if q[i] < ps[i] {
					t.Fatalf("m %d: q %v below p %v", m, q[i], ps[i])
				}
			}
		}
	}
}

// The estimate is on the side of 1 the table is: above when A·D > B·C (the first group
// has the feature more often than the second), below when less, 1 when equal or when a
// row or column is empty; the interval holds it. The Haldane-Anscombe half this
// replaced broke the first for (3, 0, 52, 2).
func TestOddsRatioSide(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cell := rapid.OneOf(rapid.Int64Range(0, 5), rapid.Int64Range(0, 1_000_000))
		tb := Table{cell.Draw(t, "a"), cell.Draw(t, "b"), cell.Draw(t, "c"), cell.Draw(t, "d")}
		level := rapid.SampledFrom([]float64{0.8, 0.95, 0.999}).Draw(t, "level")
		or, err := OddsRatio(tb, level)
		if err != nil {
			t.Fatal(err)
		}
		ad, bc := float64(tb.A)*float64(tb.D), float64(tb.B)*float64(tb.C)
		empty := tb.A+tb.B == 0 || tb.C+tb.D == 0 || tb.A+tb.C == 0 || tb.B+tb.D == 0
		switch {
		case empty && or.Estimate != 1:
			t.Fatalf("%v: %v, want 1 for an empty row or column", tb, or)
		case !empty && (ad > bc) != (or.Estimate > 1), !empty && (ad < bc) != (or.Estimate < 1):
			t.Fatalf("%v: AD %v, BC %v, odds ratio %v", tb, ad, bc, or)
		case !(or.Lo <= or.Estimate && or.Estimate <= or.Hi) || or.Lo < 0:
			t.Fatalf("%v: interval %v does not hold its estimate", tb, or)
		}
	})
	if or, _ := OddsRatio(Table{3, 3, 5, 5}, 0.8); or.Estimate != 1 {
		t.Errorf("(3, 3, 5, 5): %v, want exactly 1 (rapid found exp of a sum of logs gave 1-2e-16)", or)
	}
	if or, _ := OddsRatio(Table{3, 0, 52, 2}, 0.95); !math.IsInf(or.Estimate, 1) || or.Lo > 1 {
		t.Errorf("(3, 0, 52, 2): %v, want +Inf with an interval reaching below 1 (SciPy: [0.00893, inf])", or)
	}
}
