package scoring

import (
	"cmp"
	"iter"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// naiveCollect is collect as it was before it folded rows as they came: every row
// held until the stream ends, then a stable sort by period and a sum of each period's
// amounts in input order. It is the reference the streaming collect must match to the
// bit, and the baseline of BenchmarkSummarizeRows.
func naiveCollect(txs iter.Seq[Transaction], o SummaryOptions, last int64) (map[uint32][]purchase, error) {
	byProfile := map[uint32][]purchase{}
	i := 0
	for tx := range txs {
		if err := checkTransaction(i, tx); err != nil {
			return nil, err
		}
		i++
		p := o.period(tx.Time)
		if p > last {
			continue
		}
		byProfile[tx.Profile] = append(byProfile[tx.Profile], purchase{p, tx.Amount})
	}
	for id, ps := range byProfile {
		slices.SortStableFunc(ps, func(a, b purchase) int { return cmp.Compare(a.period, b.period) })
		out := ps[:1]
		for _, p := range ps[1:] {
			if p.period == out[len(out)-1].period {
				out[len(out)-1].amount += p.amount
			} else {
				out = append(out, p)
			}
		}
		byProfile[id] = out
	}
	return byProfile, nil
}

// naiveSummarize is Summarize over naiveCollect, as Summarize was.
func naiveSummarize(txs iter.Seq[Transaction], opts *SummaryOptions) ([]Summary, error) {
	return summarize(txs, opts, naiveCollect)
}

// naiveSummarizeHoldout is SummarizeHoldout over naiveCollect, as it was.
func naiveSummarizeHoldout(txs iter.Seq[Transaction], calibrationEnd time.Time, opts *SummaryOptions) ([]Holdout, error) {
	return summarizeHoldout(txs, calibrationEnd, opts, naiveCollect)
}

// bitwise compares floats by their bits: a sum added in another order, or a -0 turned
// into +0, is a difference.
var bitwise = gocmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })

// TestSummarizeMatchesNaive holds Summarize and SummarizeHoldout to the naive
// collect-all-then-sort algorithm, field by field and bit by bit, on random
// transactions with many rows on the same few days, in random, time or reversed
// order, in several zones, periods and units. Amounts mix cents with magnitudes whose
// sums depend on the order they are added in (1e16 + 1 + 1), so a period summed in
// any other order than its rows' input order shows.
func TestSummarizeMatchesNaive(t *testing.T) {
	zones := []*time.Location{nil, time.UTC, time.FixedZone("-03:00", -3*3600), time.FixedZone("+05:45", 5*3600+45*60)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny) // a DST change falls in the drawn range
	}
	rapid.Check(t, func(t *rapid.T) {
		start := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
		opt := SummaryOptions{
			Location: rapid.SampledFrom(zones).Draw(t, "zone"),
			Period:   rapid.SampledFrom([]time.Duration{0, day, 2 * day, 7 * day, time.Hour, 90 * time.Minute, 7 * time.Second}).Draw(t, "period"),
			Unit:     rapid.SampledFrom([]time.Duration{0, day, time.Hour, 7 * day}).Draw(t, "unit"),
			// Counted back from after the last instant, as rapid draws small numbers
			// most: rows after End are dropped, and a test dropping most would test
			// little.
			End: start.Add(6*day - time.Duration(rapid.IntRange(0, 7*24*60).Draw(t, "minutes before end"))*time.Minute),
		}
		calEnd := start.Add(2*day + time.Duration(rapid.IntRange(-2*24*60, 3*24*60).Draw(t, "calibration minute"))*time.Minute)
		if calEnd.After(opt.End) {
			calEnd = opt.End
		}
		amount := rapid.OneOf(
			rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 0.1, 0.2, 0.3, 0.7, 1.0 / 3, 1, 9.99, 1e16, 3e-17, MaxAmount / 7}),
			rapid.Map(rapid.IntRange(0, 10000), func(c int) float64 { return float64(c) / 100 }),
			rapid.Float64Range(0, 1e9),
		)
		// A few instants per profile, each drawn several times: repeats in a period.
		instant := rapid.Custom(func(t *rapid.T) time.Time {
			d := rapid.IntRange(0, 4).Draw(t, "day")
			h := rapid.IntRange(0, 23).Draw(t, "hour")
			s := rapid.IntRange(0, 3599).Draw(t, "second")
			return start.Add(time.Duration(d)*day + time.Duration(h)*time.Hour + time.Duration(s)*time.Second)
		})
		instants := rapid.SliceOfN(instant, 2, 4).Draw(t, "instants")
		txs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Transaction {
			return Transaction{
				Profile: uint32(rapid.IntRange(1, 3).Draw(t, "profile")),
				Time:    rapid.SampledFrom(instants).Draw(t, "time"),
				Amount:  amount.Draw(t, "amount"),
			}
		}), 8, 60).Draw(t, "txs")
		switch rapid.IntRange(0, 2).Draw(t, "order") {
		case 1:
			slices.SortStableFunc(txs, func(a, b Transaction) int { return a.Time.Compare(b.Time) })
		case 2:
			slices.SortStableFunc(txs, func(a, b Transaction) int { return b.Time.Compare(a.Time) })
		}

		want, werr := naiveSummarize(slices.Values(txs), &opt)
		got, err := Summarize(slices.Values(txs), &opt)
		if (err != nil) != (werr != nil) {
			t.Fatalf("Summarize: err %v, naive %v", err, werr)
		}
		if diff := gocmp.Diff(want, got, bitwise); diff != "" {
			t.Fatalf("Summarize (-naive +got):\n%s", diff)
		}
		wantH, werr := naiveSummarizeHoldout(slices.Values(txs), calEnd, &opt)
		gotH, err := SummarizeHoldout(slices.Values(txs), calEnd, &opt)
		if (err != nil) != (werr != nil) {
			t.Fatalf("SummarizeHoldout: err %v, naive %v", err, werr)
		}
		if diff := gocmp.Diff(wantH, gotH, bitwise); diff != "" {
			t.Fatalf("SummarizeHoldout (-naive +got):\n%s", diff)
		}
	})
}

