package stats

import (
	"errors"
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestKornGraubardIsClopperPearsonUnclustered: with clusters of one element and the
// binomial variance p(1-p)/n, the effective sample size is n and the interval is
// Clopper-Pearson's, which TestGoldenSciPy holds against SciPy.
func TestKornGraubardIsClopperPearsonUnclustered(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(1, 500).Draw(t, "n")
		k := rapid.Int64Range(0, n).Draw(t, "k")
		p := float64(k) / float64(n)
		got, err := KornGraubard(p, p*(1-p)/float64(n), int(n), float64(n), 0.95)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ClopperPearson(k, n, 0.95)
		if math.Abs(got.Lo-want.Lo) > 1e-9 || math.Abs(got.Hi-want.Hi) > 1e-9 {
			t.Fatalf("%d/%d: Korn-Graubard [%v, %v], Clopper-Pearson [%v, %v]", k, n, got.Lo, got.Hi, want.Lo, want.Hi)
		}
	})
}

// TestKornGraubardDegenerate: clusters that all went one way say nothing through their
// variance, so each counts as one trial, never as a point interval.
func TestKornGraubardDegenerate(t *testing.T) {
	got, err := KornGraubard(1, 0, 2, 21, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ClopperPearson(2, 2, 0.95)
	if got != want || got.Lo > 0.2 {
		t.Fatalf("2 clusters, all expired: %+v, want Clopper-Pearson 2/2 %+v", got, want)
	}
	if iv, _ := KornGraubard(0.5, 0, 0, 0, 0.95); iv != (Interval{0, 0, 1}) {
		t.Fatalf("no clusters: %+v, want 0 [0, 1]", iv)
	}
	for _, c := range []struct {
		p, v  float64
		n     int
		m, lv float64
	}{{-0.1, 0, 1, 1, 0.95}, {0.5, -1, 1, 1, 0.95}, {0.5, math.NaN(), 1, 1, 0.95}, {0.5, 0, 3, 2, 0.95}, {0.5, 0, 1, 1, 1}} {
		if _, err := KornGraubard(c.p, c.v, c.n, c.m, c.lv); !errors.Is(err, ErrInput) {
			t.Errorf("%+v: err %v, want ErrInput", c, err)
		}
	}
}
