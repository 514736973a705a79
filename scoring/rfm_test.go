package scoring

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// rfmReference scores by definition, counted pairwise: 1 for the worst and bins for
// the best where profiles differ, else 1 + floor(bins · (#strictly worse + #tied/2) / n).
func rfmReference(ss []Summary, bins int) [][3]int {
	n := len(ss)
	out := make([][3]int, n)
	for i, a := range ss {
		var worse, better [3]int
		for _, b := range ss {
			// c > 0: a is better than b on the measure (recency: b's last purchase
			// longer ago than a's).
			for k, c := range [3]int{cmpRFM(b.T-b.Recency, a.T-a.Recency), cmpRFM(float64(a.Frequency), float64(b.Frequency)), cmpRFM(a.Spend, b.Spend)} {
				switch {
				case c > 0:
					worse[k]++
				case c < 0:
					better[k]++
				}
			}
		}
		for k := range worse {
			tied := n - worse[k] - better[k]
			switch {
			case worse[k] == 0 && better[k] > 0:
				out[i][k] = 1
			case better[k] == 0 && worse[k] > 0:
				out[i][k] = bins
			default:
				// In big integers, so that the reference holds for any bins.
				q := new(big.Int).Mul(big.NewInt(int64(bins)), big.NewInt(int64(2*worse[k]+tied)))
				out[i][k] = 1 + int(q.Quo(q, big.NewInt(int64(2*n))).Int64())
			}
		}
	}
	return out
}

func cmpRFM(a, b float64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// quintileReference maps a score of 1..bins to 1..5 by rounding 1 + 4(s-1)/(bins-1)
// half to even, in big rationals.
func quintileReference(s, bins int) int {
	x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(4), big.NewInt(int64(s-1))), big.NewInt(int64(bins-1)))
	fl := new(big.Int).Quo(x.Num(), x.Denom())
	frac := new(big.Rat).Sub(x, new(big.Rat).SetInt(fl))
	q := fl.Int64()
	if c := frac.Cmp(big.NewRat(1, 2)); c > 0 || c == 0 && q%2 == 1 {
		q++
	}
	return 1 + int(q)
}

func drawSummaries(t *rapid.T) []Summary {
	n := rapid.IntRange(1, 40).Draw(t, "n")
	ss := make([]Summary, n)
	for i := range ss {
		// Few distinct values, so that ties are common.
		T := float64(rapid.IntRange(0, 6).Draw(t, "T"))
		x := rapid.IntRange(0, 3).Draw(t, "x")
		c := Customer{T: T}
		if x > 0 && T > 0 {
			c.Frequency = x
			c.Recency = float64(rapid.IntRange(1, int(T)).Draw(t, "recency"))
		}
		ss[i] = Summary{Profile: uint32(i + 1), Customer: c, Spend: float64(rapid.IntRange(0, 4).Draw(t, "spend") * 10)}
	}
	return ss
}

func TestRFMMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ss := drawSummaries(t)
		bins := rapid.IntRange(1, 10).Draw(t, "bins")
		got, err := RFM(ss, &RFMOptions{Bins: bins})
		if err != nil {
			t.Fatal(err)
		}
		want := rfmReference(ss, bins)
		for i, g := range got {
			if g.Profile != ss[i].Profile || [3]int{g.Recency, g.Frequency, g.Monetary} != want[i] {
				t.Fatalf("profile %d: got %+v, want R F M %v", ss[i].Profile, g, want[i])
			}
			for _, s := range [3]int{g.Recency, g.Frequency, g.Monetary} {
				if s < 1 || s > bins {
					t.Fatalf("score %d outside 1..%d", s, bins)
				}
			}
			if g.Segment == "" {
				t.Fatalf("no segment for %+v", g)
			}
		}
	})
}

// TestRFMTiesDeterministic: the scores of each profile do not depend on input order.
func TestRFMTiesDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ss := drawSummaries(t)
		a, err := RFM(ss, nil)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := slices.Clone(ss)
		rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b, err := RFM(shuffled, nil)
		if err != nil {
			t.Fatal(err)
		}
		byProfile := map[uint32]RFMScore{}
		for _, s := range a {
			byProfile[s.Profile] = s
		}
		for _, s := range b {
			if byProfile[s.Profile] != s {
				t.Fatalf("profile %d: %+v in one order, %+v in another", s.Profile, byProfile[s.Profile], s)
			}
		}
	})
}

