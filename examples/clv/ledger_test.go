package main

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/scoring"
)

// TestLedgerSummariesAsRows: the summaries made from a ledger's days are the ones made
// from the rows it read, bit for bit, whatever the rows' order, times and zone: the
// report printed the same figures before it stopped holding the rows. The repeated rows
// it counts are the ones a comparison of every pair of rows finds.
func TestLedgerSummariesAsRows(t *testing.T) {
	zones := []string{"UTC", "America/New_York", "Pacific/Apia", "Asia/Kolkata", "Australia/Lord_Howe", "America/Havana"}
	rapid.Check(t, func(t *rapid.T) {
		loc, err := time.LoadLocation(rapid.SampledFrom(zones).Draw(t, "zone"))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2011, 3, 10, 0, 0, 0, 0, time.UTC) // DST changes of several zones follow
		keys := &scoring.Keys{}
		l := newLedger(loc)
		var rows []scoring.Transaction
		for range rapid.IntRange(1, 60).Draw(t, "rows") {
			p, _ := keys.Key(fmt.Sprint("c", rapid.IntRange(1, 5).Draw(t, "customer")))
			at := start.Add(time.Duration(rapid.IntRange(0, 40*24*4).Draw(t, "quarter hour")) * 15 * time.Minute)
			at = at.Add(time.Duration(rapid.IntRange(0, 1).Draw(t, "half second")) * time.Second / 2)
			// Tenths, whose sums depend on their order.
			tx := scoring.Transaction{Profile: p, Time: at, Amount: float64(rapid.IntRange(0, 30).Draw(t, "tenths")) / 10}
			rows = append(rows, tx)
			if err := l.add(tx, keys); err != nil {
				t.Fatal(err)
			}
		}
		first, last := rows[0].Time.In(loc), rows[0].Time.In(loc)
		for _, tx := range rows {
			first, last = minTime(first, tx.Time.In(loc)), maxTime(last, tx.Time.In(loc))
		}
		if l.rows != len(rows) || !l.first.Equal(first) || !l.last.Equal(last) || l.first.Location() != loc {
			t.Fatalf("ledger: %d rows from %v to %v, want %d from %v to %v", l.rows, l.first, l.last, len(rows), first, last)
		}
		// Rows the same as an earlier row: all of them, when no day has more distinct
		// rows than are kept.
		repeated := 0
		for i, tx := range rows {
			for _, e := range rows[:i] {
				if e.Profile == tx.Profile && e.Time.Equal(tx.Time) && e.Amount == tx.Amount {
					repeated++
					break
				}
			}
		}
		if r := l.repeats; r.n > repeated || (r.unchecked == 0 && r.n != repeated) {
			t.Fatalf("%d rows counted as repeats (%d unchecked), want %d", r.n, r.unchecked, repeated)
		}
		opt := scoring.SummaryOptions{End: last, Unit: 24 * time.Hour, Location: loc}
		want, err := scoring.Summarize(slices.Values(rows), &opt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.summaries(&opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Summarize of the days:\n%+v\nof the rows:\n%+v", got, want)
		}
		calEnd := first.Add(last.Sub(first) / 2)
		wantH, err := scoring.SummarizeHoldout(slices.Values(rows), calEnd, &opt)
		if err != nil {
			t.Fatal(err)
		}
		gotH, err := l.holdouts(calEnd, &opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotH, wantH) {
			t.Fatalf("SummarizeHoldout of the days:\n%+v\nof the rows:\n%+v", gotH, wantH)
		}
		// The tracking plot's days: each customer's distinct calendar days, in order.
		for p, ds := range l.days {
			var wantDays, gotDays []time.Time
			for _, tx := range rows {
				if tx.Profile == uint32(p+1) {
					wantDays = append(wantDays, civilDay(tx.Time, loc))
				}
			}
			slices.SortFunc(wantDays, time.Time.Compare)
			wantDays = slices.CompactFunc(wantDays, time.Time.Equal)
			for _, d := range ds {
				gotDays = append(gotDays, l.civil(d.day))
			}
			if !reflect.DeepEqual(gotDays, wantDays) {
				t.Fatalf("customer %d's days %v, want %v", p+1, gotDays, wantDays)
			}
		}
	})
}

// TestDayOverMaxAmount: a customer's day whose amounts add up to more than MaxAmount is
// refused naming the customer and the day, as Summarize would refuse the day's total
// naming only its index.
func TestDayOverMaxAmount(t *testing.T) {
	in := "c1,2025-01-01,10\nc1,2025-02-01,6e14\nc2,2025-02-01,1\nc1,2025-02-01,6e14\n"
	err := run(&bytes.Buffer{}, strings.NewReader(in), config{format: "csv", unit: 24 * time.Hour})
	if want := `customer "c1": the amounts of 2025-02-01 add up to more than 1e+15`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}
