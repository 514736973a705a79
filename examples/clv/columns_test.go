package main

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestOtherLayouts reads one export written the ordinary way and again as a spreadsheet
// in another locale might write it (';' between fields, the columns in another order
// among others, dates as day/month/year), with -comma, -columns and -date-layout, by
// the header's names and by numbers: the output must be the same.
func TestOtherLayouts(t *testing.T) {
	data := orderExport(300, 1)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var other bytes.Buffer
	w := csv.NewWriter(&other)
	w.Comma = ';'
	w.Write([]string{"Order", "Total", "Note", "Date", "E-mail"})
	for i, r := range rows[1:] {
		day, err := time.Parse(time.DateOnly, r[1])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]string{itoa(i + 1), r[2], "a note; with \"quotes\"", day.Format("02/01/2006"), r[0]})
	}
	w.Flush()
	cfg := config{format: "csv", header: true, unit: 24 * time.Hour, top: 3}
	var want bytes.Buffer
	if err := run(&want, bytes.NewReader(data), cfg); err != nil {
		t.Fatal(err)
	}
	for _, columns := range []string{"e-mail, DATE ,total", "5,4,2"} {
		c := cfg
		c.comma, c.columns, c.layout = ';', columns, "02/01/2006"
		var got bytes.Buffer
		if err := run(&got, bytes.NewReader(other.Bytes()), c); err != nil {
			t.Fatalf("-columns %q: %v", columns, err)
		}
		if got.String() != want.String() {
			t.Errorf("-columns %q: output\n%s\nwant\n%s", columns, got.String(), want.String())
		}
	}
}

func TestColumnsErrors(t *testing.T) {
	shop := "Order,Created at,Email,Total\n1,2025-01-03,a@x.com,10.5\n"
	for _, c := range []struct {
		in   string
		cfg  config
		want string
	}{
		{"customer;date;amount\nc1;2025-01-01;10\n", config{header: true}, "add -comma ';'"},
		{"c1\t2025-01-01\t10\n", config{}, "add -comma 'tab'"},
		// A -comma given for a file of commas was told "no time field (column 2 of 1)"
		// and to add -header.
		{"c1,2025-01-01,10\n", config{comma: ';'}, `line 1 is a single column "c1,2025-01-01,10": are its fields separated by commas? Then leave -comma out`},
		{"customer,date,amount\nc1,2025-01-01,10\n", config{header: true, comma: '\t'}, "leave -comma out"},
		// A header naming the date's or the amount's column elsewhere than they are read
		// without -columns: the discounts were summed as the amounts, or the first date
		// failed with no word of the header.
		{"customer,date,discount,amount\nc1,2025-01-01,1,10\n", config{header: true}, `-header: line 1 names column 4 "amount", but without -columns the amount is read from column 3 ("discount"): add -columns 'customer,date,amount'`},
		{"Amount,Customer,Date\n10,c1,2025-01-01\n", config{header: true}, `line 1 names column 3 "Date", but without -columns the date is read from column 2 ("Customer"): add -columns 'Customer,Date,Amount'`},
		{"Order,Email,Date,Total\n1001,a@x.com,2025-01-01,10\n", config{header: true}, `names column 3 "Date", but without -columns the date is read from column 2 ("Email"): name the customer's, the date's and the amount's columns with -columns`},
		// Columns aligned by spaces were told "no time field ... add -header".
		{" 00004 0001 19970101  2   29.33\n", config{}, `line 1 is a single column " 00004 0001 19970101  2   29.33": are its fields separated by spaces? Then add -comma ' '`},
		{"customer   date       amount\nc1         2025-01-01 10\n", config{header: true}, "add -comma ' '"},
		{shop, config{header: true, columns: "email,when,total"}, `no column "when"; its columns are "Order", "Created at", "Email", "Total"`},
		{shop, config{columns: "email,created at,total"}, "add -header"},
		{shop, config{header: true, columns: "email,total"}, "want three columns"},
		{shop, config{header: true, columns: "3,0,4"}, "count from 1"},
		{shop, config{header: true, columns: "email,3,total"}, "three different columns"},
		{shop, config{header: true, columns: "9,2,4"}, "line 2"}, // no 9th column: the reader says where
		{shop, config{format: "cdnow", columns: "1,2,3"}, "for -format csv"},
		{strings.Repeat("a", 100<<10) + "\n", config{header: true, columns: "a,b,c"}, "line 1 is over 64 KB long"},
		// -header on a file without one would drop its first purchase without a word.
		{"c1,2025-01-01,10\nc1,2025-02-01,10\n", config{header: true}, `-header: line 1 is a purchase (date "2025-01-01", amount "10"), not the columns' names`},
		{"\n10.5;03/01/2025;a@x.com\n", config{header: true, comma: ';', columns: "3,2,1", layout: "02/01/2006"}, `-header: line 2 is a purchase`},
		// A decimal comma, which the reader takes, was no amount here.
		{"c1;2025-01-01;12,50\nc1;2025-02-01;10\n", config{header: true, comma: ';'}, `-header: line 1 is a purchase (date "2025-01-01", amount "12,50")`},
	} {
		if c.cfg.format == "" {
			c.cfg.format = "csv"
		}
		c.cfg.unit = 24 * time.Hour
		err := run(&bytes.Buffer{}, strings.NewReader(c.in), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %+v: error %v, want one mentioning %q", c.in, c.cfg, err, c.want)
		}
	}
}

