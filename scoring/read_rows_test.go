package scoring

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestReadRowsLinesAndFields: each row carries the line it starts on, counted as the
// errors count lines (a byte order mark, blank lines, the header and a quoted field
// over two lines among them), and its fields as split, untrimmed; a bad row's error
// comes with its line only.
func TestReadRowsLinesAndFields(t *testing.T) {
	type got struct {
		Line   int
		Fields []string
		Err    string
	}
	for _, c := range []struct {
		name, input string
		opt         ReadOptions
		want        []got
	}{
		{"csv", "\ufeffcustomer,date,amount,order\r\n\r\nann, 2025-03-01,12.50,A-1\r\nbob,2025-03-0x,8,B-7\r\n\"ann\",2025-03-09,\"8\",\"A\n2\"\r\n  \r\nbob,2025-03-10,1,\"x\"y\"\ncid,2025-03-11,2\n",
			ReadOptions{Header: true, Keys: &Keys{}, Lenient: true},
			[]got{
				{3, []string{"ann", " 2025-03-01", "12.50", "A-1"}, ""},
				{4, nil, `line 4, column 5: time "2025-03-0x" does not match`},
				{5, []string{"ann", "2025-03-09", "8", "A\n2"}, ""},
				{8, nil, "line 8, column 20: extraneous or missing \" in quoted-field"},
				{9, []string{"cid", "2025-03-11", "2"}, ""},
			}},
		{"a quoted field over lines", "1,2025-01-01,1,\"a\n\nb\"\n2,2025-01-02,3,n\n", ReadOptions{},
			[]got{{1, []string{"1", "2025-01-01", "1", "a\n\nb"}, ""}, {4, []string{"2", "2025-01-02", "3", "n"}, ""}}},
		{"spaces", "\n 00004 0001 19970101  2   29.33\n\t\n00021\t0002 19970101 3 x\n00021 0002 19970102 3 1\n",
			ReadOptions{Comma: ' ', ProfileColumn: 0, TimeColumn: 2, AmountColumn: 4, TimeLayout: "20060102", Lenient: true},
			[]got{
				{2, []string{"00004", "0001", "19970101", "2", "29.33"}, ""},
				{4, nil, `line 4, column 23: amount "x"`},
				{5, []string{"00021", "0002", "19970102", "3", "1"}, ""},
			}},
		{"a line too long is the stream's", "1,2025-01-01,1\n" + strings.Repeat("1", maxLine+1) + "\n", ReadOptions{},
			[]got{{1, []string{"1", "2025-01-01", "1"}, ""}, {0, nil, "line 2: line longer than"}}},
		{"bad options are no row's", "1,2025-01-01,1\n", ReadOptions{ProfileColumn: 1, TimeColumn: 1, AmountColumn: 2},
			[]got{{0, nil, "columns 1, 1, 2 must differ"}}},
	} {
		var gots []got
		for row, err := range ReadRows(strings.NewReader(c.input), &c.opt) {
			g := got{Line: row.Line, Fields: slices.Clone(row.Fields)}
			if err != nil {
				g.Err = err.Error()
				if row.Transaction != (Transaction{}) || row.Fields != nil {
					t.Errorf("%s: error %v with row %+v, want only its line", c.name, err, row)
				}
			}
			gots = append(gots, g)
		}
		if len(gots) != len(c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, gots, c.want)
			continue
		}
		for i := range gots {
			if gots[i].Line != c.want[i].Line || !slices.Equal(gots[i].Fields, c.want[i].Fields) || !strings.Contains(gots[i].Err, c.want[i].Err) || (gots[i].Err == "") != (c.want[i].Err == "") {
				t.Errorf("%s: row %d is %+v, want %+v", c.name, i, gots[i], c.want[i])
			}
		}
	}
}

// failer is what checkRows needs of a *testing.T and a *rapid.T.
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
}

// yielded is one yield of a read: a transaction or an error.
type yielded struct {
	Tx  Transaction
	Err string
}

// lineOf finds the line an error message names.
var lineOf = regexp.MustCompile(`line (\d+)`)