// manyRows streams customers × days × perDay transactions, none stored: profile c buys
// perDay times on each of days days. order "time" yields them day by day, "backwards"
// from the last day to the first (every day after the first seen comes late), and
// "shuffled" in a fixed pseudo-random permutation.
func manyRows(customers, days, perDay int, order string) iter.Seq[Transaction] {
	start := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	n := customers * days * perDay
	// i ↦ (a·i + c) mod n is a permutation when a is prime to n.
	a := 1_000_003
	for gcd(a, n) != 1 {
		a += 2
	}
	return func(yield func(Transaction) bool) {
		for i := range n {
			j := i
			switch order {
			case "backwards":
				j = n - 1 - i
			case "shuffled":
				j = int((int64(a)*int64(i) + 12345) % int64(n))
			}
			d, rest := j/(customers*perDay), j%(customers*perDay)
			c, r := rest/perDay, rest%perDay
			tx := Transaction{
				Profile: uint32(c + 1),
				Time:    start.Add(time.Duration(7*d)*day + time.Duration(r)*time.Second),
				Amount:  float64(1+r%17) / 4,
			}
			if !yield(tx) {
				return
			}
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSummarizeMemoryGrowsWithPeriods: summarising 200,000 streamed rows that fall on
// 2,000 customer-days allocates in proportion to the customer-days, whatever the
// order the rows come in. The former collect held 16 bytes per row (3.2 MB here, twice
// that with the slices' growth) before collapsing them.
func TestSummarizeMemoryGrowsWithPeriods(t *testing.T) {
	const customers, days, perDay = 500, 4, 100
	end := SummaryOptions{End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}
	cal := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	// Per customer-day: a purchase (16 B) and its slice's growth; per customer, a map
	// entry and a Summary or Holdout; plus a constant.
	const budget = customers*days*128 + customers*256 + 64<<10
	for _, order := range []string{"time", "backwards", "shuffled"} {
		var sums []Summary
		var err error
		if b := allocated(func() { sums, err = Summarize(manyRows(customers, days, perDay, order), &end) }); b > budget {
			t.Errorf("Summarize, %s order: %d bytes allocated for %d customer-days (%d rows), want at most %d", order, b, customers*days, customers*days*perDay, budget)
		}
		if err != nil || len(sums) != customers || sums[0].Frequency != days-1 {
			t.Fatalf("Summarize, %s order: %d summaries, %v", order, len(sums), err)
		}
		var hs []Holdout
		if b := allocated(func() { hs, err = SummarizeHoldout(manyRows(customers, days, perDay, order), cal, &end) }); b > budget {
			t.Errorf("SummarizeHoldout, %s order: %d bytes allocated for %d customer-days (%d rows), want at most %d", order, b, customers*days, customers*days*perDay, budget)
		}
		if err != nil || len(hs) != customers || hs[0].HoldoutPurchases != days-2 {
			t.Fatalf("SummarizeHoldout, %s order: %d holdouts, %v", order, len(hs), err)
		}
	}
}

// BenchmarkSummarizeRows weighs Summarize against the naive collect-all baseline on a
// streamed million rows of 10,000 customers buying 20 times on each of 5 days, in time
// order and shuffled: rows/s and heap bytes allocated per row and per customer-day.
func BenchmarkSummarizeRows(b *testing.B) {
	const customers, days, perDay = 10_000, 5, 20
	const rows = customers * days * perDay
	end := SummaryOptions{End: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, order := range []string{"time", "shuffled"} {
		for _, impl := range []struct {
			name string
			f    func(iter.Seq[Transaction], *SummaryOptions) ([]Summary, error)
		}{{"streaming", Summarize}, {"naive", naiveSummarize}} {
			b.Run(order+"/"+impl.name, func(b *testing.B) {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for b.Loop() {
					if _, err := impl.f(manyRows(customers, days, perDay, order), &end); err != nil {
						b.Fatal(err)
					}
				}
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(rows)/float64(b.N), "B/row")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(customers*days)/float64(b.N), "B/customer-day")
			})
		}
	}
}
