package scoring

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readAll(input string, opt ReadOptions) ([]Transaction, error) {
	var out []Transaction
	for tx, err := range ReadTransactions(strings.NewReader(input), &opt) {
		if err != nil {
			return out, err
		}
		out = append(out, tx)
	}
	return out, nil
}

func TestReadTransactionsCSV(t *testing.T) {
	input := "customer,date,amount\r\n" +
		"0042,2025-01-03,19.99\r\n" +
		"\r\n" +
		"7,\"2025-01-04\",5\n" +
		"7, 2025-02-01 ,0.5\n"
	got, err := readAll(input, ReadOptions{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	want := []Transaction{{42, day("2025-01-03"), 19.99}, {7, day("2025-01-04"), 5}, {7, day("2025-02-01"), 0.5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadTransactionsColumnsAndLayout(t *testing.T) {
	input := "x;2025-01-03T10:00:00Z;12.5;77\n"
	got, err := readAll(input, ReadOptions{Comma: ';', ProfileColumn: 3, TimeColumn: 1, AmountColumn: 2, TimeLayout: time.RFC3339})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Profile != 77 || got[0].Amount != 12.5 || got[0].Time.Hour() != 10 {
		t.Errorf("got %+v", got)
	}
}

func TestReadTransactionsErrorsNameLineAndColumn(t *testing.T) {
	for _, c := range []struct {
		name, input, where string
		opt                ReadOptions
	}{
		{"bad profile", "1,2025-01-01,3\nabc,2025-01-01,3\n", "line 2, column 1", ReadOptions{}},
		{"profile 0", "0,2025-01-01,3\n", "line 1, column 1", ReadOptions{}},
		{"profile too big", "4294967296,2025-01-01,3\n", "line 1, column 1", ReadOptions{}},
		{"bad date", "1,2025-13-01,3\n", "line 1, column 3", ReadOptions{}},
		{"zero time", "1,2025-01-01,3\n1,0001-01-01,3\n", "line 2, column 3", ReadOptions{}},
		{"bad amount", "1,2025-01-01,x\n", "line 1, column 14", ReadOptions{}},
		{"negative amount", "1,2025-01-01,-3\n", "line 1, column 14", ReadOptions{}},
		{"NaN amount", "1,2025-01-01,NaN\n", "line 1, column 14", ReadOptions{}},
		{"Inf amount", "1,2025-01-01,+Inf\n", "line 1, column 14", ReadOptions{}},
		{"missing amount", "1,2025-01-01\n", "line 1", ReadOptions{}},
		{"bare quote", "1,20\"25-01-01,3\n", "line 1, column", ReadOptions{}},
		{"space separated", " 00004 0001 19970101  2   29.33\n 00004 0001 199701xx  2   29.73\n", "line 2, column 13", cdnowReadOptions},
	} {
		got, err := readAll(c.input, c.opt)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.where) {
			t.Errorf("%s: err = %v, want ErrSyntax at %q", c.name, err, c.where)
		}
		for _, tx := range got {
			if tx.Profile == 0 {
				t.Errorf("%s: yielded %+v before the error", c.name, tx)
			}
		}
	}
	// A date of the layout's form that does not exist says so, rather than blame the
	// layout.
	if _, err := readAll("1,2025-02-29,3\n", ReadOptions{}); !errors.Is(err, ErrSyntax) ||
		!strings.HasSuffix(err.Error(), `line 1, column 3: time "2025-02-29" has layout "2006-01-02"'s form but is no date: day out of range`) {
		t.Errorf("February 29th, 2025: %v", err)
	}
	// A time where a date is expected is of another form, not "no date": it goes on
	// past the layout.
	if _, err := readAll("1,2025-01-01T10:00:00+02:00,3\n", ReadOptions{}); !errors.Is(err, ErrSyntax) ||
		!strings.HasSuffix(err.Error(), `line 1, column 3: time "2025-01-01T10:00:00+02:00" does not match layout "2006-01-02"`) {
		t.Errorf("a time where a date is expected: %v", err)
	}
	if _, err := readAll("1,2025-01-01,3\n", ReadOptions{ProfileColumn: 1, TimeColumn: 1, AmountColumn: 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("clashing columns: %v", err)
	}
	long := strings.Repeat("1", maxLine+10)
	if _, err := readAll(long, ReadOptions{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("over-long CSV line: %v", err)
	}
	if _, err := readAll(long, ReadOptions{Comma: ' '}); !errors.Is(err, ErrSyntax) {
		t.Errorf("over-long line: %v", err)
	}
}

// TestReadTransactionsQuotedNewlinePositions: a quoted field may span lines (a note, an
// address); an error names the line the field at fault starts on, not the line of the
// row's last field, which it named when a later field spanned lines.
func TestReadTransactionsQuotedNewlinePositions(t *testing.T) {
	for _, c := range []struct {
		name, input, want string
		opt               ReadOptions
	}{
		{"bad time, the amount spans lines", "x,2025-01-01,1,n\na,2025-13-01,\"1\n0\",note\n",
			"line 2, column 3: time", ReadOptions{Keys: &Keys{}}},
		{"bad amount, the id and the amount span lines", "x,2025-01-01,1,n\n\"a\nb\",2025-01-01,\"x\ny\",note\n",
			"line 3, column 15: amount", ReadOptions{Keys: &Keys{}}},
	} {
		_, err := readAll(c.input, c.opt)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestReadTransactionsLongLineNamesIt: a line over maxLine is an error that names its
// line, with the package's prefix once; a CSV read said "scoring: read transactions:
// scoring: syntax error: line longer than 1048576 bytes", naming none.
func TestReadTransactionsLongLineNamesIt(t *testing.T) {
	for _, opt := range []ReadOptions{{}, {Comma: ' '}} {
		sep := ","
		if opt.Comma == ' ' {
			sep = " "
		}
		long := strings.Repeat("1"+sep+"2025-01-01"+sep+"1\n", 2) + strings.Repeat("1", maxLine+10) + "\n"
		_, err := readAll(long, opt)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line 3") || strings.Count(err.Error(), "scoring:") != 1 {
			t.Errorf("comma %q: err = %v, want ErrSyntax naming line 3, prefixed once", opt.Comma, err)
		}
	}
}

func TestReadTransactionsStopsEarly(t *testing.T) {
	n := 0
	for range ReadTransactions(strings.NewReader("1,2025-01-01,1\n2,2025-01-01,1\n3,2025-01-01,1\n"), &ReadOptions{}) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("read %d", n)
	}
}

// FuzzReadTransactions: no input makes the parser panic; every transaction it yields
// is valid; errors are ErrSyntax and end the stream; what it yields summarises to
// valid customers; and ReadRows yields the same, with lines and fields that agree.
func FuzzReadTransactions(f *testing.F) {
	f.Add([]byte("customer,date,amount\n1,2025-01-01,10\n1,2025-01-05,3.5\n2,2025-02-01,0\n"), false, true, false, false)
	f.Add([]byte(" 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00021 0002 19970101  3   63.34\n"), true, false, true, true)
	f.Add([]byte("1,\"2025-01-01\",\"1e3\"\r\n\r\n2,2025-01-01,1\n"), false, false, true, true)
	f.Add([]byte("1,2025-01-01,-1\n"), false, false, true, true)
	f.Add([]byte("\"unterminated\n"), false, false, true, true)
	f.Add([]byte("1\t0001\t19970101\t1\t1\n"), true, false, true, true)
	f.Add([]byte("c0,2025-01-01,1\nc1,bad,2\n,2025-01-01,3\nc0,2025-01-02,x\n"), false, false, true, true)
	// Decimal commas: quoted, split by the separator, ambiguous.
	f.Add([]byte("customer,date,amount\n1,2025-01-01,\"12,50\"\n1,2025-01-02,12,50\n2,2025-01-03,\"1,234\"\n"), false, true, false, true)
	// Two amounts near MaxFloat64 on one day: their sum, the day's spend, is +Inf.
	f.Add([]byte("1,2025-01-01,10\n1,2025-01-02,1.7e308\n1,2025-01-02,1.7e308\n"), false, false, false, false)
	f.Fuzz(func(t *testing.T, data []byte, spaces, header, keys, lenient bool) {
		opt := ReadOptions{Header: header}
		if spaces {
			opt = cdnowReadOptions
			opt.Header = header
		}
		if keys {
			opt.Keys = &Keys{}
		}
		opt.Lenient = lenient
		checkRows(t, string(data), opt) // ReadRows yields what ReadTransactions yields
		var txs []Transaction
		failed, bad := false, 0
		for tx, err := range ReadTransactions(strings.NewReader(string(data)), &opt) {
			if failed && !lenient {
				t.Fatal("the stream went on after an error")
			}
			if err != nil {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("error %v is not ErrSyntax", err)
				}
				if bad++; bad > MaxBadLines+1 {
					t.Fatalf("%d errors, more than the cap", bad)
				}
				failed = true
				continue
			}
			if keys {
				if _, ok := opt.Keys.ID(tx.Profile); !ok {
					t.Fatalf("key %d has no id", tx.Profile)
				}
			}
			if tx.Profile == 0 || math.IsNaN(tx.Amount) || math.IsInf(tx.Amount, 0) || tx.Amount < 0 || tx.Amount > MaxAmount {
				t.Fatalf("invalid transaction %+v", tx)
			}
			txs = append(txs, tx)
		}
		if len(txs) == 0 {
			return
		}
		end := txs[0].Time.AddDate(0, 0, 30)
		ss, err := Summarize(slices.Values(txs), &SummaryOptions{End: end, Unit: 24 * time.Hour})
		if err != nil {
			t.Fatalf("summarise parsed transactions: %v", err)
		}
		for _, s := range ss {
			if err := s.Customer.Validate(); err != nil {
				t.Fatalf("summary %+v: %v", s, err)
			}
		}
	})
}

// TestReadTransactionsAmountBound: an amount over MaxAmount is refused at its line and
// column, so that no sum the models take can overflow. 1e300 was read without
// complaint: two of them on one day made the day's spend +Inf, and one among ordinary
// amounts ran Gamma-Gamma off to a boundary and printed a CLV of +Inf.
func TestReadTransactionsAmountBound(t *testing.T) {
	for _, c := range []struct{ input, want string }{
		{"1,2025-01-01,10\n1,2025-01-02,1e300\n", `line 2, column 14: amount "1e300" is over MaxAmount, 1e+15: not a money figure`},
		{"1,2025-01-01,1.7976931348623157e308\n", `line 1, column 14: amount "1.7976931348623157e308" is over MaxAmount`},
		{"1,2025-01-01,1000000000000000.2\n", `line 1, column 14: amount "1000000000000000.2" is over MaxAmount`},
		{"1,2025-01-01,1e16\n", `line 1, column 14: amount "1e16" is over MaxAmount`},
	} {
		got, err := readAll(c.input, ReadOptions{})
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want ErrSyntax with %q", c.input, err, c.want)
		}
		for _, tx := range got {
			if tx.Amount > MaxAmount {
				t.Errorf("%q: yielded %+v", c.input, tx)
			}
		}
	}
	// MaxAmount itself is an amount, written either way.
	for _, s := range []string{"1e15", "1000000000000000", "999999999999999.99"} {
		got, err := readAll("1,2025-01-01,"+s+"\n", ReadOptions{})
		if err != nil || len(got) != 1 {
			t.Errorf("amount %s: %v, %v", s, got, err)
		}
	}
}

// TestReadAmountForms: an amount is decimal digits with a point, or a decimal comma
// that cannot be a thousands separator. The forms shops' exports write that are not get
// a hint on how to write them; Go's literal forms, which strconv.ParseFloat alone would
// take, are refused.
func TestReadAmountForms(t *testing.T) {
	comma := "a comma is read as a decimal comma only with one or two digits after it"
	for _, c := range []struct{ amount, want string }{
		{`"1,234"`, comma},
		{`"1.234,50"`, comma},
		{`"1,299.00"`, comma},
		{"$12.50", "write amounts without a currency sign"},
		{"12.50 €", "write amounts without a currency sign"},
		{"1_000", `amount "1_000" is not a finite non-negative number`},
		{"0x1p4", `amount "0x1p4" is not a finite non-negative number`},
		// An export's refunds, which the message did not name.
		{"-12.50", `amount "-12.50" is not a finite non-negative number: a refund or a credit? Purchases alone are read`},
		{`"-12,50"`, `amount "-12,50" is not a finite non-negative number: a refund or a credit?`},
	} {
		got, err := readAll("1,2025-01-01,"+c.amount+"\n", ReadOptions{})
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.want) || len(got) != 0 {
			t.Errorf("amount %s: %v, %v; want ErrSyntax with %q", c.amount, got, err, c.want)
		}
	}
	for _, s := range []string{"12.50", " 12.5 ", "1e3", "+5", ".5", "0", `"12,50"`, `"12,5"`} {
		if got, err := readAll("1,2025-01-01,"+s+"\n", ReadOptions{}); err != nil || len(got) != 1 {
			t.Errorf("amount %q: %v, %v", s, got, err)
		}
	}
}

// TestReadStringIDs: any string is a customer id with Keys; keys follow first
// appearance, and the mapping goes both ways.
func TestReadStringIDs(t *testing.T) {
	input := "customer,date,amount\nc0,2025-01-01,10\nalice@example.com,2025-01-02,5\nc0,2025-01-03,1\n\"Smith, J\",2025-01-03,2\n"
	keys := &Keys{}
	var got []uint32
	for tx, err := range ReadTransactions(strings.NewReader(input), &ReadOptions{Header: true, Keys: keys}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tx.Profile)
	}
	if diff := cmp.Diff([]uint32{1, 2, 1, 3}, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	for key, want := range map[uint32]string{1: "c0", 2: "alice@example.com", 3: "Smith, J"} {
		if id, ok := keys.ID(key); !ok || id != want {
			t.Errorf("ID(%d) = %q, %v; want %q", key, id, ok, want)
		}
	}
	if _, ok := keys.ID(4); ok || keys.Len() != 3 {
		t.Errorf("Len %d; ID(4) found", keys.Len())
	}
	// Without Keys a string id is an error that says what to do.
	for _, err := range ReadTransactions(strings.NewReader(input), &ReadOptions{Header: true}) {
		if err == nil || !strings.Contains(err.Error(), "line 2, column 1") || !strings.Contains(err.Error(), "Keys") {
			t.Errorf("err = %v", err)
		}
		break
	}
}

// TestReadLenientQuotes: a row encoding/csv cannot split (a bare or unbalanced quote) is
// a bad line like any other: a lenient read reports it and goes on, where it stopped
// there without a word, and a file's transactions after it were lost (the clv example
// printed "skipped: ... line 17" and fitted the 16 rows before it of 120).
func TestReadLenientQuotes(t *testing.T) {
	input := "customer,date,amount\nc0,2025-01-01,10\nc1,20\"25-01-01,5\nc2,2025-01-02,1\nc3,2025-01-03,2\n"
	var errs []string
	var good int
	for _, err := range ReadTransactions(strings.NewReader(input), &ReadOptions{Keys: &Keys{}, Lenient: true, Header: true}) {
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("%v is not ErrSyntax", err)
			}
			errs = append(errs, err.Error())
			continue
		}
		good++
	}
	if good != 3 || len(errs) != 1 || !strings.Contains(errs[0], "line 3, column 6") {
		t.Errorf("good %d, errors %q; want 3 and the bare quote at line 3, column 6", good, errs)
	}
	// Strict, the same row stops the read.
	var last error
	good = 0
	for _, err := range ReadTransactions(strings.NewReader(input), &ReadOptions{Keys: &Keys{}, Header: true}) {
		if last = err; err == nil {
			good++
		}
	}
	if good != 1 || !errors.Is(last, ErrSyntax) {
		t.Errorf("strict: good %d, last error %v", good, last)
	}
	// Past MaxBadLines of them, a lenient read stops and says why.
	many := strings.Repeat("c1,20\"25-01-01,5\n", MaxBadLines+1) + "c0,2025-01-01,10\n"
	last, good = nil, 0
	for _, err := range ReadTransactions(strings.NewReader(many), &ReadOptions{Keys: &Keys{}, Lenient: true}) {
		if last = err; err == nil {
			good++
		}
	}
	if good != 0 || !errors.Is(last, ErrTooManyBad) {
		t.Errorf("past MaxBadLines: good %d, last error %v", good, last)
	}
}

// TestReadLenient: a lenient read reports every bad line with its line and column and
// yields the good ones; a strict read stops at the first; a bad line assigns no key;
// past MaxBadLines the read stops.
func TestReadLenient(t *testing.T) {
	input := "c0,2025-01-01,10\nc1,2025-13-01,5\nc2,2025-01-02,-1\n,2025-01-03,1\nc3,2025-01-04,2\nc4\n"
	want := []string{"line 2, column 4", "line 3, column 15", "line 4, column 1", "line 6, column 3"}
	var errs []string
	var good int
	keys := &Keys{}
	for _, err := range ReadTransactions(strings.NewReader(input), &ReadOptions{Keys: keys, Lenient: true}) {
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("%v is not ErrSyntax", err)
			}
			errs = append(errs, err.Error())
			continue
		}
		good++
	}
	if good != 2 || len(errs) != len(want) || keys.Len() != 2 {
		t.Fatalf("good %d, keys %d, errors %q", good, keys.Len(), errs)
	}
	for i, w := range want {
		if !strings.Contains(errs[i], w) {
			t.Errorf("error %d = %q, want %q", i, errs[i], w)
		}
	}
	n := 0
	for _, err := range ReadTransactions(strings.NewReader(input), &ReadOptions{Keys: &Keys{}}) {
		n++
		if n == 2 && err == nil {
			t.Error("strict read went on past the bad line 2")
		}
	}
	if n != 2 {
		t.Errorf("strict read yielded %d items, want 2 (one good, one error)", n)
	}
	var many strings.Builder
	for range MaxBadLines + 50 {
		many.WriteString("c,not a date,1\n")
	}
	bad := 0
	var last error
	for _, err := range ReadTransactions(strings.NewReader(many.String()), &ReadOptions{Keys: &Keys{}, Lenient: true}) {
		if last != nil && errors.Is(last, ErrTooManyBad) {
			t.Errorf("bad line %d reported as the stop: %v", bad, last)
		}
		bad++
		last = err
	}
	if bad != MaxBadLines+1 || !strings.Contains(last.Error(), "more than") || !errors.Is(last, ErrTooManyBad) || !errors.Is(last, ErrSyntax) {
		t.Errorf("%d errors, last %v; want the cap and a final error", bad, last)
	}
}