// checkRows reads input with ReadRows and with ReadTransactions, each with Keys of its
// own when opt has any, and fails unless the two yield the same transactions and
// errors in the same order and give the same keys the same ids. It also holds every
// row to what Row says: lines that grow, a good row's fields holding its customer and
// its time, an error's line the one its message names (a bad row's first) or 0. It
// returns the rows read, their fields copied, and their errors.
func checkRows(t failer, input string, opt ReadOptions) ([]Row, []error) {
	t.Helper()
	optR, optT := opt, opt
	if opt.Keys != nil {
		optR.Keys, optT.Keys = &Keys{}, &Keys{}
	}
	var want []yielded
	for tx, err := range ReadTransactions(strings.NewReader(input), &optT) {
		y := yielded{Tx: tx}
		if err != nil {
			y.Err = err.Error()
		}
		want = append(want, y)
	}
	// The defaults, to read the customer and the time back from a row's fields.
	pc, tc := opt.ProfileColumn, opt.TimeColumn
	if opt.ProfileColumn == 0 && opt.TimeColumn == 0 && opt.AmountColumn == 0 {
		tc = 1
	}
	layout, loc := opt.TimeLayout, opt.Location
	if layout == "" {
		layout = time.DateOnly
	}
	if loc == nil {
		loc = time.UTC
	}
	var got []yielded
	var rows []Row
	var errs []error
	last, stopped := 0, false
	for row, err := range ReadRows(strings.NewReader(input), &optR) {
		if stopped {
			t.Fatalf("the read went on after an error of no row\n%q", input)
		}
		y := yielded{Tx: row.Transaction}
		if err != nil {
			y.Err = err.Error()
		}
		got = append(got, y)
		row.Fields = slices.Clone(row.Fields) // the reader may reuse them
		rows, errs = append(rows, row), append(errs, err)
		if row.Line != 0 {
			if row.Line <= last {
				t.Fatalf("row on line %d after one on line %d\n%q", row.Line, last, input)
			}
			last = row.Line
		}
		if err != nil {
			if row.Transaction != (Transaction{}) || row.Fields != nil {
				t.Fatalf("error %v with row %+v, want its line only", err, row)
			}
			if row.Line == 0 {
				stopped = true // not a row's error: the read must end with it
				continue
			}
			m := lineOf.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error %v on line %d names no line", err, row.Line)
			}
			if n, _ := strconv.Atoi(m[1]); n < row.Line || errors.Is(err, ErrTooManyBad) && n != row.Line {
				t.Fatalf("error %v on line %d", err, row.Line)
			}
			continue
		}
		if row.Line < 1 || max(pc, tc) >= len(row.Fields) {
			t.Fatalf("row %+v: no line or too few fields\n%q", row, input)
		}
		id := strings.TrimSpace(row.Fields[pc])
		if opt.Keys != nil {
			if key, ok := optR.Keys.index[id]; !ok || key != row.Profile {
				t.Fatalf("row %+v: customer %q is not key %d\n%q", row, id, row.Profile, input)
			}
		} else if key, err := strconv.ParseUint(id, 10, 32); err != nil || uint32(key) != row.Profile {
			t.Fatalf("row %+v: customer %q is not profile %d\n%q", row, id, row.Profile, input)
		}
		if at, err := time.ParseInLocation(layout, strings.TrimSpace(row.Fields[tc]), loc); err != nil || !at.Equal(row.Time) {
			t.Fatalf("row %+v: time %q is not %v\n%q", row, row.Fields[tc], row.Time, input)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ReadRows and ReadTransactions differ (-ReadTransactions +ReadRows):\n%s\n%q", d, input)
	}
	if opt.Keys != nil && !slices.Equal(optR.Keys.ids, optT.Keys.ids) {
		t.Fatalf("keys %q and %q\n%q", optR.Keys.ids, optT.Keys.ids, input)
	}
	return rows, errs
}

