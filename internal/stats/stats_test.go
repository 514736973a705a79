package stats

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/golden"
	"gonum.org/v1/gonum/stat/distuv"
	"pgregory.net/rapid"
)

// TestGoldenSciPy holds every function against SciPy's figures (testdata/golden.csv).
func TestGoldenSciPy(t *testing.T) {
	seen := map[string]int{}
	for _, row := range golden.Rows(t, "testdata/golden.csv") {
		num := func(i int) float64 {
			v, err := strconv.ParseFloat(row[i], 64)
			if err != nil {
				t.Fatalf("golden row %v: %v", row, err)
			}
			return v
		}
		k1, n1, k2, n2 := int64(num(1)), int64(num(2)), int64(num(3)), int64(num(4))
		level, a, b := num(5), num(6), num(7)
		seen[row[0]]++
		switch row[0] {
		case "wilson", "clopper":
			fn := Wilson
			if row[0] == "clopper" {
				fn = ClopperPearson
			}
			iv, err := fn(k1, n1, level)
			if err != nil {
				t.Fatalf("%s(%d, %d, %g): %v", row[0], k1, n1, level, err)
			}
			if !near(iv.Lo, a, 1e-9) || !near(iv.Hi, b, 1e-9) {
				t.Errorf("%s(%d, %d, %g) = [%.10g, %.10g], SciPy says [%.10g, %.10g]", row[0], k1, n1, level, iv.Lo, iv.Hi, a, b)
			}
		case "ztest":
			z, p, err := TwoProportionTest(k1, n1, k2, n2)
			if err != nil {
				t.Fatalf("TwoProportionTest(%d, %d, %d, %d): %v", k1, n1, k2, n2, err)
			}
			if !near(z*z, a, 1e-9) || !closeP(p, b) {
				t.Errorf("TwoProportionTest(%d, %d, %d, %d): z² = %.10g, p = %.10g; SciPy χ² = %.10g, p = %.10g", k1, n1, k2, n2, z*z, p, a, b)
			}
		default:
			t.Fatalf("unknown golden kind %q", row[0])
		}
	}
	for _, kind := range []string{"wilson", "clopper", "ztest"} {
		if seen[kind] < 50 {
			t.Errorf("golden file has %d %s rows; regenerate it", seen[kind], kind)
		}
	}
}

// near compares with a relative tolerance, absolute near zero.
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestNewcombePublished checks the worked examples printed in Newcombe (1998),
// "Two-sided confidence intervals for the single proportion" (Table I, methods 3 and 5)
// and "Interval estimation for the difference between independent proportions"
// (Table II, method 10), 95% level, to the four places printed there.
func TestNewcombePublished(t *testing.T) {
	for _, c := range []struct {
		k, n                 int64
		wLo, wHi, exLo, exHi float64
	}{
		{81, 263, 0.2553, 0.3662, 0.2527, 0.3676},
		{15, 148, 0.0624, 0.1605, 0.0578, 0.1617},
		{0, 20, 0, 0.1611, 0, 0.1684},
		{1, 29, 0.0061, 0.1718, 0.0009, 0.1776},
	} {
		w, _ := Wilson(c.k, c.n, 0.95)
		e, _ := ClopperPearson(c.k, c.n, 0.95)
		if !close4(w.Lo, c.wLo) || !close4(w.Hi, c.wHi) {
			t.Errorf("Wilson(%d/%d) = [%.4f, %.4f], Newcombe prints [%.4f, %.4f]", c.k, c.n, w.Lo, w.Hi, c.wLo, c.wHi)
		}
		if !close4(e.Lo, c.exLo) || !close4(e.Hi, c.exHi) {
			t.Errorf("ClopperPearson(%d/%d) = [%.4f, %.4f], Newcombe prints [%.4f, %.4f]", c.k, c.n, e.Lo, e.Hi, c.exLo, c.exHi)
		}
	}
	// Newcombe's θ is p1 - p2; Diff returns pB - pA, so group 1 is B.
	for _, c := range []struct {
		k1, n1, k2, n2 int64
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{0, 10, 0, 10, -0.2775, 0.2775},
	} {
		d, err := Diff(c.k2, c.n2, c.k1, c.n1, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !close4(d.Lo, c.lo) || !close4(d.Hi, c.hi) {
			t.Errorf("Diff(%d/%d - %d/%d) = [%.4f, %.4f], Newcombe prints [%.4f, %.4f]", c.k1, c.n1, c.k2, c.n2, d.Lo, d.Hi, c.lo, c.hi)
		}
	}
}

func close4(got, want float64) bool { return math.Abs(got-want) <= 0.00005+1e-12 }

// TestIntervalProperties: bounds in [0, 1] around the estimate; the exact interval holds
// the Wilson one at the extremes no tighter; wider at a higher level; and the exact
// interval's tails have the promised probability (its defining equations).
func TestIntervalProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(1, 100000).Draw(t, "n")
		k := rapid.Int64Range(0, n).Draw(t, "k")
		level := rapid.Float64Range(0.5, 0.999).Draw(t, "level")
		for name, fn := range map[string]func(int64, int64, float64) (Interval, error){"Wilson": Wilson, "ClopperPearson": ClopperPearson} {
			iv, err := fn(k, n, level)
			if err != nil {
				t.Fatalf("%s(%d, %d, %g): %v", name, k, n, level, err)
			}
			if !(0 <= iv.Lo && iv.Lo <= iv.Estimate && iv.Estimate <= iv.Hi && iv.Hi <= 1) {
				t.Fatalf("%s(%d, %d, %g) = %+v is not 0 <= lo <= p <= hi <= 1", name, k, n, level, iv)
			}
			wider, _ := fn(k, n, (1+level)/2)
			if wider.Lo > iv.Lo+1e-12 || wider.Hi < iv.Hi-1e-12 {
				t.Fatalf("%s(%d, %d): interval at level %g %+v is not inside the one at %g %+v", name, k, n, level, iv, (1+level)/2, wider)
			}
		}
		cp, _ := ClopperPearson(k, n, level)
		tail := (1 - level) / 2
		if k > 0 {
			// P(X >= k | p = lo) = tail.
			if got := 1 - (distuv.Binomial{N: float64(n), P: cp.Lo}).CDF(float64(k-1)); math.Abs(got-tail) > 1e-6 {
				t.Fatalf("ClopperPearson(%d, %d, %g): P(X >= k | lo) = %g, want %g", k, n, level, got, tail)
			}
		}
		if k < n {
			if got := (distuv.Binomial{N: float64(n), P: cp.Hi}).CDF(float64(k)); math.Abs(got-tail) > 1e-6 {
				t.Fatalf("ClopperPearson(%d, %d, %g): P(X <= k | hi) = %g, want %g", k, n, level, got, tail)
			}
		}
	})
}

