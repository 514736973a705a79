package main

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/clientele-go/clientele/scoring"
)

// ledger is what the report needs of a file of transactions, kept as the rows are read:
// each customer's purchases by calendar day (in -tz), not the rows. Every figure the
// report prints comes from the days: Summarize collapses a customer's transactions of
// one day into one purchase whose amount is their sum, and the tracking plot counts
// days. Holding the rows took 1.9 GB for a 200 MB file of 7 million; the days take
// memory by customer-day.
type ledger struct {
	loc         *time.Location
	rows        int
	first, last time.Time    // the earliest and the latest row's time, in loc
	days        [][]dayTotal // by profile key - 1 (keys are dense), sorted by day
	repeats     repeats      // the rows that repeat an earlier row exactly, without orders
	orders      *orders      // with -order-column, the orders read; nil without
	skipped     int          // bad lines -lenient skipped
	dates       oddDates     // the purchases of unlikely years
}

// dayTotal is one customer's purchases on one calendar day.
type dayTotal struct {
	day    int32   // the calendar day in loc, counted from 1970-01-01
	sec    int32   // the first row's time, in seconds from the day's start in UTC (or subSecond)
	amount float64 // the day's amounts, summed in file order as Summarize sums them
}

// newLedger returns an empty ledger counting calendar days in loc.
func newLedger(loc *time.Location) *ledger {
	return &ledger{loc: loc, repeats: repeats{more: map[uint64][]rowKey{}}}
}

// add records one row read. It fails on a customer's day whose amounts add up to more
// than scoring.MaxAmount, which Summarize refuses as an amount: refused here, the error
// names the customer and the day rather than the index of a day's total.
func (l *ledger) add(tx scoring.Transaction, keys *scoring.Keys) error {
	t := tx.Time.In(l.loc)
	if l.rows == 0 {
		l.first, l.last = t, t
	}
	l.first, l.last = minTime(l.first, t), maxTime(l.last, t)
	l.rows++
	y, m, d := t.Date()
	day := int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	for int(tx.Profile) > len(l.days) {
		l.days = append(l.days, nil)
	}
	p := tx.Profile - 1
	ds := l.days[p]
	row := rowKey{at: tx.Time.Unix()*1e9 + int64(tx.Time.Nanosecond()), amount: tx.Amount}
	// An export is in date order, or in customer order and then by date: a row is
	// almost always of the customer's latest day so far, or of a later one.
	i, found := len(ds)-1, true
	if i < 0 || ds[i].day != day {
		i, found = slices.BinarySearchFunc(ds, day, func(t dayTotal, day int32) int { return cmp.Compare(t.day, day) })
	}
	if !found {
		var sec int32
		if l.orders == nil { // with order ids a repeated row is told by its order
			sec = l.repeats.first(tx.Profile, day, row)
		}
		l.days[p] = slices.Insert(ds, i, dayTotal{day: day, sec: sec, amount: tx.Amount})
		return nil
	}
	if ds[i].amount+tx.Amount > scoring.MaxAmount {
		id, _ := keys.ID(tx.Profile)
		return fmt.Errorf("customer %q: the amounts of %s add up to more than %g (scoring.MaxAmount): not money figures", id, t.Format(time.DateOnly), float64(scoring.MaxAmount))
	}
	if l.orders == nil {
		l.repeats.add(tx.Profile, ds[i], row)
	}
	ds[i].amount += tx.Amount
	return nil
}

// addOrder records one row read of order id, on line line, with -order-column: a row
// that repeats its order's first row exactly (time and amount) is dropped and counted,
// one that differs is a bad line naming both, and the first row of an order is added
// as add adds a row, another order of the same day summed into the day.
func (l *ledger) addOrder(tx scoring.Transaction, id string, line int, keys *scoring.Keys) error {
	if e, ok := l.orders.all[orderKey{tx.Profile, id}]; ok {
		if e.time.Equal(tx.Time) && e.amount == tx.Amount {
			l.orders.dropped++
			return nil
		}
		customer, _ := keys.ID(tx.Profile)
		return conflict(e, tx, id, customer, line, l.loc)
	}
	if err := l.add(tx, keys); err != nil {
		return err
	}
	// id is a substring of the row the reader yielded, whose fields share one string:
	// the clone keeps the id's bytes alone, not the row.
	l.orders.all[orderKey{tx.Profile, strings.Clone(id)}] = order{time: tx.Time, amount: tx.Amount, line: line}
	return nil
}

// customers is the number of customers with a purchase: every customer the reader
// met, but for one whose every row -lenient skipped as a bad line of -order-column's
// (the reader had given it a key).
func (l *ledger) customers() int {
	n := 0
	for _, ds := range l.days {
		if len(ds) > 0 {
			n++
		}
	}
	return n
}

// civil returns the start of calendar day day in loc, as civilDay returns it for a time
// of that day.
func (l *ledger) civil(day int32) time.Time {
	y, m, d := time.Unix(int64(day)*86400, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, l.loc)
}

// summaries returns Summarize's summaries of the customers, in profile order as
// Summarize sorts them, asking it for one customer at a time: a customer's summary is
// made of its own purchases alone, and Summarize, which groups its input by customer,
// held a second copy of every customer's days beside the ledger's (the run's peak).
func (l *ledger) summaries(opt *scoring.SummaryOptions) ([]scoring.Summary, error) {
	out := make([]scoring.Summary, 0, len(l.days))
	for p := range l.days {
		s, err := scoring.Summarize(l.purchases(p), opt)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// holdouts returns SummarizeHoldout's summaries of the customers, one customer at a
// time, as summaries does.
func (l *ledger) holdouts(calibrationEnd time.Time, opt *scoring.SummaryOptions) ([]scoring.Holdout, error) {
	var out []scoring.Holdout
	for p := range l.days {
		h, err := scoring.SummarizeHoldout(l.purchases(p), calibrationEnd, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, h...)
	}
	return out, nil
}

// purchases yields one transaction a day of customer p's (profile key p+1), in order:
// the day's total at noon of that day in loc (midnight may not exist on the day clocks
// go forward). Of these Summarize and SummarizeHoldout make what they made of the rows,
// as they collapse a day's rows into one purchase of their sum: the sum is the same
// one, added in the same order.
func (l *ledger) purchases(p int) iter.Seq[scoring.Transaction] {
	return func(yield func(scoring.Transaction) bool) {
		for _, d := range l.days[p] {
			y, m, dd := time.Unix(int64(d.day)*86400, 0).UTC().Date()
			tx := scoring.Transaction{Profile: uint32(p + 1), Time: time.Date(y, m, dd, 12, 0, 0, 0, l.loc), Amount: d.amount}
			if !yield(tx) {
				return
			}
		}
	}
}
