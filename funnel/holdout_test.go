package funnel

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/internal/golden"
	"pgregory.net/rapid"
)

// TestHoldoutGolden pins the holdout's draw to testdata/holdout/golden.csv, computed
// from the definitions by golden.py: a change would move profiles between the groups of
// a running campaign.
func TestHoldoutGolden(t *testing.T) {
	for _, rec := range golden.Rows(t, "testdata/holdout/golden.csv") {
		p, _ := strconv.ParseUint(rec[1], 10, 32)
		want, _ := strconv.ParseFloat(rec[2], 64)
		if got := holdoutDraw(saltKey(rec[0]), uint32(p)); got != want {
			t.Errorf("salt %q profile %d: draw %v, golden %v", rec[0], p, got, want)
		}
		h := Holdout{Share: want, Salt: rec[0]}
		if h.Contains(uint32(p)) || !(Holdout{Share: math.Nextafter(want, 1), Salt: rec[0]}).Contains(uint32(p)) {
			t.Errorf("salt %q profile %d: the draw %v is not the threshold of Contains", rec[0], p, want)
		}
	}
}

// Split partitions the profiles into Contains' choice and the rest.
func TestHoldoutSplit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := Holdout{Share: rapid.Float64Range(0.001, 0.999).Draw(t, "share"), Salt: rapid.String().Draw(t, "salt")}
		ids := rapid.SliceOf(rapid.Uint32()).Draw(t, "profiles")
		all := roaring.BitmapOf(ids...)
		held, rest, err := h.Split(all)
		if err != nil {
			t.Fatal(err)
		}
		if held.Intersects(rest) || !roaring.Or(held, rest).Equals(all) {
			t.Fatalf("held %v and rest %v do not partition %v", held, rest, all)
		}
		for _, p := range ids {
			if h.Contains(p) != held.Contains(p) {
				t.Fatalf("profile %d: Contains %v, in held %v", p, h.Contains(p), held.Contains(p))
			}
		}
	})
	for _, share := range []float64{0, 1, -0.1, math.NaN()} {
		if _, _, err := (Holdout{Share: share}).Split(roaring.BitmapOf(1)); !errors.Is(err, ErrInvalid) {
			t.Errorf("share %v: %v", share, err)
		}
		if (Holdout{Share: share}).Contains(1) {
			t.Errorf("share %v holds out a profile", share)
		}
	}
	if _, _, err := (Holdout{Share: 0.1}).Split(nil); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
}

// The share held out is the asked share within binomial noise (five standard errors),
// on consecutive keys, the usual shape of profile keys; two salts choose sets that
// overlap as independent draws would.
func TestHoldoutShare(t *testing.T) {
	const n = 200_000
	all := roaring.New()
	all.AddRange(1, n+1)
	for _, share := range []float64{0.01, 0.1, 0.5} {
		a, _, _ := Holdout{Share: share, Salt: "a"}.Split(all)
		b, _, _ := Holdout{Share: share, Salt: "b"}.Split(all)
		sd := math.Sqrt(n * share * (1 - share))
		if got := float64(a.GetCardinality()); math.Abs(got-n*share) > 5*sd {
			t.Errorf("share %v: held %v of %d", share, got, n)
		}
		both := float64(a.AndCardinality(b))
		want := n * share * share
		if math.Abs(both-want) > 5*math.Sqrt(want*(1-share*share))+1 {
			t.Errorf("share %v: salts a and b share %v profiles, independent draws %v", share, both, want)
		}
	}
}