func TestRFMSegmentGrid(t *testing.T) {
	for _, c := range []struct {
		r, f, bins int
		want       string
	}{
		{5, 5, 5, SegmentChampions}, {5, 1, 5, SegmentNew}, {1, 1, 5, SegmentLost}, {1, 5, 5, SegmentCantLose},
		{3, 3, 5, SegmentNeedAttention}, {2, 3, 5, SegmentAtRisk}, {4, 4, 5, SegmentLoyal}, {4, 1, 5, SegmentPromising},
		{3, 2, 5, SegmentAboutToSleep}, {2, 2, 5, SegmentHibernating}, {5, 2, 5, SegmentPotentialLoyalist},
		{10, 10, 10, SegmentChampions}, {1, 1, 10, SegmentLost}, {2, 2, 10, SegmentLost}, {3, 3, 10, SegmentHibernating},
	} {
		if got := rfmGrid[quintile(c.r, c.bins)-1][quintile(c.f, c.bins)-1]; got != c.want {
			t.Errorf("R%d F%d of %d bins: %s, want %s", c.r, c.f, c.bins, got, c.want)
		}
	}
}

func TestRFMSegmentsPartitionProfiles(t *testing.T) {
	txs := cdnowTransactions(t)
	ss, err := Summarize(slices.Values(txs), &SummaryOptions{End: cdnowCalibrationEnd})
	if err != nil {
		t.Fatal(err)
	}
	scores, err := RFM(ss, nil)
	if err != nil {
		t.Fatal(err)
	}
	sets := RFMSegments(scores, "rfm:")
	var total uint64
	for tag, b := range sets {
		if tag[:4] != "rfm:" || b.IsEmpty() {
			t.Errorf("tag %q with %d profiles", tag, b.GetCardinality())
		}
		for other, c := range sets {
			if other != tag && b.Intersects(c) {
				t.Errorf("%s and %s overlap", tag, other)
			}
		}
		total += b.GetCardinality()
	}
	if total != uint64(len(ss)) {
		t.Errorf("segments hold %d profiles, want %d", total, len(ss))
	}
	for _, s := range scores {
		if !sets["rfm:"+s.Segment].Contains(s.Profile) {
			t.Fatalf("profile %d missing from its segment %s", s.Profile, s.Segment)
		}
	}
}

// TestRFMHugeBins: Bins is the caller's; with Bins near 2^61 the score's product
// overflowed int, and the negative score indexed the segment grid: a panic. Scores
// now follow the definition for any Bins, and the segment is the quintile's.
func TestRFMHugeBins(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ss := drawSummaries(t)
		bins := rapid.OneOf(rapid.IntRange(1, 10), rapid.IntRange(math.MaxInt/64, math.MaxInt)).Draw(t, "bins")
		got, err := RFM(ss, &RFMOptions{Bins: bins})
		if err != nil {
			t.Fatal(err)
		}
		want := rfmReference(ss, bins)
		for i, g := range got {
			if [3]int{g.Recency, g.Frequency, g.Monetary} != want[i] {
				t.Fatalf("profile %d: got %+v, want R F M %v", ss[i].Profile, g, want[i])
			}
			if bins == 1 {
				if g.Segment != SegmentUnranked {
					t.Fatalf("profile %d of 1 bin: segment %q", ss[i].Profile, g.Segment)
				}
				continue
			}
			if g.Segment == SegmentUnranked {
				continue // everyone tied on R and F: TestRFMSmallShop
			}
			if seg := rfmGrid[quintileReference(g.Recency, bins)-1][quintileReference(g.Frequency, bins)-1]; g.Segment != seg {
				t.Fatalf("profile %d: segment %q, want %q", ss[i].Profile, g.Segment, seg)
			}
		}
	})
}

// TestRFMRefusesWhatCannotRank: summaries of two time units (recencies in days against
// weeks) and a profile given twice were scored without a word; the duplicate then
// stood in two segments of RFMSegments. Both are ErrInvalid naming the rows, and a
// refusal returns no scores.
func TestRFMRefusesWhatCannotRank(t *testing.T) {
	day, week := 24*time.Hour, 7*24*time.Hour
	for _, c := range []struct {
		name string
		ss   []Summary
		want string
	}{
		{"days and weeks", []Summary{
			{Profile: 1, Customer: Customer{Frequency: 1, Recency: 3, T: 10, Unit: week}, Spend: 5},
			{Profile: 2, Customer: Customer{Frequency: 4, Recency: 9, T: 10, Unit: day}, Spend: 50},
		}, "row 1 has unit 24h0m0s, row 0 has 168h0m0s"},
		{"a profile twice", []Summary{
			{Profile: 7, Customer: Customer{Frequency: 1, Recency: 3, T: 10}, Spend: 5},
			{Profile: 8, Customer: Customer{T: 10}, Spend: 5},
			{Profile: 7, Customer: Customer{Frequency: 4, Recency: 9, T: 10}, Spend: 50},
		}, "summaries 0 and 2 are both of profile 7"},
	} {
		got, err := RFM(c.ss, nil)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) || got != nil {
			t.Errorf("%s: RFM = %v, %v; want ErrInvalid saying %q", c.name, got, err, c.want)
		}
	}
}

