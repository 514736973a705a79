package scoring

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele-go/clientele/internal/amount"
	"github.com/clientele-go/clientele/internal/bom"
	"github.com/clientele-go/clientele/internal/longline"
)

// ReadOptions describe a file of transactions, one per line. The zero value reads
// comma-separated "profile,date,amount" lines with dates as 2006-01-02 in UTC.
type ReadOptions struct {
	// Comma is the field separator [',']. Fields may then be quoted as in RFC 4180.
	// A space means runs of spaces and tabs, as in the CDNOW sample. An amount with a
	// decimal comma is one field when quoted ("12,50") or when the separator is not a
	// comma (';', as European exports write).
	Comma rune
	// Header says that the first line names the columns and is skipped.
	Header bool
	// Columns of the profile key, the time and the amount, counted from 0 [0, 1, 2].
	// Set all three when any is set.
	ProfileColumn, TimeColumn, AmountColumn int
	// TimeLayout is the layout of the time column, as for time.Parse
	// [time.DateOnly, "2006-01-02"].
	TimeLayout string
	// Location is the time zone of times without one [UTC].
	Location *time.Location
	// Keys, if non-nil, accepts any non-empty string as a customer id (an order
	// export's "c0", an email, a UUID): each distinct id gets the next profile key
	// in Keys, in order of first appearance, and the transaction carries that key.
	// Keys already holding ids (from another file) keep them. If nil, ids must be
	// decimal profile keys in 1..4294967295.
	Keys *Keys
	// Lenient skips bad lines instead of stopping at the first: each is still
	// yielded as an error (line and column), up to MaxBadLines of them, and the good
	// lines are yielded as usual. Past MaxBadLines the reader stops with an error
	// that says so, as a file that bad is probably read with the wrong options.
	Lenient bool
	// EmptyAmount, if non-nil, is asked about each row whose amount field is blank,
	// which is otherwise a bad line ("empty amount"): an order export with a row per
	// item of an order (Shopify's) leaves the order's total, with its other order-level
	// columns, empty on the order's later rows, and a caller that reads the order id
	// from the row's Fields can tell such a row from a purchase without its amount. The
	// Row holds the row's Line, Fields and Time, and as Profile the customer's key: with
	// Keys the id's if it has one already, else 0, as a row without an amount gives no
	// customer a key; without Keys the id read as a key, or 0. A row it returns true for
	// is skipped as a blank line is, neither yielded nor counted as a bad line; one it
	// returns false for is the bad line it was. The time is read first: a row without a
	// time, or with a bad one, is a bad line without being asked about.
	EmptyAmount func(Row) bool
}

// MaxBadLines is the most bad lines a Lenient read reports before it stops.
const MaxBadLines = 100

// MaxAmount is the largest amount ReadTransactions and Summarize accept, and the largest
// mean spend (Customer.Monetary) a model fits or predicts from, over a thousand times the
// yearly revenue of the largest company in dollars: past it an amount is no money
// figure but a mistake (an exponent that should not be there, a column of long
// numeric ids read as the amounts). It keeps the sums the models take finite: amounts
// of 1e300 were read without complaint, and their sums overflowed to +Inf, or a fit ran
// off to a boundary and printed a CLV of +Inf, with no error naming the line.
const MaxAmount = amount.Max // 1e15, shared with referral/attribution

// Keys maps external customer ids to dense profile keys 1, 2, 3, ... in order of first
// appearance (ReadOptions.Keys). The zero value is empty and ready to use; a nil *Keys
// is empty and refuses new ids (ErrInvalid). A Keys is not safe for concurrent use.
type Keys struct {
	ids   []string
	index map[string]uint32
}

// Key returns id's profile key, assigning the next one if id is new. It fails on an
// empty id and when all 4294967295 keys are taken; the error wraps ErrInvalid.
func (k *Keys) Key(id string) (uint32, error) {
	if k == nil {
		return 0, fmt.Errorf("%w: nil Keys (its zero value is ready to use)", ErrInvalid)
	}
	if key, ok := k.index[id]; ok {
		return key, nil
	}
	if id == "" {
		return 0, fmt.Errorf("%w: empty customer id", ErrInvalid)
	}
	if len(k.ids) >= math.MaxUint32 {
		return 0, fmt.Errorf("%w: more than %d customer ids", ErrInvalid, uint32(math.MaxUint32))
	}
	if k.index == nil {
		k.index = map[string]uint32{}
	}
	// A copy: the reader's id is a substring of its whole row, which a Keys kept for
	// the rest of a read (or longer) would hold in memory with each customer's first row.
	id = strings.Clone(id)
	k.ids = append(k.ids, id)
	key := uint32(len(k.ids))
	k.index[id] = key
	return key, nil
}

