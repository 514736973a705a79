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

// rfmReference scores by definition: 1 + floor(bins · #strictly worse / n), counted
// pairwise.
func rfmReference(ss []Summary, bins int) [][3]int {
	n := len(ss)
	out := make([][3]int, n)
	for i, a := range ss {
		var worse [3]int
		for _, b := range ss {
			if b.T-b.Recency > a.T-a.Recency {
				worse[0]++
			}
			if b.Frequency < a.Frequency {
				worse[1]++
			}
			if b.Spend < a.Spend {
				worse[2]++
			}
		}
		for k := range worse {
			// In big integers, so that the reference holds for any bins.
			q := new(big.Int).Mul(big.NewInt(int64(bins)), big.NewInt(int64(worse[k])))
			out[i][k] = 1 + int(q.Quo(q, big.NewInt(int64(n))).Int64())
		}
	}
	return out
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
		quint := func(s int) int { // ceil(5s/bins)
			q := new(big.Int).Mul(big.NewInt(5), big.NewInt(int64(s)))
			q.Add(q, big.NewInt(int64(bins-1)))
			return int(q.Quo(q, big.NewInt(int64(bins))).Int64())
		}
		for i, g := range got {
			if [3]int{g.Recency, g.Frequency, g.Monetary} != want[i] {
				t.Fatalf("profile %d: got %+v, want R F M %v", ss[i].Profile, g, want[i])
			}
			if seg := rfmGrid[quint(g.Recency)-1][quint(g.Frequency)-1]; g.Segment != seg {
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