// TestDiffProperties: swapping the variants negates the interval, and it holds the
// observed difference.
func TestDiffProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nA := rapid.Int64Range(1, 10000).Draw(t, "nA")
		nB := rapid.Int64Range(1, 10000).Draw(t, "nB")
		kA := rapid.Int64Range(0, nA).Draw(t, "kA")
		kB := rapid.Int64Range(0, nB).Draw(t, "kB")
		d, err := Diff(kA, nA, kB, nB, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := Diff(kB, nB, kA, nA, 0.95)
		if math.Abs(d.Estimate+r.Estimate) > 1e-12 || math.Abs(d.Lo+r.Hi) > 1e-12 || math.Abs(d.Hi+r.Lo) > 1e-12 {
			t.Fatalf("Diff not antisymmetric: %+v vs %+v", d, r)
		}
		if !(d.Lo <= d.Estimate && d.Estimate <= d.Hi && -1 <= d.Lo && d.Hi <= 1) {
			t.Fatalf("Diff(%d/%d, %d/%d) = %+v", kA, nA, kB, nB, d)
		}
		z, p, err := TwoProportionTest(kA, nA, kB, nB)
		if err != nil || p < 0 || p > 1 || (z > 0) != (d.Estimate > 0) && z != 0 {
			t.Fatalf("TwoProportionTest(%d/%d, %d/%d) = %g, %g, %v with difference %g", kA, nA, kB, nB, z, p, err, d.Estimate)
		}
	})
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		k, n  int64
		level float64
		want  string
	}{
		{-1, 5, 0.95, "negative"},
		{6, 5, 0.95, "6 successes out of 5"},
		{1, 5, 1, "level 1"},
		{1, 5, 0, "level 0"},
		{1, 5, math.NaN(), "level NaN"},
	} {
		for _, fn := range []func(int64, int64, float64) (Interval, error){Wilson, ClopperPearson} {
			if _, err := fn(c.k, c.n, c.level); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("(%d, %d, %v): error %v, want ErrInput mentioning %q", c.k, c.n, c.level, err, c.want)
			}
		}
	}
	if _, err := Diff(1, 0, 1, 5, 0.95); !errors.Is(err, ErrInput) {
		t.Errorf("Diff with an empty variant: %v", err)
	}
	if _, _, err := TwoProportionTest(1, 5, 7, 5); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "variant B") {
		t.Errorf("TwoProportionTest with 7 of 5: %v", err)
	}
	if iv, err := Wilson(0, 0, 0.95); err != nil || iv != (Interval{0, 0, 1}) {
		t.Errorf("Wilson(0, 0) = %+v, %v; want the whole [0, 1]", iv, err)
	}
}

// TestClopperPearsonHugeCounts: counts are int64, and past 2^53 trials float64(n) -
// float64(k) rounds to zero (a Beta with a zero parameter panics in gonum) while the
// incomplete beta returns NaN or bounds that miss the estimate. The interval must stay
// an interval.
func TestClopperPearsonHugeCounts(t *testing.T) {
	for _, n := range []int64{1e15, 1e16, 1e17, 1e18, math.MaxInt64} {
		for _, k := range []int64{0, 1, n / 2, n - 1, n} {
			iv, err := ClopperPearson(k, n, 0.95)
			if err != nil {
				t.Fatalf("ClopperPearson(%d, %d): %v", k, n, err)
			}
			if !(0 <= iv.Lo && iv.Lo <= iv.Estimate && iv.Estimate <= iv.Hi && iv.Hi <= 1) {
				t.Errorf("ClopperPearson(%d, %d) = %+v is not 0 <= lo <= p <= hi <= 1", k, n, iv)
			}
		}
	}
}