// ID returns the id that was given key, and false if none was.
func (k *Keys) ID(key uint32) (string, bool) {
	if k == nil {
		return "", false
	}
	if key == 0 || int(key) > len(k.ids) {
		return "", false
	}
	return k.ids[key-1], true
}

// Len returns the number of ids.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.ids)
}

// maxLine bounds a line's length so that a file without newlines cannot exhaust memory.
const maxLine = 1 << 20

// ReadTransactions parses transactions from r, one per line, and yields them in file
// order. Customer ids are any non-empty string mapped to keys by opt.Keys, or without
// Keys decimal uint32 profile keys (leading zeros allowed, 0 rejected).
//
// Amounts are decimal digits with a decimal point ("12.50", "12", ".5"), or with a
// decimal comma where it cannot be a thousands separator (one comma, no point, one or
// two digits after it: "12,50", "12,5"), the rule the SDK's readers share; a '+' and an
// exponent ("+5", "1e3") are read too, as they always were. They must be non-negative
// and at most MaxAmount. A comma that may be a thousands separator ("1,234",
// "1,299.00", "1.234,50"), a currency sign, NaN and Inf are refused, with how to write
// the amount. In a comma-separated file a decimal comma must be quoted ("12,50"): a row
// where an unquoted one split the amount into two fields (12 and 50) is refused when it
// has more fields than the header, or without Header than the first row, rather than
// read as 12. A file without a header whose every row is split cannot be told from one
// with a further column, and reads the whole part: set Header.
//
// Blank lines and a UTF-8 byte order mark are skipped, the mark at the start of the file
// or of a row's first field, quoted or not (files each with one, joined with cat). A bad line
// (a row with a bare or unbalanced quote among them, and a row with more fields than the
// first row where a field past that width is not blank: a value split by an unquoted
// separator) yields an error wrapping ErrSyntax that names the line and column
// (1-based); the reader then stops, or with opt.Lenient goes on to the next line; after
// MaxBadLines bad lines a Lenient read stops with an error wrapping ErrTooManyBad. A
// line too long or an unreadable stream always stops it.
//
// ReadRows reads the same rows, and adds to each its line and fields.
func ReadTransactions(r io.Reader, opts *ReadOptions) iter.Seq2[Transaction, error] {
	rows := ReadRows(r, opts)
	return func(yield func(Transaction, error) bool) {
		for row, err := range rows {
			if !yield(row.Transaction, err) {
				return
			}
		}
	}
}

// Row is a transaction as ReadRows read it, with the line its row starts on and the
// row's fields: what a caller needs to read a column of its own beside the
// transaction (an order id, a channel) and to name the line in its own errors, which
// a second parser of the same bytes could only do by agreeing with this one forever.
type Row struct {
	Transaction
	// Line is the 1-based line the row starts on; a quoted field may run on over
	// further lines.
	Line int
	// Fields are the row's fields as split, quotes removed and not trimmed (the
	// reader trims the ones it reads itself). The slice belongs to the reader and
	// may be reused for a later row: copy it to keep it past the next row. The
	// strings in it are never changed and may be kept.
	Fields []string
}

