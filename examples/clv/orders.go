package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strings"
	"time"

	"github.com/clientele-go/clientele/internal/bom"
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

// split lets two readers read one stream, each from its own position: the scoring
// reader, which parses the rows, and orderIDs, which finds each row's order id and
// line, neither of which a scoring.Transaction carries. It holds the bytes read by one
// and not yet by the other: orderIDs reads a row once the scoring reader has yielded
// it, so that is at most the scoring reader's read-ahead and the row.
type split struct {
	src  io.Reader
	err  error  // src's error, once it returned one
	buf  []byte // src's bytes from base on, from buf[head:]: those the reader behind has not read
	head int
	base int64
	at   [2]int64 // each reader's position in src
}

// cursor is one of split's readers.
type cursor struct {
	s *split
	i int
}

func (c cursor) Read(p []byte) (int, error) {
	s := c.s
	if s.at[c.i] == s.base+int64(len(s.buf)-s.head) {
		// Ahead of the other reader: read on from src, keeping the bytes for it.
		if s.err != nil {
			return 0, s.err
		}
		n, err := s.src.Read(p)
		s.buf = append(s.buf, p[:n]...)
		s.err = err
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.head+int(s.at[c.i]-s.base):])
	s.at[c.i] += int64(n)
	// Drop what both have read, reusing the buffer once both have read all of it.
	if low := min(s.at[0], s.at[1]); low > s.base {
		s.head += int(low - s.base)
		s.base = low
		if s.head == len(s.buf) {
			s.buf, s.head = s.buf[:0], 0
		} else if s.head > len(s.buf)/2 {
			s.buf = s.buf[:copy(s.buf, s.buf[s.head:])]
			s.head = 0
		}
	}
	return n, nil
}

// orderIDs reads the order id column of the rows the scoring reader reads, splitting
// the same bytes the same way (encoding/csv with the same separator, or runs of blanks
// for -comma ' '), skipping the same blank lines and header, so that its n-th row is
// the one the reader's n-th yield came from.
type orderIDs struct {
	column int
	header bool // the first row is a header, skipped by both
	first  bool // no row read yet
	space  bool // -comma ' ': runs of spaces and tabs, as scoring's spaceRecords splits
	cr     *csv.Reader
	sc     *bufio.Scanner
	line   int // lines scanned, with space
	behind int // rows the reader yielded as bad lines, not yet read here
}

func newOrderIDs(r io.Reader, column int, opt scoring.ReadOptions) *orderIDs {
	o := &orderIDs{column: column, header: opt.Header, first: true, space: opt.Comma == ' '}
	r = bom.Skip(r)
	if o.space {
		o.sc = bufio.NewScanner(r)
		o.sc.Buffer(make([]byte, 4<<10), 1<<20) // the reader's maxLine: a longer line stopped it first
	} else {
		o.cr = csv.NewReader(r)
		o.cr.Comma = opt.Comma
		o.cr.FieldsPerRecord = -1
	}
	return o
}

// next returns the fields and the line of the next row the scoring reader yielded
// (a transaction or a bad line's error), nil fields for a row that did not split
// into fields.
func (o *orderIDs) next() ([]string, int, error) {
	// The rows of bad lines are read only now, when a later row is wanted: the reader
	// may have stopped on its last bad line (one too long), which is not read at all.
	for ; o.behind > 0; o.behind-- {
		if _, _, err := o.row1(); err != nil {
			return nil, 0, err
		}
	}
	return o.row1()
}

// row1 reads the next row that is not blank nor the header.
func (o *orderIDs) row1() ([]string, int, error) {
	for {
		fields, line, ok, err := o.row()
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			continue // blank
		}
		header := o.first && o.header && fields != nil
		o.first = false
		if header {
			continue
		}
		return fields, line, nil
	}
}

// row reads one row: ok is false for a blank one, which the reader skips.
func (o *orderIDs) row() (fields []string, line int, ok bool, err error) {
	if o.space {
		if !o.sc.Scan() {
			if err := o.sc.Err(); err != nil {
				return nil, 0, false, err
			}
			return nil, 0, false, io.ErrUnexpectedEOF
		}
		o.line++
		fields = strings.FieldsFunc(o.sc.Text(), func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f'
		})
		return fields, o.line, len(fields) > 0, nil
	}
	fields, err = o.cr.Read()
	if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
		return nil, pe.StartLine, true, nil
	}
	if err == io.EOF {
		return nil, 0, false, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, 0, false, err
	}
	line, _ = o.cr.FieldPos(0)
	if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
		return nil, line, false, nil
	}
	return fields, line, true, nil
}

// orderOf returns the order id of the row the reader yielded as tx, and its line. A
// row without the order id column or with an empty one is a bad line. The row's
// customer is checked against tx's, so that a row read out of step with the reader is
// an error rather than another row's order id.
func (o *orderIDs) orderOf(tx scoring.Transaction, opt scoring.ReadOptions, keys *scoring.Keys) (string, int, error) {
	fields, line, err := o.next()
	if err != nil {
		return "", 0, fmt.Errorf("reading the order ids: %w", err)
	}
	id, _ := keys.ID(tx.Profile)
	if opt.ProfileColumn >= len(fields) || strings.TrimSpace(fields[opt.ProfileColumn]) != id {
		// A bug, not the file's: the two readers split the file alike.
		return "", 0, fmt.Errorf("line %d: the order ids are read out of step with the rows (customer %q, not %q)", line, fieldOr(fields, opt.ProfileColumn), id)
	}
	if o.column >= len(fields) {
		return "", line, badOrder{fmt.Errorf("line %d: no order id field (column %d of %d)", line, o.column+1, len(fields)), line}
	}
	order := strings.TrimSpace(fields[o.column])
	if order == "" {
		return "", line, badOrder{fmt.Errorf("line %d: empty order id (column %d)", line, o.column+1), line}
	}
	if len(order) > maxOrderID {
		return "", line, badOrder{fmt.Errorf("line %d: an order id of %d bytes (column %d), over %d: not an order id", line, len(order), o.column+1, maxOrderID), line}
	}
	return order, line, nil
}

func fieldOr(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}