// TestLeadingBlankLines: the reader skips blank lines, so the header of a file that
// starts with some is its first line that is not blank; -columns looked its names up in
// line 1, and said "line 1 has no column "id"; its columns are " with none listed.
func TestLeadingBlankLines(t *testing.T) {
	body := "id;when;total\r\n"
	for i := range 12 {
		days := []string{"01-0" + itoa(1+i%3), "01-2" + itoa(i%7), "03-0" + itoa(1+i%5), "03-1" + itoa(i%9)}
		for k, day := range days[:2+i%3] {
			body += "c" + itoa(i) + ";2025-" + day + ";" + itoa(10+i*k%7) + "\r\n"
		}
	}
	in := "\ufeff\r\n  \r\n" + body
	cfg := config{format: "csv", header: true, comma: ';', unit: 24 * time.Hour, top: 1}
	var want, got bytes.Buffer
	if err := run(&want, strings.NewReader(body), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.columns = "ID, when, total"
	if err := run(&got, strings.NewReader(in), cfg); err != nil || got.String() != want.String() {
		t.Errorf("-columns after blank lines: %v\n%s\nwant\n%s", err, got.String(), want.String())
	}
	// The hint about the separator names the line it read.
	cfg.comma = 0
	err := run(&bytes.Buffer{}, strings.NewReader(in), cfg)
	if err == nil || !strings.Contains(err.Error(), `line 3 is a single column "id;when;total"`) {
		t.Errorf("without -comma: %v, want line 3 named as a single column", err)
	}
}

func TestParseComma(t *testing.T) {
	for in, want := range map[string]rune{",": ',', ";": ';', "tab": '\t', `\t`: '\t', "|": '|', "§": '§'} {
		if got, err := parseComma(in); err != nil || got != want {
			t.Errorf("parseComma(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ";;", "ab", "\xff"} {
		if _, err := parseComma(in); err == nil {
			t.Errorf("parseComma(%q) accepted", in)
		}
	}
}

// FuzzCSVOptions: whatever the file's first line and the -columns and -order-column
// flags, choosing the columns returns an error or three distinct columns and an order
// column apart from them (or none, -1, without the flag), and hands the reader the
// input unchanged.
func FuzzCSVOptions(f *testing.F) {
	f.Add("Order,Created at,Email,Total\n1,2025-01-03,a@x.com,10.5\n", "email,created at,total", "order", true, ',')
	f.Add("customer;date;amount\n", "", "", true, ',')
	f.Add("\ufeff\"a\"\"b\",c\r\n", "1,2,3", "4", false, ';')
	f.Add("\ufeff\r\n \n\nid;when;total\r\n", "id,when,total", "When", true, ';')
	f.Fuzz(func(t *testing.T, in, columns, orderColumn string, header bool, comma rune) {
		if comma == '\n' || comma == '\r' || comma == '"' || comma == 0 || !utf8.ValidRune(comma) || comma == utf8.RuneError {
			return // separators parseComma or the reader refuses
		}
		opt, order, r, err := csvOptions(strings.NewReader(in), config{comma: comma, columns: columns, orderColumn: orderColumn, header: header})
		if err != nil {
			return
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != in {
			t.Fatalf("the reader gets %q, %v; want the input %q", got, err, in)
		}
		at := []int{opt.ProfileColumn, opt.TimeColumn, opt.AmountColumn}
		if columns != "" {
			if at[0] == at[1] || at[0] == at[2] || at[1] == at[2] || slices.Min(at) < 0 {
				t.Fatalf("columns %v from %q", at, columns)
			}
		} else {
			at = []int{0, 1, 2} // the reader's defaults
		}
		if (orderColumn == "") != (order == -1) || order < -1 || slices.Contains(at, order) {
			t.Fatalf("order column %d from %q, the others %v", order, orderColumn, at)
		}
	})
}
