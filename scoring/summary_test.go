package scoring

import (
	"errors"
	"iter"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// cdnowReadOptions reads CDNOW_sample.txt: customer id, the dense id used by the
// published summary (our profile key), date, CDs, dollars.
var cdnowReadOptions = ReadOptions{Comma: ' ', ProfileColumn: 1, TimeColumn: 2, AmountColumn: 4, TimeLayout: "20060102"}

func cdnowTransactions(t testing.TB) []Transaction {
	t.Helper()
	f, err := os.Open("testdata/cdnow/CDNOW_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var txs []Transaction
	for tx, err := range ReadTransactions(f, &cdnowReadOptions) {
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	return txs
}

var cdnowCalibrationEnd = time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)

// TestSummarizeReproducesCDNOWSummary checks that our transaction-to-summary code gives
// the published weekly summary for every one of the 2,357 customers (to the two
// decimals printed in the file).
func TestSummarizeReproducesCDNOWSummary(t *testing.T) {
	txs := cdnowTransactions(t)
	if len(txs) != 6919 {
		t.Fatalf("read %d transactions, want 6919", len(txs))
	}
	got, err := Summarize(slices.Values(txs), &SummaryOptions{End: cdnowCalibrationEnd, Unit: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	want := loadCDNOW(t)
	if len(got) != len(want) {
		t.Fatalf("%d summaries, want %d", len(got), len(want))
	}
	// The file prints two decimals; a mean spend ending in half a cent may have been
	// rounded either way, so the tolerance is half a cent plus rounding error.
	near := func(a, b float64) bool { return math.Abs(a-b) <= 0.005+1e-9 }
	for i, w := range want {
		g := got[i]
		if int(g.Profile) != w.ID || g.Frequency != w.Frequency || !near(g.Recency, w.Recency) || !near(g.T, w.T) || !near(g.Monetary, w.Monetary) {
			t.Errorf("customer %d: got %d %+v, want %+v", w.ID, g.Profile, g.Customer, w.Customer)
		}
	}
}

func TestSplitCalibrationCDNOW(t *testing.T) {
	txs := cdnowTransactions(t)
	end := time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)
	splits, err := SummarizeHoldout(slices.Values(txs), cdnowCalibrationEnd, &SummaryOptions{End: end})
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 2357 {
		t.Fatalf("%d customers, want 2357 (all made their first purchase in 1997Q1)", len(splits))
	}
	want := loadCDNOW(t)
	var holdout int
	for i, s := range splits {
		if s.Customer.Frequency != want[i].Frequency || math.Abs(s.T-want[i].T) > 0.005 {
			t.Fatalf("customer %d: calibration %+v, want %+v", s.Profile, s.Customer, want[i].Customer)
		}
		holdout += s.HoldoutPurchases
		if math.Abs(s.HoldoutLength-273.0/7) > 1e-9 {
			t.Fatalf("holdout length %v weeks, want 39", s.HoldoutLength)
		}
	}
	// The distinct (customer, day) pairs after 1997-09-30 in CDNOW_sample.txt, counted
	// independently with awk '$3>19970930 {print $2,$3}' | sort -u | wc -l.
	if holdout != 1882 {
		t.Errorf("holdout purchases %d, want 1882", holdout)
	}
}

func tx(p uint32, day string, amount float64) Transaction {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	return Transaction{Profile: p, Time: t, Amount: amount}
}

func TestSummarizeCollapsesPeriods(t *testing.T) {
	txs := []Transaction{
		tx(7, "2025-01-01", 10),
		tx(7, "2025-01-01", 5), // same day as the first: one purchase of 15
		tx(7, "2025-01-08", 20),
		tx(7, "2025-01-08", 4),
		tx(7, "2025-01-15", 30),
		tx(7, "2025-03-01", 99), // after End: ignored
		tx(3, "2025-01-10", 8),
	}
	got, err := Summarize(slices.Values(txs), &SummaryOptions{End: time.Date(2025, 1, 29, 23, 0, 0, 0, time.UTC), Unit: day})
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{
		{Profile: 3, Customer: Customer{T: 19, Unit: day}, First: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), Spend: 8},
		{Profile: 7, Customer: Customer{Frequency: 2, Recency: 14, T: 28, Monetary: 27, Unit: day}, First: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Spend: 69},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Weekly periods from the Unix epoch (a Thursday): 1, 8 and 15 January 2025 are
	// in three different weeks, 29 January in a fourth.
	got, err = Summarize(slices.Values(txs), &SummaryOptions{End: time.Date(2025, 1, 29, 0, 0, 0, 0, time.UTC), Period: 7 * day, Unit: 7 * day})
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Frequency != 2 || got[1].Recency != 2 || got[1].T != 4 {
		t.Errorf("weekly periods: %+v", got[1].Customer)
	}
}

func TestSummarizeLocalCalendarDays(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 23:30 and 01:30 UTC on consecutive UTC days are the same New York evening.
	a := Transaction{Profile: 1, Time: time.Date(2025, 3, 9, 23, 30, 0, 0, time.UTC), Amount: 1}
	b := Transaction{Profile: 1, Time: time.Date(2025, 3, 10, 1, 30, 0, 0, time.UTC), Amount: 2}
	c := Transaction{Profile: 1, Time: time.Date(2025, 3, 12, 12, 0, 0, 0, time.UTC), Amount: 4}
	got, err := Summarize(slices.Values([]Transaction{a, b, c}), &SummaryOptions{End: time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC), Unit: day, Location: ny})
	if err != nil {
		t.Fatal(err)
	}
	if g := got[0]; g.Frequency != 1 || g.Recency != 3 || g.T != 11 || g.Spend != 7 {
		t.Errorf("got %+v", g)
	}
}

func TestSummarizeRejectsBadTransactions(t *testing.T) {
	end := SummaryOptions{End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}
	for name, bad := range map[string]Transaction{
		"profile 0":       tx(0, "2025-01-01", 1),
		"negative amount": tx(1, "2025-01-01", -1),
		"NaN amount":      tx(1, "2025-01-01", math.NaN()),
		"Inf amount":      tx(1, "2025-01-01", math.Inf(1)),
		// A missing timestamp made a customer acquired in year 1, T two thousand years.
		"zero time": {Profile: 2, Amount: 1},
	} {
		txs := []Transaction{tx(1, "2025-01-01", 1), bad}
		if _, err := Summarize(slices.Values(txs), &end); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if _, err := SummarizeHoldout(slices.Values(txs), end.End, &end); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: split err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Summarize(slices.Values([]Transaction{}), &SummaryOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing End: err = %v", err)
	}
	if _, err := SummarizeHoldout(slices.Values([]Transaction{}), end.End.AddDate(0, 0, 1), &end); !errors.Is(err, ErrInvalid) {
		t.Errorf("calibration after end: err = %v", err)
	}
}

// TestSummarizeRefusesHugeAmounts: an amount over MaxAmount is refused, naming the
// transaction, by Summarize, SummarizeHoldout and Customer.Validate (which every fit
// runs). Finite amounts of 1.7e308 added up to a Spend and a Monetary of +Inf, which a
// fit refused later as "customer 1980", naming no transaction; and a hand-built
// Customer with a Monetary of 1e300 ran Gamma-Gamma to a boundary and a CLV of +Inf.
func TestSummarizeRefusesHugeAmounts(t *testing.T) {
	opt := SummaryOptions{End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}
	for name, txs := range map[string][]Transaction{
		"one day":       {tx(1, "2025-01-01", 1), tx(9, "2025-01-02", 1.7e308), tx(9, "2025-01-02", 1.7e308)},
		"over by a bit": {tx(1, "2025-01-01", 1), tx(9, "2025-01-02", math.Nextafter(MaxAmount, math.Inf(1)))},
	} {
		want := "scoring: transaction 1 (profile 9): invalid input: amount"
		if _, err := Summarize(slices.Values(txs), &opt); !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "over MaxAmount") {
			t.Errorf("%s: err = %v, want %q... over MaxAmount", name, err, want)
		}
		if _, err := SummarizeHoldout(slices.Values(txs), time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), &opt); !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: split err = %v, want %q...", name, err, want)
		}
	}
	// MaxAmount itself is kept, and sums of it stay finite.
	txs := []Transaction{tx(9, "2025-01-01", MaxAmount), tx(9, "2025-01-03", MaxAmount)}
	got, err := Summarize(slices.Values(txs), &opt)
	if err != nil || len(got) != 1 || got[0].Spend != 2*MaxAmount || got[0].Monetary != MaxAmount {
		t.Errorf("two of MaxAmount: %+v, %v", got, err)
	}
	c := Customer{Frequency: 1, Recency: 1, T: 2, Monetary: MaxAmount}
	if err := c.Validate(); err != nil {
		t.Errorf("Monetary of MaxAmount: %v", err)
	}
	c.Monetary = 1e300
	if err := c.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "over MaxAmount") {
		t.Errorf("Monetary of 1e300: %v, want ErrInvalid over MaxAmount", err)
	}
}