// TestReadByteOrderMark: a file saved as Excel's "CSV UTF-8" starts with a byte order
// mark. It is not part of the first customer's id (which would make them two
// customers), of a quoted first field (a bare-quote error) or of a CDNOW-style first
// key.
func TestReadByteOrderMark(t *testing.T) {
	const bom = "\ufeff"
	keys := &Keys{}
	got, err := readAll(bom+"c0,2025-01-01,10\nc0,2025-01-02,5\n", ReadOptions{Keys: keys})
	if err != nil || len(got) != 2 || got[0].Profile != got[1].Profile || keys.Len() != 1 {
		t.Errorf("unquoted: %+v, %v, %d keys; want one customer", got, err, keys.Len())
	}
	keys = &Keys{}
	got, err = readAll(bom+"\"Smith, J\",2025-01-01,10\n", ReadOptions{Keys: keys})
	if id, _ := keys.ID(1); err != nil || len(got) != 1 || id != "Smith, J" {
		t.Errorf("quoted: %+v, %v, id %q", got, err, id)
	}
	got, err = readAll(bom+"2025-01-01,42,10\n", ReadOptions{ProfileColumn: 1, TimeColumn: 0, AmountColumn: 2})
	if err != nil || len(got) != 1 || got[0].Profile != 42 {
		t.Errorf("date first: %+v, %v", got, err)
	}
	got, err = readAll(bom+"00001 00001 19970101 1 11.77\n", ReadOptions{Comma: ' ', TimeColumn: 2, AmountColumn: 4, TimeLayout: "20060102"})
	if err != nil || len(got) != 1 || got[0].Profile != 1 {
		t.Errorf("space-separated: %+v, %v", got, err)
	}
	// Files each starting with a mark, joined with cat, hold one at the start of a
	// later line: the second file's first customer was another customer, silently.
	keys = &Keys{}
	got, err = readAll(bom+"c0,2025-01-01,10\n"+bom+"c0,2025-01-02,5\n", ReadOptions{Keys: keys})
	if err != nil || len(got) != 2 || got[0].Profile != got[1].Profile || keys.Len() != 1 {
		t.Errorf("joined files: %+v, %v, %d keys; want one customer", got, err, keys.Len())
	}
	got, err = readAll(bom+"00001 00001 19970101 1 11.77\n"+bom+"00001 00001 19970102 1 11.77\n", ReadOptions{Comma: ' ', TimeColumn: 2, AmountColumn: 4, TimeLayout: "20060102"})
	if err != nil || len(got) != 2 || got[1].Profile != 1 {
		t.Errorf("space-separated, joined files: %+v, %v", got, err)
	}
	// A bad row's column is the field's, after the mark.
	_, err = readAll("c0,2025-01-01,10\n"+bom+"c0,x,5\n", ReadOptions{Keys: &Keys{}})
	if err == nil || !strings.Contains(err.Error(), "line 2, column 7:") {
		t.Errorf("bad row after a mark: %v, want line 2, column 7", err)
	}
	// A mark before a later row's quoted first field, a header or a customer, was
	// "bare \" in non-quoted-field": the second file of a spreadsheet's quoted export
	// was refused at its first line.
	keys = &Keys{}
	got, err = readAll(bom+"\"customer\",\"date\",\"amount\"\n\"ann\",2025-01-01,10\n"+
		bom+"\"ann\",2025-01-02,5\n", ReadOptions{Header: true, Keys: keys})
	if err != nil || len(got) != 2 || got[0].Profile != got[1].Profile || keys.Len() != 1 {
		t.Errorf("joined files, quoted: %+v, %v, %d keys; want one customer", got, err, keys.Len())
	}
	// A semicolon export, and a bad row after the quoted mark: its column is still the
	// file's byte column.
	_, err = readAll("\"ann\";2025-01-01;10\n"+bom+"\"ann\";x;5\n", ReadOptions{Comma: ';', Keys: &Keys{}})
	if err == nil || !strings.Contains(err.Error(), "line 2, column 10:") {
		t.Errorf("bad row after a mark and a quoted field: %v, want line 2, column 10", err)
	}
}

