package segment

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"
)

// TestAnalysisMatchesModel checks Breakdown, Distinguish and OverlapOf against counts
// taken profile by profile in the model.
func TestAnalysisMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, m := scenario(t)
		audience := roaring.BitmapOf(rapid.SliceOf(genProfile()).Draw(t, "audience")...)
		size := 0
		for _, p := range audience.ToArray() {
			if m.known[p] {
				size++
			}
		}
		key := rapid.SampledFrom(genKeys).Draw(t, "key")
		shares, err := x.Breakdown(audience, key)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		missing := uint64(0)
		for _, p := range audience.ToArray() {
			has := false
			for _, set := range m.traits[key] {
				has = has || set[p]
			}
			if !has {
				missing++
			}
		}
		for i, s := range shares {
			if s.None {
				if i != len(shares)-1 || s.Count != missing || s.Value != "" {
					t.Fatalf("members without a %s: %+v, want %d last", key, s, missing)
				}
				continue
			}
			var want uint64
			for _, p := range audience.ToArray() {
				if m.traits[key][s.Value][p] {
					want++
				}
			}
			if s.Count != want || seen[s.Value] {
				t.Fatalf("breakdown %s=%q: %d, want %d", key, s.Value, s.Count, want)
			}
			if i > 0 && shares[i-1].Count < s.Count {
				t.Fatalf("breakdown not sorted: %+v", shares)
			}
			seen[s.Value] = true
		}
		lifts, err := x.Distinguish(audience, 100, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range lifts {
			var in, all uint64
			for p := range m.traits[l.Key][l.Value] {
				all++
				if audience.Contains(p) {
					in++
				}
			}
			want := float64(in) / float64(size) / (float64(all) / float64(len(m.known)))
			if l.InAudience != in || l.InBase != all || math.Abs(l.Lift-want) > 1e-9*want {
				t.Fatalf("lift of %s:%s = %+v, want in %d of %d, lift %g", l.Key, l.Value, l, in, all, want)
			}
			if i > 0 && lifts[i-1].Lift < l.Lift {
				t.Fatalf("lifts not sorted")
			}
		}
		other := roaring.BitmapOf(rapid.SliceOf(genProfile()).Draw(t, "other")...)
		o := OverlapOf(audience, other)
		if o.Both != roaring.And(audience, other).GetCardinality() || o.Either != roaring.Or(audience, other).GetCardinality() {
			t.Fatalf("overlap %+v", o)
		}
	})
}

func TestAnalysisErrors(t *testing.T) {
	x := mustIndex()
	if _, err := x.Breakdown(roaring.New(), "nosuch"); !errors.Is(err, ErrUnknownField) {
		t.Errorf("Breakdown by an unknown key: %v", err)
	}
	if _, err := x.Distinguish(roaring.New(), -1, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Distinguish with k < 0: %v", err)
	}
	if _, err := x.Top("nosuch", 3, nil); !errors.Is(err, ErrUnknownField) {
		t.Errorf("Top of an unknown field: %v", err)
	}
	if err := x.SetNumbers("n", []uint32{1}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetNumbers with mismatched slices: %v", err)
	}
	if _, err := x.Eval(context.Background(), dayStart(genToday), nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Eval(nil): %v", err)
	}
	if (OverlapOf(roaring.New(), roaring.New())).Jaccard() != 0 {
		t.Error("Jaccard of two empty sets")
	}
}

// TestAnalysisNilAudience: a nil audience is bad input, refused with ErrInvalid by the
// methods that return an error and read as empty by OverlapOf, never a nil-pointer
// panic.
func TestAnalysisNilAudience(t *testing.T) {
	x := mustIndex()
	x.Tag("plan:pro", 1, 2)
	if _, err := x.Breakdown(nil, "plan"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Breakdown(nil): %v, want ErrInvalid", err)
	}
	if _, err := x.Distinguish(nil, 3, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Distinguish(nil): %v, want ErrInvalid", err)
	}
	if got, want := OverlapOf(nil, roaring.BitmapOf(1, 2)), (Overlap{B: 2, Either: 2}); got != want {
		t.Errorf("OverlapOf(nil, {1,2}) = %+v, want %+v", got, want)
	}
}
