package main

import (
	"fmt"
	"hash/maphash"
	"math"
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
// An order is a 40-byte entry in a slice, found through a map from a 64-bit hash of
// the customer and the order id to its index (12 bytes a slot), with the id's bytes
// back to back in one slice: 80 to 92 bytes an order with ids of 9 bytes, by how full
// the map and the slices are. Nothing of it holds a pointer, so the garbage collector does
// not scan it. The hash only finds the entry to compare: an entry holds the customer
// and where its id's bytes are, which are compared exactly, so distinct orders whose
// hashes collide are two entries (the later ones listed in more), never one. The hash
// is maphash's, seeded at random per run, so that no file can be made to collide on
// purpose; a collision costs a comparison, not a wrong answer.
type orders struct {
	hash    func(profile uint32, id string) uint64 // a weak one in tests, to collide
	index   map[uint64]uint32                      // by hash: the first order of the hash, in all
	more    map[uint64][]uint32                    // the later orders of a hash already taken
	all     []order
	ids     []byte // every order id kept, back to back
	dropped int    // rows that repeated their order exactly
}

// order is the first row read of one order.
type order struct {
	sec     int64   // the row's time, seconds since 1970
	amount  float64 // the row's amount
	line    int     // the row's line
	id      uint64  // where its id is in ids: offset<<idBits | length
	profile uint32
	nsec    int32
}

// idBits is the bits of order.id that hold the id's length, and maxOrderID the longest
// id kept: no order id is a kilobyte, and a field that long (a quoted field may run
// over many lines) is another column's, which would take the memory of the file.
const (
	idBits     = 20
	maxOrderID = 1 << 10
)

func newOrders() *orders {
	seed := maphash.MakeSeed()
	return &orders{
		hash: func(profile uint32, id string) uint64 {
			var h maphash.Hash
			h.SetSeed(seed)
			h.Write([]byte{byte(profile), byte(profile >> 8), byte(profile >> 16), byte(profile >> 24)})
			h.WriteString(id)
			return h.Sum64()
		},
		index: map[uint64]uint32{},
		more:  map[uint64][]uint32{},
	}
}

// find returns the order of profile with id read so far, if any, h being their hash.
func (o *orders) find(h uint64, profile uint32, id string) (order, bool) {
	i, ok := o.index[h]
	if !ok {
		return order{}, false
	}
	if o.is(o.all[i], profile, id) {
		return o.all[i], true
	}
	for _, i := range o.more[h] {
		if o.is(o.all[i], profile, id) {
			return o.all[i], true
		}
	}
	return order{}, false
}

// is reports whether e is profile's order id: the comparison that makes a hash's
// collision harmless.
func (o *orders) is(e order, profile uint32, id string) bool {
	off, n := e.id>>idBits, e.id&(1<<idBits-1)
	return e.profile == profile && string(o.ids[off:off+n]) == id
}

// keep remembers a new order, h being its hash. It fails past 2^32-1 orders, which
// no machine this runs on holds (they would take over 270 GB).
func (o *orders) keep(h uint64, tx scoring.Transaction, id string, line int) error {
	if len(o.all) == math.MaxUint32 {
		return fmt.Errorf("line %d: more than %d orders", line, uint32(math.MaxUint32))
	}
	i := uint32(len(o.all))
	o.all = append(o.all, order{sec: tx.Time.Unix(), nsec: int32(tx.Time.Nanosecond()), amount: tx.Amount, line: line,
		id: uint64(len(o.ids))<<idBits | uint64(len(id)), profile: tx.Profile})
	o.ids = append(o.ids, id...)
	if _, ok := o.index[h]; !ok {
		o.index[h] = i
		return nil
	}
	o.more[h] = append(o.more[h], i)
	return nil
}

// line returns the report's line on the rows dropped as repeats of their order, or ""
// if there were none.
func (o *orders) line() string {
	if o == nil || o.dropped == 0 {
		return ""
	}
	return fmt.Sprintf("%s an earlier row of %s order exactly (same customer, order id, time and amount) and %s dropped as the export's %s\n",
		english.Plural(o.dropped, "1 row repeats", fmt.Sprintf("%d rows repeat", o.dropped)), english.Plural(o.dropped, "its", "their"),
		english.Plural(o.dropped, "is", "are"), english.Plural(o.dropped, "duplicate", "duplicates"))
}

// conflict is the error of a row of an order read before with another time or amount.
func conflict(e order, tx scoring.Transaction, id, customer string, line int, loc *time.Location) error {
	was := time.Unix(e.sec, int64(e.nsec)).In(loc)
	return badOrder{fmt.Errorf("line %d: order %q of customer %q has another %s or amount than on line %d (%s and %g here, %s and %g there): the rows of one order must agree (does -order-column name the order id, and has the export one row an order?)",
		line, english.Name(id, 40), english.Name(customer, 40), timeWord(was), e.line,
		showTime(tx.Time.In(loc)), tx.Amount, showTime(was), e.amount), line}
}

// showTime is t as a date when it is a day's start, as in a file of dates, and with
// its clock otherwise.
func showTime(t time.Time) string {
	if h, m, s := t.Clock(); h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02 15:04:05.999999999 -07:00")
}

func timeWord(t time.Time) string {
	if h, m, s := t.Clock(); h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0 {
		return "date"
	}
	return "time"
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
