package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/golden"

	"github.com/clientele-go/clientele/scoring"
)

// orderRow is one row of a file drawn by the order-column tests, and what a simple
// per-row model says of it.
type orderRow struct {
	customer, order string // as written; the model trims them as the readers do
	day, tenths     int
	amountText      string // the amount as written: "1.5", "1.50"; "": an item row (Shopify's)
	bad             string // "": a good row; else the kind of bad line it is
}

// orderModel is what -order-column makes of rows, one row at a time: a row of an order
// seen before is dropped when its time and amount are the first row's and is a bad
// line (naming both lines) when they are not; an order's first row is a purchase. Bad
// lines of the reader (a date that is none, a bare quote) and rows without an order id
// are bad lines too. A row without an amount is an item row of an order seen before at
// the same date, skipped and counted; any other such row is a bad line.
type orderModel struct {
	kept    []scoring.Transaction
	ids     []string // kept's customers
	dropped int
	items   int
	bad     []int    // the lines of the bad lines, in order
	badWhy  []string // for each, what its error must say
}

var orderStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func modelOrders(rows []orderRow, lines []int) orderModel {
	type first struct{ day, tenths, line int }
	var m orderModel
	seen := map[[2]string]first{}
	for i, r := range rows {
		c, o := strings.TrimSpace(r.customer), strings.TrimSpace(r.order)
		switch {
		case r.bad == "short" && r.amountText == "":
			// The reader asks about the amount before the command reads the order id.
			m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, "empty amount: no order id either")
			continue
		case r.bad == "short":
			m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, fmt.Sprintf("line %d: no order id field", lines[i]))
			continue
		case r.bad != "":
			m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, fmt.Sprintf("line %d, column", lines[i]))
			continue
		case r.amountText == "" && o == "":
			m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, "empty amount: no order id either")
			continue
		case r.amountText == "":
			f, ok := seen[[2]string{c, o}]
			switch {
			case !ok:
				m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, fmt.Sprintf("empty amount: no earlier row of order %q of customer %q has its total", o, c))
			case f.day != r.day:
				m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, fmt.Sprintf("empty amount: order %q of customer %q has another date on line %d", o, c, f.line))
			default:
				m.items++
			}
			continue
		case o == "":
			m.bad, m.badWhy = append(m.bad, lines[i]), append(m.badWhy, fmt.Sprintf("line %d: empty order id", lines[i]))
			continue
		}
		if f, ok := seen[[2]string{c, o}]; ok {
			if f.day == r.day && f.tenths == r.tenths {
				m.dropped++
			} else {
				m.bad = append(m.bad, lines[i])
				m.badWhy = append(m.badWhy, fmt.Sprintf("line %d: order %q of customer %q has another date or amount than on line %d", lines[i], o, c, f.line))
			}
			continue
		}
		seen[[2]string{c, o}] = first{r.day, r.tenths, lines[i]}
		m.kept = append(m.kept, scoring.Transaction{Time: orderStart.AddDate(0, 0, r.day), Amount: float64(r.tenths) / 10})
		m.ids = append(m.ids, c)
	}
	return m
}

// drawOrderRows draws rows of a few customers and orders, so that orders repeat, some
// rows exactly (written alike or not) and some with another date or amount, and, with
// bad, bad lines of each kind.
func drawOrderRows(t *rapid.T, bad bool) []orderRow {
	n := rapid.IntRange(1, 40).Draw(t, "rows")
	var rows []orderRow
	for range n {
		if len(rows) > 0 && rapid.IntRange(0, 3).Draw(t, "repeat") == 0 {
			r := rows[rapid.IntRange(0, len(rows)-1).Draw(t, "of")]
			if r.bad == "" {
				r.amountText = strconv.FormatFloat(float64(r.tenths)/10, 'f', rapid.IntRange(1, 3).Draw(t, "decimals"), 64)
				r.customer = rapid.SampledFrom([]string{r.customer, " " + strings.TrimSpace(r.customer)}).Draw(t, "spaced")
				if rapid.IntRange(0, 2).Draw(t, "item") == 0 {
					r.amountText = "" // a later row of the order, one per item
				}
				rows = append(rows, r)
				continue
			}
		}
		r := orderRow{
			customer: rapid.SampledFrom([]string{"c1", "c2", "c3", "ann@example.com"}).Draw(t, "customer"),
			order:    rapid.SampledFrom([]string{"A1", "A2", "A3", "#4", "o,5", " 6 ", `q"7`, ""}).Draw(t, "order"),
			day:      rapid.IntRange(0, 3).Draw(t, "day"),
			tenths:   rapid.IntRange(0, 3).Draw(t, "tenths"),
		}
		r.amountText = strconv.FormatFloat(float64(r.tenths)/10, 'f', -1, 64)
		if rapid.IntRange(0, 9).Draw(t, "item first") == 0 {
			r.amountText = "" // an item row, of an order seen before or not
		}
		if bad && rapid.IntRange(0, 7).Draw(t, "bad?") == 0 {
			r.bad = rapid.SampledFrom([]string{"date", "quote", "short"}).Draw(t, "bad")
		}
		rows = append(rows, r)
	}
	return rows
}