// TestReadRowsAsReadTransactions: on any file (any separator, header, column order,
// customers good and bad, times and amounts good and bad, notes holding separators,
// quotes and line breaks, short and wide rows, bare quotes, blank lines, a byte order
// mark, CRLF), ReadRows yields what ReadTransactions yields, and every row it yields
// carries the line its row was written on and, when read, the fields written there.
func TestReadRowsAsReadTransactions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		comma := rapid.SampledFrom([]rune{',', ';', '\t', ' '}).Draw(t, "comma")
		space := comma == ' '
		opt := ReadOptions{Comma: comma, Header: rapid.Bool().Draw(t, "header"), Lenient: rapid.Bool().Draw(t, "lenient")}
		if rapid.Bool().Draw(t, "keys") {
			opt.Keys = &Keys{}
		}
		// Where the customer, the date, the amount and a note are.
		at := rapid.Permutation([]int{0, 1, 2, 3}).Draw(t, "columns")
		opt.ProfileColumn, opt.TimeColumn, opt.AmountColumn = at[0], at[1], at[2]
		// Each column's good values, then its bad ones: seven in eight values are good.
		good := [4][]string{{"c1", " c2", "ann@example.com"}, {"2025-01-02", " 2025-03-04 "}, {"1", "12.50", " 3 ", "12,50"}, {"", "x", "a,b", `say "hi"`, "two\nlines", "a;b\tc", "\n"}}
		bad := [4][]string{{"", "0", "x"}, {"2025-13-01", "", "0001-01-01", "2025-02-29"}, {"-1", "abc", "1e300", ""}, {"x"}}
		if opt.Keys == nil {
			good[0] = []string{"1", "0042", " 7 "}
		}
		if space { // runs of blanks separate fields, which hold none and cannot be empty
			good = [4][]string{{"c1", "ann@example.com", "0042"}, {"2025-01-02"}, {"1", "12.50", "12,50"}, {"x", "a,b", `say"hi"`}}
			bad = [4][]string{{"0", "x"}, {"2025-13-01", "0001-01-01"}, {"-1", "abc", "1e300"}, {"x"}}
			if opt.Keys == nil {
				good[0] = []string{"1", "0042"}
			}
		}
		value := func(k int) string {
			if rapid.IntRange(0, 7).Draw(t, "good") > 0 {
				return rapid.SampledFrom(good[k]).Draw(t, "value")
			}
			return rapid.SampledFrom(bad[k]).Draw(t, "value")
		}
		eol := rapid.SampledFrom([]string{"\n", "\r\n"}).Draw(t, "eol")
		var b strings.Builder
		if rapid.Bool().Draw(t, "bom") {
			b.WriteString("\ufeff")
		}
		line := 1
		// By the line a row starts on: the row's fields, nil if it splits into none.
		written := map[int][]string{}
		// write writes a row; bare is the field written with a bare quote, or -1.
		write := func(fields []string, bare int) {
			start := line
			for i, f := range fields {
				if i > 0 {
					if space {
						b.WriteString(rapid.SampledFrom([]string{" ", "\t", "   ", " \t"}).Draw(t, "blanks"))
					} else {
						b.WriteRune(comma)
					}
				} else if space && rapid.Bool().Draw(t, "indent") {
					b.WriteString(" ")
				}
				if !space && i != bare && (strings.ContainsAny(f, string(comma)+"\"\n") || rapid.Bool().Draw(t, "quote")) {
					f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
				}
				b.WriteString(f)
				line += strings.Count(f, "\n")
			}
			b.WriteString(eol)
			line++
			written[start] = fields
			if bare >= 0 {
				written[start] = nil
			}
		}
		if opt.Header {
			write([]string{"customer", "date", "amount", "note"}, -1)
		}
		for range rapid.IntRange(0, 12).Draw(t, "rows") {
			switch kind := rapid.IntRange(0, 5).Draw(t, "kind"); {
			case kind == 0: // blank
				b.WriteString(rapid.SampledFrom([]string{"", "  "}).Draw(t, "blank") + eol)
				line++
			case kind == 1 && !space: // a bare quote, on one line
				var row [4]string
				for k, c := range at {
					row[c] = value(k)
				}
				row[at[3]] = `x"y`
				write(row[:], at[3])
			default:
				var row [5]string
				for k, c := range at {
					row[c] = value(k)
				}
				row[4] = "9"
				if !space && rapid.Bool().Draw(t, "empty extra") {
					row[4] = "" // a separator at the row's end
				}
				write(row[:rapid.SampledFrom([]int{2, 3, 4, 4, 4, 4, 5}).Draw(t, "fields")], -1)
			}
		}
		input := b.String()
		if rapid.Bool().Draw(t, "no last eol") {
			input = strings.TrimSuffix(input, eol)
		}
		rows, errs := checkRows(t, input, opt)
		for i, row := range rows {
			if row.Line == 0 {
				continue
			}
			fields, ok := written[row.Line]
			if !ok {
				t.Fatalf("row %+v (%v): no row starts on line %d\n%q", row, errs[i], row.Line, input)
			}
			if errs[i] == nil && (fields == nil || !slices.Equal(row.Fields, fields)) {
				t.Fatalf("line %d: fields %q, written %q\n%q", row.Line, row.Fields, fields, input)
			}
		}
	})
}