// TestSummarizeProperties holds Summarize against a direct reference: distinct days
// per profile, in days, on random transactions.
func TestSummarizeProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		n := rapid.IntRange(0, 60).Draw(t, "n")
		var txs []Transaction
		for range n {
			txs = append(txs, Transaction{
				Profile: uint32(rapid.IntRange(1, 5).Draw(t, "profile")),
				Time:    start.Add(time.Duration(rapid.IntRange(0, 40*24*60).Draw(t, "minute")) * time.Minute),
				Amount:  float64(rapid.IntRange(0, 1000).Draw(t, "cents")) / 100,
			})
		}
		endDay := rapid.IntRange(0, 45).Draw(t, "end")
		end := start.AddDate(0, 0, endDay).Add(time.Hour)
		got, err := Summarize(slices.Values(txs), &SummaryOptions{End: end, Unit: day})
		if err != nil {
			t.Fatal(err)
		}
		// Reference: a map from profile to the set of day numbers and spends.
		days := map[uint32]map[int]float64{}
		for _, tx := range txs {
			d := int(tx.Time.Sub(start) / day)
			if d > endDay {
				continue
			}
			if days[tx.Profile] == nil {
				days[tx.Profile] = map[int]float64{}
			}
			days[tx.Profile][d] += tx.Amount
		}
		if len(got) != len(days) {
			t.Fatalf("%d summaries, want %d", len(got), len(days))
		}
		for _, s := range got {
			ds := slices.Sorted(mapsKeys(days[s.Profile]))
			first, last := ds[0], ds[len(ds)-1]
			var repeat float64
			for _, d := range ds[1:] {
				repeat += days[s.Profile][d]
			}
			want := Customer{Frequency: len(ds) - 1, Recency: float64(last - first), T: float64(endDay - first)}
			if want.Frequency > 0 {
				want.Monetary = repeat / float64(want.Frequency)
			}
			if s.Frequency != want.Frequency || s.Recency != want.Recency || s.T != want.T || math.Abs(s.Monetary-want.Monetary) > 1e-9 {
				t.Fatalf("profile %d: got %+v, want %+v", s.Profile, s.Customer, want)
			}
			if err := s.Customer.Validate(); err != nil {
				t.Fatalf("summary fails validation: %v", err)
			}
		}
	})
}

func mapsKeys[K comparable, V any](m map[K]V) iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