// writeOrderRows writes rows as a CSV with a header, the columns in the order cols
// names them (of "order", "customer", "date", "amount", "note"), a note that may hold
// the separator, a quote or a line break, and blank lines between rows. It returns the
// file and each row's line.
func writeOrderRows(t *rapid.T, rows []orderRow, cols []string, comma rune) (string, []int) {
	var b strings.Builder
	line := 1
	quote := func(s string) string {
		if strings.ContainsAny(s, string(comma)+"\"\n") || s != strings.TrimSpace(s) && comma == ' ' {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	b.WriteString(strings.Join(cols, string(comma)) + "\n")
	var lines []int
	for _, r := range rows {
		for range rapid.IntRange(0, 1).Draw(t, "blank lines") {
			b.WriteString("\n")
			line++
		}
		line++
		lines = append(lines, line)
		note := rapid.SampledFrom([]string{"", "gift", "a, b", "two\nlines", `say "hi"`}).Draw(t, "note")
		var fields []string
		for _, c := range cols {
			switch c {
			case "order":
				if r.bad == "short" {
					continue
				}
				fields = append(fields, quote(r.order))
			case "customer":
				fields = append(fields, quote(r.customer))
			case "date":
				d := orderStart.AddDate(0, 0, r.day).Format(time.DateOnly)
				if r.bad == "date" {
					d = "2024-13-01"
				}
				fields = append(fields, d)
			case "amount":
				fields = append(fields, r.amountText)
			case "note":
				switch r.bad {
				case "quote":
					fields = append(fields, `bare"quote`) // unquoted: a row encoding/csv refuses
				case "short":
					// No note either, so that the row is short of the order column.
				default:
					fields = append(fields, quote(note))
				}
			}
		}
		s := strings.Join(fields, string(comma))
		b.WriteString(s + "\n")
		line += strings.Count(s, "\n")
	}
	return b.String(), lines
}

// TestOrderColumnAsModel: whatever the rows, their columns' order and the bad lines
// among them, -order-column makes of a file what the per-row model makes of its rows:
// the same purchases (Summarize's summaries, bit for bit), the same rows dropped, and
// under -lenient the same bad lines skipped and reported; a strict read stops at the
// model's first bad line, naming it (and a conflict's first line).
func TestOrderColumnAsModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lenient := rapid.Bool().Draw(t, "lenient")
		rows := drawOrderRows(t, true)
		cols := rapid.Permutation([]string{"order", "customer", "date", "amount", "note"}).Draw(t, "columns")
		// A short row lacks the order and note columns: they must be the last two for
		// it to be short of the order column rather than misread.
		if i := slices.Index(cols, "note"); i != len(cols)-1 {
			cols = append(slices.Delete(cols, i, i+1), "note")
		}
		if i := slices.Index(cols, "order"); i != len(cols)-2 {
			cols = slices.Insert(slices.Delete(cols, i, i+1), len(cols)-2, "order")
		}
		comma := rapid.SampledFrom([]rune{',', ';', '\t'}).Draw(t, "comma")
		in, lines := writeOrderRows(t, rows, cols, comma)
		m := modelOrders(rows, lines)

		cfg := config{format: "csv", header: true, comma: comma, lenient: lenient, columns: "customer,date,amount"}
		if rapid.Bool().Draw(t, "by number") {
			cfg.orderColumn = strconv.Itoa(slices.Index(cols, "order") + 1)
		} else {
			cfg.orderColumn = "ORDER"
		}
		var status bytes.Buffer
		cfg.status = &status
		keys := &scoring.Keys{}
		l, err := read(strings.NewReader(in), cfg, keys)
		if !lenient && len(m.bad) > 0 {
			if err == nil || !strings.Contains(err.Error(), m.badWhy[0]) {
				t.Fatalf("strict: err = %v, want one saying %q\n%s", err, m.badWhy[0], in)
			}
			// The lines before the bad one are read as the model reads them.
			return
		}
		if len(m.kept) == 0 {
			if err == nil || !strings.Contains(err.Error(), "no transactions") {
				t.Fatalf("err = %v, want no transactions", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, in)
		}
		skipped := regexp.MustCompile(`(?m)^skipped: (?:scoring: syntax error: )?line (\d+)`).FindAllStringSubmatch(status.String(), -1)
		var gotBad []int
		for _, s := range skipped {
			n, _ := strconv.Atoi(s[1])
			gotBad = append(gotBad, n)
		}
		if !slices.Equal(gotBad, m.bad) || l.skipped != len(m.bad) {
			t.Fatalf("skipped lines %v (counted %d), want %v:\n%s\n%s", gotBad, l.skipped, m.bad, status.String(), in)
		}
		for _, why := range m.badWhy {
			if !strings.Contains(status.String(), why) {
				t.Fatalf("stderr lacks %q:\n%s", why, status.String())
			}
		}
		if l.rows != len(m.kept) || l.orders.dropped != m.dropped || len(l.orders.all) != len(m.kept) || l.orders.items != m.items {
			t.Fatalf("%d rows kept, %d dropped, %d item rows; want %d, %d, %d\n%s", l.rows, l.orders.dropped, l.orders.items, len(m.kept), m.dropped, m.items, in)
		}
		if l.repeats.n != 0 || len(l.repeats.more) != 0 {
			t.Fatalf("repeated rows counted beside the orders: %+v", l.repeats)
		}
		// The model's purchases, keyed as the reader keyed them.
		want := slices.Clone(m.kept)
		customers := map[uint32]bool{}
		for i := range want {
			p, _ := keys.Key(m.ids[i])
			want[i].Profile = p
			customers[p] = true
		}
		if l.customers() != len(customers) {
			t.Fatalf("%d customers, want %d", l.customers(), len(customers))
		}
		opt := scoring.SummaryOptions{End: orderStart.AddDate(0, 0, 10), Unit: 24 * time.Hour}
		wantS, err := scoring.Summarize(slices.Values(want), &opt)
		if err != nil {
			t.Fatal(err)
		}
		gotS, err := l.summaries(&opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotS, wantS) {
			t.Fatalf("summaries:\n%+v\nwant:\n%+v\n%s", gotS, wantS, in)
		}
	})
}