// ReadRows reads r as ReadTransactions does, yielding the same transactions and
// errors in the same order, each transaction as a Row that also carries its line and
// fields. With an error, the Row is zero but for Line, the line the bad row starts
// on, which is 0 when the error is not a row's (bad options, a line too long, a read
// error).
func ReadRows(r io.Reader, opts *ReadOptions) iter.Seq2[Row, error] {
	var opt ReadOptions
	if opts != nil {
		opt = *opts
	}
	o := opt
	if o.Comma == 0 {
		o.Comma = ','
	}
	if o.TimeLayout == "" {
		o.TimeLayout = time.DateOnly
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.ProfileColumn == 0 && o.TimeColumn == 0 && o.AmountColumn == 0 {
		o.TimeColumn, o.AmountColumn = 1, 2
	}
	return func(yield func(Row, error) bool) {
		if err := o.check(); err != nil {
			yield(Row{}, err)
			return
		}
		// A byte order mark (Excel's "CSV UTF-8") would be part of the first field; one
		// before a later row's quoted first field (files joined with cat) made the row
		// a bare quote: bom.Rows moves it into the field, where bom.Field drops it.
		var records iter.Seq2[record, error]
		if o.Comma == ' ' {
			records = spaceRecords(bom.Skip(r))
		} else {
			records = csvRecords(bom.Rows(r, o.Comma, 0), o.Comma)
		}
		first := true
		bad := 0
		var width widthOf // the first row's, header or not
		for rec, err := range records {
			if err != nil {
				yield(Row{}, err)
				return
			}
			if width.fields == 0 && rec.err == nil {
				width = widthOf{line: rec.line, fields: len(rec.fields)}
			}
			if first && o.Header && rec.err == nil {
				first = false
				continue
			}
			first = false
			var tx Transaction
			err := rec.err
			if err == nil {
				err = o.splitComma(&rec, width.fields)
			}
			if err == nil {
				tx, err = o.parse(&rec, width)
			}
			if err == nil {
				if !yield(Row{Transaction: tx, Line: rec.line, Fields: rec.fields}, nil) {
					return
				}
				continue
			}
			if err == errSkipRow { // EmptyAmount's
				continue
			}
			if bad++; bad > MaxBadLines {
				yield(Row{Line: rec.line}, fmt.Errorf("%w: line %d: more than %d, stopping (wrong separator, columns or layout?)", ErrTooManyBad, rec.line, MaxBadLines))
				return
			}
			if !yield(Row{Line: rec.line}, err) || !o.Lenient {
				return
			}
		}
	}
}

func (o ReadOptions) check() error {
	if o.ProfileColumn < 0 || o.TimeColumn < 0 || o.AmountColumn < 0 {
		return fmt.Errorf("%w: negative column in ReadOptions", ErrInvalid)
	}
	if o.ProfileColumn == o.TimeColumn || o.ProfileColumn == o.AmountColumn || o.TimeColumn == o.AmountColumn {
		return fmt.Errorf("%w: ReadOptions columns %d, %d, %d must differ", ErrInvalid, o.ProfileColumn, o.TimeColumn, o.AmountColumn)
	}
	if o.Comma == '\n' || o.Comma == '\r' || o.Comma == '"' || o.Comma == 0xFFFD {
		return fmt.Errorf("%w: separator %q", ErrInvalid, o.Comma)
	}
	return nil
}

// record is one row's fields with the 1-based line and column each starts at. A
// quoted field may span lines, so the fields of one row need not share a line.
type record struct {
	line   int // where the row starts
	fields []string
	lines  []int
	cols   []int
	err    error // a row that could not be split into fields (a bare quote), ErrSyntax
}

func (rec *record) field(i int, name string) (string, error) {
	if i >= len(rec.fields) {
		line, col := rec.line, 1
		if n := len(rec.cols); n > 0 {
			line, col = rec.lines[n-1], rec.cols[n-1]+len(rec.fields[n-1])
		}
		return "", fmt.Errorf("%w: line %d, column %d: no %s field (column %d of %d)", ErrSyntax, line, col, name, i+1, len(rec.fields))
	}
	return rec.fields[i], nil
}

func (rec *record) fail(i int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d, column %d: %s", ErrSyntax, rec.lines[i], rec.cols[i], fmt.Sprintf(format, args...))
}

// widthOf is the number of fields of a file's first row and the line it is on.
type widthOf struct {
	line, fields int
}

// wider returns an error for a row with more fields than the first row where a field
// past that width holds something: a value holding the separator that was not quoted
// (a decimal comma, 12,50, split in two), which left the columns it shifted readable
// and the amount or the id short of its end. A trailing empty field, a separator at
// the end of a row, changes no value and passes.
func (o *ReadOptions) wider(rec *record, w widthOf) error {
	if w.fields == 0 || rec.line == w.line || len(rec.fields) <= w.fields {
		return nil
	}
	for i := w.fields; i < len(rec.fields); i++ {
		if strings.TrimSpace(rec.fields[i]) == "" {
			continue
		}
		hint := ""
		if o.Comma == ',' {
			hint = ` (a decimal comma: quote it, "12,50", or write 12.50)`
		}
		return rec.fail(i, "%d fields where line %d has %d: quote a value that holds the separator %q%s", len(rec.fields), w.line, w.fields, o.Comma, hint)
	}
	return nil
}

// splitComma refuses a comma-separated row whose amount an unquoted decimal comma split
// in two fields, "12,50" read as "12" and "50": the row has more fields than width (the
// header's, or the first row's), the amount field is digits and the next is one or two
// digits, right after it with no quotes between. Read on, it was the amount 12, without
// a word. Checked before the other fields, as a split amount before the time moves the
// time out of its column too.
func (o *ReadOptions) splitComma(rec *record, width int) error {
	a := o.AmountColumn
	if o.Comma != ',' || width == 0 || len(rec.fields) <= width || a+1 >= len(rec.fields) {
		return nil
	}
	whole, frac := strings.TrimLeft(rec.fields[a], " "), rec.fields[a+1]
	if whole == "" || strings.Trim(whole, "0123456789") != "" || len(frac) < 1 || len(frac) > 2 || strings.Trim(frac, "0123456789") != "" {
		return nil
	}
	// A quoted field starts at its quote, so an unquoted pair is the two fields' text
	// with one comma between.
	if rec.lines[a] != rec.lines[a+1] || rec.cols[a]+len(rec.fields[a])+1 != rec.cols[a+1] {
		return nil
	}
	of := "the first row"
	if o.Header {
		of = "the header"
	}
	return rec.fail(a, "amount %s,%s is split in two fields by the separator ',' (this row has %d fields, %s %d): "+
		"quote it, \"%s,%s\", or separate the fields with ';' and set ReadOptions.Comma", whole, frac, len(rec.fields), of, width, whole, frac)
}

// parse and the functions it calls take the options and the record by pointer: by
// value they were copied at each call, several times a row.
func (o *ReadOptions) parse(rec *record, w widthOf) (Transaction, error) {
	var tx Transaction
	id, err := rec.field(o.ProfileColumn, "profile")
	if err != nil {
		return tx, err
	}
	s, err := rec.field(o.TimeColumn, "time")
	if err != nil {
		return tx, err
	}
	ts := strings.TrimSpace(s)
	if ts == "" {
		// Said as such: "time \"\" does not match layout" sent readers of an export with
		// unpaid orders (no payment date) looking for a layout that reads nothing.
		return tx, rec.fail(o.TimeColumn, "empty time")
	}
	if tx.Time, err = parseTime(o.TimeLayout, ts, o.Location); err != nil {
		// A value of the layout's shape that names no instant (February 29th of 2025)
		// gets the reason, not the suggestion that the layout is wrong.
		// A value that goes on past the layout ("2025-01-01T10:00:00Z" read as a date)
		// is of another form: time.Parse's "extra text" is not a reason of that kind.
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" && !strings.HasPrefix(pe.Message, ": extra text") {
			return tx, rec.fail(o.TimeColumn, "time %q has layout %q's form but is no date%s", s, o.TimeLayout, pe.Message)
		}
		return tx, rec.fail(o.TimeColumn, "time %q does not match layout %q", s, o.TimeLayout)
	}
	if tx.Time.IsZero() {
		// Go's zero time stands for a missing one, which Summarize refuses: read here,
		// it failed the summary of the whole file, naming no line.
		return tx, rec.fail(o.TimeColumn, "time %q is January 1st of year 1, Go's zero time, which stands for a missing time", s)
	}
	if s, err = rec.field(o.AmountColumn, "amount"); err != nil {
		return tx, err
	}
	if strings.TrimSpace(s) == "" {
		if o.EmptyAmount != nil && o.EmptyAmount(Row{Transaction: Transaction{Profile: o.known(id), Time: tx.Time}, Line: rec.line, Fields: rec.fields}) {
			return tx, errSkipRow
		}
		return tx, rec.fail(o.AmountColumn, "empty amount")
	}
	tx.Amount, err = amount.Parse(s, &amount.Signed) // negatives are then refused as such
	if err != nil {
		return tx, rec.fail(o.AmountColumn, "amount %q is not a finite non-negative number%s", s, amount.Hint(s))
	}
	if tx.Amount < 0 {
		// An order export's refunds and credits are rows of their own, with negative
		// totals: "not a finite non-negative number" said what but not what to do.
		return tx, rec.fail(o.AmountColumn, "amount %q is not a finite non-negative number: a refund or a credit? Purchases alone are read: leave such rows out of the file, or skip them as bad lines", s)
	}
	if tx.Amount > MaxAmount {
		return tx, rec.fail(o.AmountColumn, "amount %q is over MaxAmount, %g: not a money figure (an id read as the amount?)", s, float64(MaxAmount))
	}
	// A row wider than the first read its columns all the same, but a value was split:
	// refused, or the amount read would be a part of the one written.
	if err := o.wider(rec, w); err != nil {
		return tx, err
	}
	// The id last, so that a bad line assigns no key.
	tid := strings.TrimSpace(id)
	if o.Keys != nil {
		if tid == "" {
			return tx, rec.fail(o.ProfileColumn, "empty customer id")
		}
		if tx.Profile, err = o.Keys.Key(tid); err != nil {
			return tx, rec.fail(o.ProfileColumn, "customer id %q: %v", id, err)
		}
		return tx, nil
	}
	key, err := strconv.ParseUint(tid, 10, 32)
	if err != nil || key == 0 {
		return tx, rec.fail(o.ProfileColumn, "profile %q is not a key in 1..4294967295 (set ReadOptions.Keys for string ids)", id)
	}
	tx.Profile = uint32(key)
	return tx, nil
}