// TestRFMSmallShop: of two customers the best on every measure was need_attention
// (R3 F3: the plain quantile gave it 1 + floor(5·1/2)), and with Bins 1 everyone was
// a champion. The best now scores Bins and the worst 1 on every measure on which they
// differ, and scores that rank no one are SegmentUnranked.
func TestRFMSmallShop(t *testing.T) {
	best := Summary{Profile: 1, Customer: Customer{Frequency: 4, Recency: 10, T: 10}, Spend: 200}
	worst := Summary{Profile: 2, Customer: Customer{Frequency: 0, T: 10}, Spend: 20}
	for _, c := range []struct {
		name string
		ss   []Summary
		bins int
		want []RFMScore
	}{
		{"two", []Summary{best, worst}, 5, []RFMScore{{1, 5, 5, 5, SegmentChampions}, {2, 1, 1, 1, SegmentLost}}},
		{"two in 2 bins", []Summary{best, worst}, 2, []RFMScore{{1, 2, 2, 2, SegmentChampions}, {2, 1, 1, 1, SegmentLost}}},
		{"two in 1 bin", []Summary{best, worst}, 1, []RFMScore{{1, 1, 1, 1, SegmentUnranked}, {2, 1, 1, 1, SegmentUnranked}}},
		{"one", []Summary{best}, 5, []RFMScore{{1, 3, 3, 3, SegmentUnranked}}},
		{"three", []Summary{worst, best, {Profile: 3, Customer: Customer{Frequency: 1, Recency: 5, T: 10}, Spend: 50}}, 5,
			[]RFMScore{{2, 1, 1, 1, SegmentLost}, {1, 5, 5, 5, SegmentChampions}, {3, 3, 3, 3, SegmentNeedAttention}}},
		// A fifth of the base ahead of the rest: its best tie scored 1 + floor(5·3/4) = 4.
		{"a large tie at the top", []Summary{best, {Profile: 3, Customer: best.Customer, Spend: 200}, worst, {Profile: 4, Customer: worst.Customer, Spend: 20}}, 5,
			[]RFMScore{{1, 5, 5, 5, SegmentChampions}, {3, 5, 5, 5, SegmentChampions}, {2, 1, 1, 1, SegmentLost}, {4, 1, 1, 1, SegmentLost}}},
	} {
		got, err := RFM(c.ss, &RFMOptions{Bins: c.bins})
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: RFM = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestRFMBetterNeverScoresLower: a profile better or equal on a measure never scores
// lower on it than another; where the profiles differ the best scores Bins and the
// worst 1, so the best is never below the middle; and a measure on which all tie
// scores the middle. For n a multiple of Bins without ties the scores are the plain
// quantiles.
func TestRFMBetterNeverScoresLower(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ss := drawSummaries(t)
		bins := rapid.IntRange(1, 12).Draw(t, "bins")
		got, err := RFM(ss, &RFMOptions{Bins: bins})
		if err != nil {
			t.Fatal(err)
		}
		measures := func(s Summary) [3]float64 { return [3]float64{s.Recency - s.T, float64(s.Frequency), s.Spend} }
		scores := func(g RFMScore) [3]int { return [3]int{g.Recency, g.Frequency, g.Monetary} }
		for k := range 3 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, s := range ss {
				lo, hi = min(lo, measures(s)[k]), max(hi, measures(s)[k])
			}
			for i, a := range ss {
				sa := scores(got[i])[k]
				switch v := measures(a)[k]; {
				case lo == hi && sa != 1+bins/2:
					t.Fatalf("measure %d: all tied, profile %d scores %d, want %d", k, a.Profile, sa, 1+bins/2)
				case lo < hi && v == hi && sa != bins:
					t.Fatalf("measure %d: best profile %d scores %d of %d", k, a.Profile, sa, bins)
				case lo < hi && v == lo && sa != 1:
					t.Fatalf("measure %d: worst profile %d scores %d", k, a.Profile, sa)
				}
				for j, b := range ss {
					if measures(a)[k] >= measures(b)[k] && sa < scores(got[j])[k] {
						t.Fatalf("measure %d: profile %d (%v) scores %d below profile %d (%v, %d)", k, a.Profile, measures(a)[k], sa, b.Profile, measures(b)[k], scores(got[j])[k])
					}
				}
			}
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		bins := rapid.IntRange(1, 8).Draw(t, "bins")
		n := bins * rapid.IntRange(1, 6).Draw(t, "k")
		ss := make([]Summary, n)
		for i := range ss {
			ss[i] = Summary{Profile: uint32(i + 1), Customer: Customer{Frequency: i, Recency: float64(i), T: float64(n)}, Spend: float64(i)}
		}
		got, err := RFM(ss, &RFMOptions{Bins: bins})
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range got {
			// Profile i is better than i others on every measure.
			if want := 1 + bins*i/n; [3]int{g.Recency, g.Frequency, g.Monetary} != [3]int{want, want, want} {
				t.Fatalf("profile %d of %d in %d bins: %+v, want %d", i+1, n, bins, g, want)
			}
		}
	})
}