// orderFile is twelveCustomers' file with an order id column, each row its own order,
// then extra, which names its own.
func orderFile(extra string) string {
	base, _ := twelveCustomers()
	var b strings.Builder
	b.WriteString("order,customer,date,amount\n")
	for i, l := range strings.Split(strings.TrimSuffix(base.String(), "\n"), "\n") {
		fmt.Fprintf(&b, "o%d,%s\n", i+1, l)
	}
	b.WriteString(extra)
	return b.String()
}

// TestOrderColumnReport: the report's second line says how many rows repeated their
// order and were dropped; a file without any has no such line, and a file whose rows
// repeat a row with another order id sums them as before, without the line on
// repeated rows that only a file without order ids needs. The rest of the report is the
// one of the file without its repeats.
func TestOrderColumnReport(t *testing.T) {
	const repeats = "an earlier row exactly (same customer, time and amount)"
	cfg := config{format: "csv", header: true, unit: 24 * time.Hour, top: 3, columns: "customer,date,amount", orderColumn: "order"}
	for _, c := range []struct {
		name, extra, same string // same: extra's rows without the repeats
		want              string
	}{
		{name: "none"},
		{name: "one", extra: "o1,c1,2024-01-02,11\n", want: "1 row repeats an earlier row of its order exactly (same customer, order id, time and amount) and is dropped as the export's duplicate\n"},
		{name: "three", extra: "o1,c1,2024-01-02,11.00\nx9,c3,2024-02-01,5\nx9,c3,2024-02-01,5\no1,c1,2024-01-02,11\n", same: "x9,c3,2024-02-01,5\n",
			want: "3 rows repeat an earlier row of their order exactly (same customer, order id, time and amount) and are dropped as the export's duplicates\n"},
		// Another order of the same customer, day and amount: a second basket.
		{name: "second basket", extra: "o1b,c1,2024-01-02,11\n", same: "o1b,c1,2024-01-02,11\n"},
		// The same order id under another customer is another order.
		{name: "another customer's", extra: "o1,c2,2024-01-02,11\n", same: "o1,c2,2024-01-02,11\n"},
	} {
		var got, want bytes.Buffer
		if err := run(&got, strings.NewReader(orderFile(c.extra)), cfg); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := run(&want, strings.NewReader(orderFile(c.same)), cfg); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		lines := strings.SplitAfter(got.String(), "\n")
		if strings.Contains(got.String(), repeats) {
			t.Errorf("%s: the line on repeated rows, with order ids:\n%s", c.name, got.String())
		}
		if c.want == "" {
			if strings.Contains(got.String(), "dropped") {
				t.Errorf("%s: a line on dropped rows in a file without:\n%s", c.name, got.String())
			}
		} else if lines[1] != c.want {
			t.Errorf("%s: second line %q, want %q", c.name, lines[1], c.want)
		}
		rest := got.String()
		if c.want != "" {
			rest = strings.Join(slices.Delete(lines, 1, 2), "")
		}
		if rest != want.String() {
			t.Errorf("%s: the report of the file with its repeats dropped:\n%s\nwant that of the file without them:\n%s", c.name, rest, want.String())
		}
	}
	// Without -order-column the same file's repeats are summed and counted, as they were.
	var out bytes.Buffer
	cfg.orderColumn = ""
	if err := run(&out, strings.NewReader(orderFile("o1,c1,2024-01-02,11\n")), cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 row repeats "+repeats) {
		t.Errorf("without -order-column:\n%s", out.String())
	}
}

