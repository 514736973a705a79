package match

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// componentsReference labels each record with the smallest index of its connected
// component in the graph of pairs with weight >= t, by repeated relaxation.
func componentsReference(n int, pairs []Scored, t float64) []int32 {
	label := make([]int32, n)
	for i := range label {
		label[i] = int32(i)
	}
	for changed := true; changed; {
		changed = false
		for _, p := range pairs {
			if p.Weight < t {
				continue
			}
			m := min(label[p.A], label[p.B])
			if label[p.A] != m || label[p.B] != m {
				label[p.A], label[p.B] = m, m
				changed = true
			}
		}
	}
	return label
}

// Clustering at t equals the connected components of the pairs with weight >= t, for
// every threshold of one call.
func TestClusterIsComponents(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "n")
		var pairs []Scored
		if n > 1 {
			pairs = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Scored {
				a := rapid.Int32Range(0, int32(n-1)).Draw(t, "a")
				b := rapid.Int32Range(0, int32(n-1)).Draw(t, "b")
				return Scored{a, b, float64(rapid.IntRange(-5, 5).Draw(t, "w"))}
			}), 0, 80).Draw(t, "pairs")
		}
		ths := rapid.SliceOfN(rapid.Float64Range(-6, 6), 0, 5).Draw(t, "thresholds")
		got, err := Cluster(n, pairs, ths)
		if err != nil {
			t.Fatal(err)
		}
		for i, th := range ths {
			want := componentsReference(n, pairs, th)
			for r := range want {
				if got[i][r] != want[r] {
					t.Fatalf("threshold %v record %d: label %d, want %d", th, r, got[i][r], want[r])
				}
			}
		}
	})
}

func TestClusterRejects(t *testing.T) {
	if _, err := Cluster(2, []Scored{{0, 2, 1}}, []float64{0}); !errors.Is(err, ErrInvalid) {
		t.Errorf("pair outside the records: %v", err)
	}
	if _, err := Cluster(2, nil, []float64{math.NaN()}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NaN threshold: %v", err)
	}
}

// Cluster's record count is the caller's and sizes its result (n labels a threshold):
// one over MaxClusterLabels in all is refused before anything is allocated, where it
// asked for gigabytes (8 GiB a threshold at math.MaxInt32), and with no thresholds
// there is nothing to allocate, whatever n.
func TestClusterBoundsLabels(t *testing.T) {
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	for _, c := range []struct {
		name string
		n, t int
	}{
		{"one label over the limit", MaxClusterLabels/256 + 1, 256},
		{"math.MaxInt32 records at one threshold", math.MaxInt32, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			bytes := allocated(func() { _, err = Cluster(c.n, []Scored{{0, 1, 1}}, make([]float64, c.t)) })
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "over the limit of 268435456 labels") {
				t.Fatalf("Cluster(%d, ..., %d thresholds) = %v, want ErrInvalid over the limit", c.n, c.t, err)
			}
			if bytes > 1<<20 {
				t.Errorf("refusing took %d bytes", bytes)
			}
		})
	}
	t.Run("no thresholds", func(t *testing.T) {
		var got [][]int32
		var err error
		bytes := allocated(func() { got, err = Cluster(MaxClusterLabels, []Scored{{0, 1, 1}}, nil) })
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("Cluster without thresholds = %v, %v; want no labels and no error", got, err)
		}
		if bytes > 1<<20 {
			t.Errorf("Cluster without thresholds took %d bytes", bytes)
		}
	})
}

// Evaluate of no records missed nothing: every score is 1, as its documentation says of
// a zero denominator, B-cubed (a mean over no records) as well as the pairwise ratios.
func TestEvaluateNoRecords(t *testing.T) {
	q, err := Evaluate([]int{}, []string{})
	if err != nil {
		t.Fatal(err)
	}
	want := Quality{Precision: 1, Recall: 1, F1: 1, BCubedPrecision: 1, BCubedRecall: 1, BCubedF1: 1, AdjustedRand: 1}
	if q != want {
		t.Errorf("Evaluate of no records = %+v, want %+v", q, want)
	}
}

// evaluateReference grades by the definitions, record pair by record pair: labels are
// ints, each record's cluster the records of its label.
func evaluateReference(truth, pred []int) Quality {
	var q Quality
	n := len(truth)
	var bp, br float64
	for i := range n {
		inP, inT, both := 0, 0, 0
		for j := range n {
			sp, st := pred[i] == pred[j], truth[i] == truth[j]
			if sp {
				inP++
			}
			if st {
				inT++
			}
			if sp && st {
				both++
			}
			if j > i {
				if sp {
					q.PredictedPairs++
				}
				if st {
					q.TruePairs++
				}
				if sp && st {
					q.CorrectPairs++
				}
			}
		}
		bp += float64(both) / float64(inP)
		br += float64(both) / float64(inT)
	}
	if n > 0 {
		q.BCubedPrecision, q.BCubedRecall = bp/float64(n), br/float64(n)
	}
	return q
}

// Evaluate of float64 labels equals the definitions with every NaN label a cluster of
// its own (NaN equals nothing). A NaN used to become a new map key at each count and be
// found by no lookup, so its cluster's size was 0 and the B-cubed recall +Inf.
func TestEvaluateNaNLabels(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 30).Draw(t, "n")
		labels := func(name string) ([]float64, []int) {
			fs := rapid.SliceOfN(rapid.SampledFrom([]float64{0, 1, 2, math.NaN()}), n, n).Draw(t, name)
			is := make([]int, n)
			for i, f := range fs {
				is[i] = int(f)
				if math.IsNaN(f) {
					is[i] = 100 + i // a label of its own
				}
			}
			return fs, is
		}
		tf, ti := labels("truth")
		pf, pi := labels("predicted")
		got, err := Evaluate(tf, pf)
		if err != nil {
			t.Fatal(err)
		}
		want := evaluateReference(ti, pi)
		if got.TruePairs != want.TruePairs || got.PredictedPairs != want.PredictedPairs || got.CorrectPairs != want.CorrectPairs {
			t.Fatalf("pairs %d/%d/%d, want %d/%d/%d", got.TruePairs, got.PredictedPairs, got.CorrectPairs, want.TruePairs, want.PredictedPairs, want.CorrectPairs)
		}
		if math.Abs(got.BCubedPrecision-want.BCubedPrecision) > 1e-12 || math.Abs(got.BCubedRecall-want.BCubedRecall) > 1e-12 {
			t.Fatalf("B-cubed %v/%v, want %v/%v", got.BCubedPrecision, got.BCubedRecall, want.BCubedPrecision, want.BCubedRecall)
		}
		same, err := Evaluate(ti, pi)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []float64{same.Precision - got.Precision, same.Recall - got.Recall, same.F1 - got.F1,
			same.BCubedF1 - got.BCubedF1, same.AdjustedRand - got.AdjustedRand} {
			if !(math.Abs(d) <= 1e-12) {
				t.Fatalf("float64 labels %+v, int labels %+v", got, same)
			}
		}
	})
}