// TestReadWiderRowRefused: a row with more fields than the first, a field past the
// first's width holding something, is a value split by an unquoted separator, and is
// refused at that field. "c,2025-02-01,12,50" (a decimal comma) was read as an amount
// of 12 without a word, the 50 dropped; a trailing empty field still passes.
func TestReadWiderRowRefused(t *testing.T) {
	for _, c := range []struct {
		name, input, want string
		opt               ReadOptions
	}{
		{"decimal comma, header", "customer,date,amount\nc,2025-01-01,1\nc,2025-02-01,12,50\n",
			`line 3, column 14: amount 12,50 is split in two fields by the separator ','`, ReadOptions{Header: true, Keys: &Keys{}}},
		{"decimal comma, no header", "c,2025-01-01,1\nc,2025-02-01,12,50\n",
			"line 2, column 14: amount 12,50 is split in two fields", ReadOptions{Keys: &Keys{}}},
		{"a note in a fourth field", "customer,date,amount\nc,2025-01-01,1\nc,2025-02-01,12,gift\n",
			`line 3, column 17: 4 fields where line 1 has 3: quote a value that holds the separator ',' (a decimal comma: quote it, "12,50", or write 12.50)`, ReadOptions{Header: true, Keys: &Keys{}}},
		{"space separated", " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29 73\n",
			"line 2, column 30: 6 fields where line 1 has 5: quote a value that holds the separator ' '", cdnowReadOptions},
	} {
		got, err := readAll(c.input, c.opt)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrSyntax with %q", c.name, err, c.want)
		}
		for _, tx := range got {
			if tx.Amount == 12 || tx.Amount == 29 {
				t.Errorf("%s: read the split amount as %v", c.name, tx.Amount)
			}
		}
	}
	// A separator at the end of a row adds an empty field, which changes no value.
	got, err := readAll("customer,date,amount\nc,2025-01-01,1,\nc,2025-02-01,12.5, \n", ReadOptions{Header: true, Keys: &Keys{}})
	if err != nil || len(got) != 2 || got[1].Amount != 12.5 {
		t.Errorf("trailing separators: %+v, %v", got, err)
	}
	// Lenient, the wide row is skipped and reported, and assigns no key.
	keys := &Keys{}
	got, errs := nil, []error(nil)
	for tx, err := range ReadTransactions(strings.NewReader("a,2025-01-01,1\nb,2025-02-01,12,50\nc,2025-02-01,3\n"), &ReadOptions{Keys: keys, Lenient: true}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, tx)
	}
	if len(got) != 2 || len(errs) != 1 || keys.Len() != 2 {
		t.Errorf("lenient: %d read, errors %v, %d keys; want 2, one, 2", len(got), errs, keys.Len())
	}
}