// TestOrderColumnErrors: a row of an order that differs from its first row, a row
// without an order id and flags that name no usable column are refused, naming the
// lines and columns; the CDNOW sample has no order ids.
func TestOrderColumnErrors(t *testing.T) {
	n := strings.Count(orderFile(""), "\n") + 1 // the line after orderFile's rows
	for _, c := range []struct {
		in   string
		cfg  config
		want string
	}{
		{orderFile("o1,c1,2024-01-03,11\n"), config{orderColumn: "order"}, fmt.Sprintf(`line %d: order "o1" of customer "c1" has another date or amount than on line 2 (2024-01-03 and 11 here, 2024-01-02 and 11 there): the rows of one order must agree`, n)},
		{orderFile("\no1,c1,2024-01-02,12.5\n"), config{orderColumn: "1"}, fmt.Sprintf(`line %d: order "o1" of customer "c1" has another date or amount than on line 2 (2024-01-02 and 12.5 here, 2024-01-02 and 11 there)`, n+1)},
		{"order,customer,date,amount\nA,c1,2024-01-02T10:00:00Z,5\nA,c1,2024-01-02T10:00:01Z,5\n", config{orderColumn: "order", layout: time.RFC3339},
			`line 3: order "A" of customer "c1" has another time or amount than on line 2 (2024-01-02 10:00:01 +00:00 and 5 here, 2024-01-02 10:00:00 +00:00 and 5 there)`},
		{orderFile(" ,c1,2024-01-02,11\n"), config{orderColumn: "order"}, fmt.Sprintf("line %d: empty order id (column 1)", n)},
		// A quoted field may run over many lines, each within the reader's bound.
		{orderFile(`"` + strings.Repeat("x\n", 600) + `",c1,2024-01-02,11` + "\n"), config{orderColumn: "order"}, fmt.Sprintf("line %d: an order id of 1199 bytes (column 1), over 1024: not an order id", n)},
		{"customer,date,amount,order\nc1,2024-01-02,5,A\nc1,2024-01-03,5\n", config{columns: "1,2,3", orderColumn: "order"}, "line 3: no order id field (column 4 of 3)"},
		{orderFile(""), config{orderColumn: "Order id"}, `-order-column "Order id": line 1 has no column "Order id"; its columns are "order", "customer", "date", "amount"`},
		{orderFile(""), config{orderColumn: "0"}, `-order-column "0": column 0: columns count from 1`},
		{orderFile(""), config{orderColumn: "2"}, `-order-column "2": column 2 is the customer's; the order id is a column of its own`},
		{"c1,2024-01-02,5,A\n", config{header: false, orderColumn: "order"}, `-order-column "order": "order" is a name, and names are looked up in a header line: add -header`},
		{"c1,2024-01-02,5,A\n", config{header: false, orderColumn: "3"}, `-order-column "3": column 3 is the amount's; the order id is a column of its own`},
		{"1 x 19970101 1 10\n", config{format: "cdnow", orderColumn: "2"}, "-order-column is for -format csv; the CDNOW sample has no order ids"},
	} {
		if c.cfg.format == "" {
			c.cfg.format = "csv"
			c.cfg.header = c.cfg.header || strings.HasPrefix(c.in, "order,") || strings.HasPrefix(c.in, "customer,")
			if strings.HasPrefix(c.in, "order,") {
				c.cfg.columns = "customer,date,amount"
			}
		}
		c.cfg.unit = 24 * time.Hour
		err := run(io.Discard, strings.NewReader(c.in), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q, %+v: error %v, want one saying %q", c.in, c.cfg.orderColumn, err, c.want)
		}
	}
}