// errSkipRow is parse's answer for a row that EmptyAmount skips: no transaction, and
// no bad line.
var errSkipRow = errors.New("row skipped")

// known returns the profile key of customer id if it has one already, else 0, and
// gives none: a row without an amount is no customer's first purchase.
func (o *ReadOptions) known(id string) uint32 {
	tid := strings.TrimSpace(id)
	if o.Keys != nil {
		return o.Keys.index[tid]
	}
	key, err := strconv.ParseUint(tid, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(key)
}

// csvRecords reads RFC 4180 records with encoding/csv, which reports the line and
// column of each field.
func csvRecords(r io.Reader, comma rune) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		cr := csv.NewReader(bufio.NewReaderSize(longline.New(r, maxLine, ErrSyntax), 64<<10))
		cr.Comma = comma
		cr.FieldsPerRecord = -1
		// The fields slice and the positions are reused from row to row, as Row.Fields
		// documents; encoding/csv still makes each row's strings anew (one string a
		// row, the fields its substrings), so that a field kept is never changed.
		cr.ReuseRecord = true
		var lines, cols []int
		for {
			fields, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err == nil {
				lines, cols = slices.Grow(lines[:0], len(fields))[:len(fields)], slices.Grow(cols[:0], len(fields))[:len(fields)]
				for i := range fields {
					lines[i], cols[i] = cr.FieldPos(i)
				}
				// Files each starting with a byte order mark, joined with cat.
				var n int
				fields[0], n = bom.Field(fields[0])
				cols[0] += n
				if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
					continue
				}
				if !yield(record{line: lines[0], fields: fields, lines: lines, cols: cols}, nil) {
					return
				}
				continue
			}
			// Only here: a *csv.ParseError target given to errors.As escapes, which cost
			// every good row an allocation.
			if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
				// A bad row, not a bad stream: encoding/csv goes on at the next row, and so
				// does a Lenient read.
				bad := fmt.Errorf("%w: line %d, column %d: %v", ErrSyntax, pe.Line, pe.Column, pe.Err)
				if !yield(record{line: pe.StartLine, err: bad}, nil) {
					return
				}
				continue
			}
			if !errors.Is(err, ErrSyntax) { // longline's error names its line
				err = fmt.Errorf("scoring: read transactions: %w", err)
			}
			yield(record{}, err)
			return
		}
	}
}

