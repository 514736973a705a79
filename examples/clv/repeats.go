package main

import (
	"fmt"
	"slices"

	"github.com/clientele-go/clientele/internal/english"
)

// maxDayRows is the most rows of one customer's day that later rows of the day are
// compared with, so that a file of endless rows of one customer's day keeps no more of
// them. A day of a real shop has a few.
const maxDayRows = 16

// rowKey is what makes two rows the same: the instant, in nanoseconds since 1970 (mod
// 2^64, which keeps the instants of one day apart), and the amount.
type rowKey struct {
	at     int64
	amount float64
}

// subSecond marks a dayTotal whose first row's time has a fraction of a second, which
// its sec does not hold: that row's key is in repeats.more from the start.
const subSecond = -1 << 31

// repeats counts the rows that repeat an earlier row exactly: same customer, same
// instant, same amount. Without an order id such a row may be a second basket of the
// same price bought at the same time (a daily date is the same time all day) or an
// export's duplicate: the report adds it to the day's purchase, as Summarize adds up a
// day, and says how many there were. Only rows of one customer's day can be the same,
// so a row is compared with its day's rows alone, and the rows of a day are kept only
// once it has a second one: a day of one row is its dayTotal, whose amount is the row's
// and whose sec is the row's time. The count is exact unless a day has more than
// maxDayRows distinct rows, past which rows are compared but not kept.
type repeats struct {
	more      map[uint64][]rowKey // the distinct rows of the days with more than one
	n         int                 // rows equal to an earlier one
	unchecked int                 // rows of days past maxDayRows, not kept
}

// dayKey names one customer's day in repeats.more.
func dayKey(profile uint32, day int32) uint64 {
	return uint64(profile)<<32 | uint64(uint32(day))
}

// first records the first row of a day; it returns the sec to keep in its dayTotal.
func (r *repeats) first(profile uint32, day int32, row rowKey) int32 {
	sec := row.at/1e9 - int64(day)*86400 // within a day or two of the day's UTC start
	if row.at%1e9 != 0 || sec != int64(int32(sec)) || sec == subSecond {
		r.more[dayKey(profile, day)] = []rowKey{row}
		return subSecond
	}
	return int32(sec)
}

// add compares a further row of a day with the day's earlier rows, d being the day
// before the row is added to it.
func (r *repeats) add(profile uint32, d dayTotal, row rowKey) {
	k := dayKey(profile, d.day)
	rows, ok := r.more[k]
	if !ok {
		// The day's one row so far: its time is the day's sec, its amount the day's.
		rows = []rowKey{{at: (int64(d.day)*86400 + int64(d.sec)) * 1e9, amount: d.amount}}
	}
	switch {
	case slices.Contains(rows, row):
		r.n++
	case len(rows) >= maxDayRows:
		r.unchecked++
	default:
		rows = append(rows, row)
	}
	r.more[k] = rows
}

// line returns the report's line on the repeated rows, or "" if there were none.
func (r *repeats) line() string {
	if r.n == 0 {
		return ""
	}
	atLeast := ""
	if r.unchecked > 0 {
		atLeast = "at least "
	}
	return fmt.Sprintf("%s%s an earlier row exactly (same customer, time and amount) and %s added to that day's purchase as another order; if the export repeated %s, remove the repeats and run again\n",
		atLeast, english.Plural(r.n, "1 row repeats", fmt.Sprintf("%d rows repeat", r.n)), english.Plural(r.n, "is", "are"), english.Plural(r.n, "it", "them"))
}