// TestOrderColumnLenient: under -lenient a bad line of -order-column's is skipped and
// reported on stderr as the reader's are, in file order with them; a customer whose
// every row was skipped is no customer of the report; past scoring.MaxBadLines bad
// lines, the reader's and -order-column's together, the read stops.
func TestOrderColumnLenient(t *testing.T) {
	in := orderFile("o1,c1,2024-01-05,11\nz1,c99,2024-03-01,\no2,c1,2024-13-01,12\n,c98,2024-03-01,4\n")
	var out, status bytes.Buffer
	cfg := config{format: "csv", header: true, columns: "customer,date,amount", orderColumn: "order", lenient: true, unit: 24 * time.Hour, top: 1, status: &status}
	if err := run(&out, strings.NewReader(in), cfg); err != nil {
		t.Fatal(err)
	}
	n := strings.Count(orderFile(""), "\n") + 1 // the line after orderFile's rows
	want := []string{
		fmt.Sprintf(`skipped: line %d: order "o1" of customer "c1" has another date or amount than on line 2`, n),
		fmt.Sprintf(`skipped: scoring: syntax error: line %d, column 19: empty amount`, n+1),
		fmt.Sprintf(`skipped: scoring: syntax error: line %d, column 7: time "2024-13-01" has layout "2006-01-02"'s form but is no date`, n+2),
		fmt.Sprintf(`skipped: line %d: empty order id (column 1)`, n+3),
	}
	got := strings.Split(strings.TrimSuffix(status.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("stderr:\n%s\nwant %d lines", status.String(), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("stderr line %d: %q, want it to start %q", i+1, got[i], want[i])
		}
	}
	var clean bytes.Buffer
	cfg.status = nil
	if err := run(&clean, strings.NewReader(orderFile("")), cfg); err != nil {
		t.Fatal(err)
	}
	// The report is that of the file without them, saying under its first line that
	// they were skipped: it went to standard error alone, and a report kept in a file
	// read as the whole export.
	first, rest, _ := strings.Cut(clean.String(), "\n")
	if wantOut := first + "\n4 bad lines skipped (-lenient; each is listed on standard error): the figures below leave them out\n" + rest; out.String() != wantOut {
		t.Errorf("the report with the bad lines skipped:\n%s\nwant that of the file without them, with a line saying so:\n%s", out.String(), wantOut)
	}

	// A wrong -order-column (the note, the same on every row) makes every row after
	// the first of each customer a conflict: the read stops past the limit.
	var b strings.Builder
	b.WriteString("customer,date,amount,note\n")
	for i := range scoring.MaxBadLines + 3 {
		fmt.Fprintf(&b, "c%d,2024-01-%02d,%d,same\n", i%2, 1+i%28, i)
	}
	err := run(io.Discard, strings.NewReader(b.String()), config{format: "csv", header: true, orderColumn: "note", lenient: true, unit: 24 * time.Hour})
	if want := "line 104: more than 100, stopping (does -order-column name the order id?)"; !errors.Is(err, scoring.ErrTooManyBad) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %v, want ErrTooManyBad saying %q", err, want)
	}

	// The limit counts both kinds of bad line: 60 rows without an order id, then rows
	// the reader refuses (an amount "x"); the 101st bad line stops the read, though
	// the reader has met only 41 of its own.
	b.Reset()
	b.WriteString("customer,date,amount,order\n")
	for i := range 60 {
		fmt.Fprintf(&b, "c%d,2024-01-%02d,%d,\n", i%2, 1+i%28, i)
	}
	for i := range 50 {
		fmt.Fprintf(&b, "c%d,2024-02-%02d,x,o-%d\n", i%2, 1+i%28, i)
	}
	err = run(io.Discard, strings.NewReader(b.String()), config{format: "csv", header: true, orderColumn: "order", lenient: true, unit: 24 * time.Hour})
	if want := "line 102: more than 100, stopping (wrong separator, columns, layout or -order-column?)"; !errors.Is(err, scoring.ErrTooManyBad) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %v, want ErrTooManyBad saying %q", err, want)
	}
}