// The confidence sequence is always valid: over many simulated experiments looked at
// after every 50 profiles, the share in which it ever excludes the true difference
// stays near α or below, where the fixed-sample interval read at every look exceeds it
// many times over (the peeking problem the sequence exists for).
func TestConfidenceSequenceCoverage(t *testing.T) {
	const (
		runs, looks, every = 400, 100, 50
		pc, pt             = 0.10, 0.12
	)
	rng := rand.New(rand.NewPCG(19, 3))
	seqMiss, fixedMiss := 0, 0
	for range runs {
		var kc, nc, kt, nt int64
		seqOut, fixedOut := false, false
		for look := range looks {
			for range every {
				if rng.IntN(2) == 0 {
					nc++
					if rng.Float64() < pc {
						kc++
					}
				} else {
					nt++
					if rng.Float64() < pt {
						kt++
					}
				}
			}
			if look < 3 || kc == 0 || kt == 0 {
				continue
			}
			c, _ := NewRate(kc, nc, Wilson, 0.95)
			tr, _ := NewRate(kt, nt, Wilson, 0.95)
			ex, err := compareRates(c, tr, ExperimentOptions{Level: 0.95, Planned: 2000}, nc, nt)
			if err != nil {
				t.Fatal(err)
			}
			seqOut = seqOut || ex.SeqLo > pt-pc || ex.SeqHi < pt-pc
			fixedOut = fixedOut || ex.Comparison.Lo > pt-pc || ex.Comparison.Hi < pt-pc
		}
		if seqOut {
			seqMiss++
		}
		if fixedOut {
			fixedMiss++
		}
	}
	if float64(seqMiss)/runs > 0.08 {
		t.Errorf("the confidence sequence missed the truth in %d of %d peeked experiments", seqMiss, runs)
	}
	if fixedMiss <= 2*seqMiss || float64(fixedMiss)/runs < 0.15 {
		t.Errorf("peeking at the fixed interval missed in %d runs, the sequence in %d: the test does not peek enough", fixedMiss, seqMiss)
	}
	t.Logf("missed the truth: sequence %d, fixed interval %d of %d runs", seqMiss, fixedMiss, runs)
}

// CompareRetention compares the pooled complete cells of one column (reference: summed
// by hand from the tables' rows) and refuses tables that do not match.
func TestCompareRetention(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(4, 300).Draw(t, "profiles")
		h := Holdout{Share: 0.3, Salt: rapid.StringN(0, 4, -1).Draw(t, "salt")}
		var held, rest []Event
		for p := uint32(1); p <= uint32(n); p++ {
			evs := []Event{{Profile: p, Time: onDay(rapid.IntRange(0, 60).Draw(t, "start")), Name: "signup"}}
			for range rapid.IntRange(0, 3).Draw(t, "returns") {
				evs = append(evs, Event{Profile: p, Time: evs[0].Time.Add(time.Duration(rapid.Int64Range(0, 90).Draw(t, "after")) * day), Name: "visit"})
			}
			if h.Contains(p) {
				held = append(held, evs...)
			} else {
				rest = append(rest, evs...)
			}
		}
		c := Cohorts{Start: Step{Name: "signup"}, Return: Step{Name: "visit"}, By: Week, Periods: 4, AsOf: onDay(200)}
		ht, err := c.Run(held)
		if err != nil {
			t.Fatal(err)
		}
		rt, err := c.Run(rest)
		if err != nil {
			t.Fatal(err)
		}
		col := rapid.IntRange(0, 4).Draw(t, "column")
		ex, err := CompareRetention(ht, rt, col, nil)
		pool := func(tb *Table) (k, n int64) {
			for _, row := range tb.Cohorts {
				if row.Complete[col] {
					k, n = k+row.Retained[col], n+row.Size
				}
			}
			return
		}
		kc, nc := pool(ht)
		kt, nt := pool(rt)
		if nc == 0 || nt == 0 {
			if err == nil {
				t.Fatal("an empty group compared")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if ex.Control.K != kc || ex.Control.N != nc || ex.Treatment.K != kt || ex.Treatment.N != nt {
			t.Fatalf("control %d/%d treatment %d/%d, pooled by hand %d/%d %d/%d", ex.Control.K, ex.Control.N, ex.Treatment.K, ex.Treatment.N, kc, nc, kt, nt)
		}
		if _, err := CompareRetention(ht, ht, col, nil); !errors.Is(err, ErrInvalid) {
			t.Fatalf("a table compared with itself: %v", err)
		}
	})
	a, _ := Cohorts{Start: Step{Name: "s"}, Return: Step{Name: "r"}, By: Week, Periods: 2}.Run([]Event{{Profile: 1, Time: onDay(0), Name: "s"}})
	b, _ := Cohorts{Start: Step{Name: "s"}, Return: Step{Name: "r"}, By: Week, Periods: 3}.Run([]Event{{Profile: 2, Time: onDay(0), Name: "s"}})
	for _, tc := range []struct {
		c, t *Table
		col  int
		opts *ExperimentOptions
	}{{a, b, 0, nil}, {a, nil, 0, nil}, {a, a, 9, nil}, {a, a, 0, &ExperimentOptions{Level: 2}}} {
		if _, err := CompareRetention(tc.c, tc.t, tc.col, tc.opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}

// onDay is noon UTC n days after Monday 6 January 2025.
func onDay(n int) time.Time { return time.Date(2025, 1, 6, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
