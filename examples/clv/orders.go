package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/scoring"
)

// badOrder is a bad line of -order-column's: a row of an order read before with
// another time or amount, or a row without an order id. Under -lenient it is skipped
// and reported, as the reader's bad lines are.
type badOrder struct {
	error
	line int
}

// orders remembers the orders read, one entry per customer and order id (not per row),
// to tell an export's repeated row (the same customer, order id, time and amount:
// dropped) from a second row of an order that differs (a bad line) and from another
// order of the same day (summed into the day, as every order is).
//
// It is a plain map from the customer and the order id to the order's first row: 104
// to 167 bytes an order with ids of 9 bytes, by how full the map is. The key holds a
// copy of the id, not the field the reader yielded, so that no row is kept alive.
type orders struct {
	all     map[orderKey]order
	dropped int // rows that repeated their order exactly
	items   int // item rows of orders read before, without an amount (itemRow)
}

// orderKey is one customer's order id: the same id under another customer is another
// order.
type orderKey struct {
	profile uint32
	id      string
}

// order is the first row read of one order: what a later row of it must repeat to be
// dropped, and the line a conflict names.
type order struct {
	time   time.Time
	amount float64
	line   int
}

// maxOrderID is the longest order id kept: no order id is a kilobyte, and a field that
// long (a quoted field may run over many lines) is another column's, which would take
// the memory of the file.
const maxOrderID = 1 << 10

func newOrders() *orders {
	return &orders{all: map[orderKey]order{}}
}

// line returns the report's lines on the item rows skipped and the rows dropped as
// repeats of their order, or "" if there were none.
func (o *orders) line() string {
	if o == nil {
		return ""
	}
	items := ""
	if o.items > 0 {
		items = fmt.Sprintf("%s of orders already read (an order's later rows, without an amount, as an export with a row per item writes them) %s skipped: each order is read once, at its first row's total\n",
			english.Count(o.items, "item row"), english.Plural(o.items, "is", "are"))
	}
	if o.dropped == 0 {
		return items
	}
	return items + fmt.Sprintf("%s an earlier row of %s order exactly (same customer, order id, time and amount) and %s dropped as the export's %s\n",
		english.Plural(o.dropped, "1 row repeats", fmt.Sprintf("%d rows repeat", o.dropped)), english.Plural(o.dropped, "its", "their"),
		english.Plural(o.dropped, "is", "are"), english.Plural(o.dropped, "duplicate", "duplicates"))
}

// conflict is the error of a row of an order read before with another time or amount.
func conflict(e order, tx scoring.Transaction, id, customer string, line int, loc *time.Location) error {
	was := e.time.In(loc)
	return badOrder{fmt.Errorf("line %d: order %q of customer %q has another %s or amount than on line %d (%s and %g here, %s and %g there): the rows of one order must agree (does -order-column name the order id, and has the export one row an order?)",
		line, english.Name(id, 40), english.Name(customer, 40), timeWord(was), e.line,
		showTime(tx.Time.In(loc)), tx.Amount, showTime(was), e.amount), line}
}

// showTime is t as a date when it is a day's start, as in a file of dates, and with
// its clock otherwise.
func showTime(t time.Time) string {
	if dayStart(t) {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02 15:04:05.999999999 -07:00")
}

// timeWord is what a conflict calls t: a date when it is a day's start, as showTime
// shows it, a time otherwise.
func timeWord(t time.Time) string {
	if dayStart(t) {
		return "date"
	}
	return "time"
}

// dayStart reports whether t is midnight, to the nanosecond.
func dayStart(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

// orderID returns the order id of row, from column (counted from 0), trimmed. A row
// without that column, with an empty id or with one over maxOrderID bytes is a bad
// line. The id is read from the row the reader yielded with the transaction, so it is
// that row's, whatever the file holds: the reader splits the fields once.
func orderID(row scoring.Row, column int) (string, error) {
	if column >= len(row.Fields) {
		return "", badOrder{fmt.Errorf("line %d: no order id field (column %d of %d)", row.Line, column+1, len(row.Fields)), row.Line}
	}
	id := strings.TrimSpace(row.Fields[column])
	if id == "" {
		return "", badOrder{fmt.Errorf("line %d: empty order id (column %d)", row.Line, column+1), row.Line}
	}
	if len(id) > maxOrderID {
		return "", badOrder{fmt.Errorf("line %d: an order id of %d bytes (column %d), over %d: not an order id", row.Line, len(id), column+1, maxOrderID), row.Line}
	}
	return id, nil
}

// declined is the row without an amount that itemRow last refused, and why: read adds
// the reason to the reader's "empty amount" of that line.
type declined struct {
	line   int
	reason string
}

// itemRow is ReadOptions.EmptyAmount with -order-column. A row without an amount of an
// order its customer had read before, at the same time, is an item row of that order
// (a Shopify export has a row per item, the order's total on the order's first row
// alone): it is skipped and counted. Any other row without an amount stays a bad
// line, and why says for which reason. An item row before its order's row with the
// total is such a bad line: an export groups an order's rows, the total on the first,
// and remembering item rows until their order's total came would cost memory for
// rows that carry nothing; under -lenient it is skipped, and the order, read from its
// total's row, is the same.
func (l *ledger) itemRow(column, customerColumn int, keys *scoring.Keys, why *declined) func(scoring.Row) bool {
	return func(row scoring.Row) bool {
		refuse := func(format string, args ...any) bool {
			*why = declined{row.Line, fmt.Sprintf(format, args...)}
			return false
		}
		id, err := orderID(row, column)
		if err != nil {
			return refuse("no order id either (column %d), so it is no item row of an order read before", column+1)
		}
		customer := ""
		if customerColumn < len(row.Fields) {
			customer = strings.TrimSpace(row.Fields[customerColumn])
		}
		if row.Profile != 0 {
			customer, _ = keys.ID(row.Profile)
		}
		e, ok := l.orders.all[orderKey{row.Profile, id}]
		if row.Profile == 0 || !ok {
			return refuse("no earlier row of order %q of customer %q has its total: with -order-column a row without an amount is taken for an item row of an order read before, so an order's first row in the file must carry the order's total",
				english.Name(id, 40), english.Name(customer, 40))
		}
		if !e.time.Equal(row.Time) {
			was := e.time.In(l.loc)
			return refuse("order %q of customer %q has another %s on line %d (%s there, %s here): an item row of an order must agree with the order's first row",
				english.Name(id, 40), english.Name(customer, 40), timeWord(was), e.line, showTime(was), showTime(row.Time.In(l.loc)))
		}
		l.orders.items++
		return true
	}
}