// TestOrderColumnMemory: with -order-column what the report holds once the file is
// read grows with the orders, not with the rows: 100,000 rows repeating 3,000 orders
// keep what the orders and their days take.
func TestOrderColumnMemory(t *testing.T) {
	in := &generated{n: 100_000, row: orderRows(3_000)}
	var before, atEOF runtime.MemStats
	measured := false
	in.atEOF = func() {
		runtime.GC()
		runtime.ReadMemStats(&atEOF)
		measured = true
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	cfg := config{format: "csv", unit: 7 * 24 * time.Hour, top: 1, orderColumn: "4"}
	var out bytes.Buffer
	if err := run(&out, in, cfg); err != nil {
		t.Fatal(err)
	}
	if !measured {
		t.Fatal("the file was not read to its end")
	}
	if want := fmt.Sprintf("%d rows repeat an earlier row of their order exactly", 100_000-3_000); !strings.Contains(out.String(), want) {
		t.Fatalf("want %q in\n%s", want, out.String())
	}
	grown := int64(atEOF.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%.2f MB held once the file was read", float64(grown)/(1<<20))
	if grown > 2<<20 {
		t.Errorf("%.1f MB held once 100,000 rows of 3,000 orders were read, want under 2 MB", float64(grown)/(1<<20))
	}
}

// orderRows returns generated's row function for rows "customer,date,amount,order"
// repeating orders orders in turn (30 customers buying on 100 days), each row of an
// order the same.
func orderRows(orders int) func(b []byte, i int) []byte {
	return func(b []byte, i int) []byte {
		o := i % orders
		day := orderStart.AddDate(0, 0, o/30%100)
		return fmt.Appendf(b, "c%d,%s,%d.%02d,order-%06d\n", o%30, day.Format(time.DateOnly), 5+o%97, o%100, o)
	}
}

// TestREADMEOrderColumn holds the README's example of -order-column to what the
// command makes of its orders.csv: line 3 dropped, Ann's two orders one purchase, and
// Bob's order on two days refused with the message shown.
func TestREADMEOrderColumn(t *testing.T) {
	in := golden.Block(t, "README.md", "one order differ: sum its items by order first, or leave the flag out. For `orders.csv`:")
	want := golden.Block(t, "README.md", "command refuses:")
	cfg := config{format: "csv", header: true, columns: "Email,Date,Total", orderColumn: "Order", unit: 24 * time.Hour}
	_, err := read(strings.NewReader(in), cfg, &scoring.Keys{})
	if got := fmt.Sprintf("clv: orders.csv: %v\n", err); got != want {
		t.Errorf("README.md shows\n%s\nthe command prints\n%s", want, got)
	}
	// Without Bob's second row: the rest as the README says.
	keys := &scoring.Keys{}
	l, err := read(strings.NewReader(strings.TrimSuffix(in, "1003,bob@example.com,2025-03-09,15.50\n")), cfg, keys)
	if err != nil {
		t.Fatal(err)
	}
	if l.orders.dropped != 1 || l.rows != 3 || len(l.days[0]) != 1 || l.days[0][0].amount != 40 {
		t.Errorf("%d dropped, %d rows, Ann's days %+v; want 1 dropped, 3 rows, one day of 40", l.orders.dropped, l.rows, l.days[0])
	}
}