// spaceRecords splits lines on runs of spaces and tabs.
func spaceRecords(r io.Reader) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		line := 0
		// One record's slices for the whole read, as Row.Fields may be reused: growing
		// three empty slices anew cost each row a dozen allocations. The fields are
		// substrings of the row's one string, never changed.
		var rec record
		for sc.Scan() {
			line++
			text := sc.Text()
			rec.line, rec.fields, rec.lines, rec.cols = line, rec.fields[:0], rec.lines[:0], rec.cols[:0]
			// Files each starting with a byte order mark, joined with cat.
			_, skip := bom.Field(text)
			for i := skip; i < len(text); {
				for i < len(text) && isBlank(text[i]) {
					i++
				}
				j := i
				for j < len(text) && (text[j] > ' ' || !isBlank(text[j])) { // no blank is past ' '
					j++
				}
				if j > i {
					rec.fields = append(rec.fields, text[i:j])
					rec.lines = append(rec.lines, line)
					rec.cols = append(rec.cols, i+1)
				}
				i = j
			}
			if len(rec.fields) == 0 {
				continue
			}
			if !yield(rec, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("%w: line %d: line longer than %d bytes", ErrSyntax, line+1, maxLine)
			} else {
				err = fmt.Errorf("scoring: read transactions: %w", err)
			}
			yield(record{}, err)
		}
	}
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f' }
