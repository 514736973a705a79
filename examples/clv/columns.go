package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/amount"
	"github.com/clientele-go/clientele/scoring"
)

// parseComma reads -comma: one character, or "tab".
func parseComma(v string) (rune, error) {
	if strings.EqualFold(v, "tab") || v == `\t` {
		return '\t', nil
	}
	if r, n := utf8.DecodeRuneInString(v); n == len(v) && r != utf8.RuneError {
		return r, nil
	}
	return 0, fmt.Errorf("want one character (or tab), got %q", v)
}

// csvOptions are the reader's options for -format csv: the separator, the date layout
// and, with -columns, the columns of the customer, the date and the amount, found by
// their names in the header line (-header) or given as numbers from 1. With
// -order-column it also returns the order id's column, found the same way (from 0;
// -1 without the flag). r is returned with what was read of it put back, so that the
// reader's line numbers stay the file's.
func csvOptions(r io.Reader, cfg config) (scoring.ReadOptions, int, io.Reader, error) {
	opt := scoring.ReadOptions{Comma: cfg.comma, Header: cfg.header, TimeLayout: cfg.layout}
	if opt.Comma == 0 {
		opt.Comma = ','
	}
	// The first line that is not blank is the header, as the reader skips blank lines;
	// it is peeked at within the reader's buffer: a file of one endless line is left to
	// the reader, which bounds lines and says so. The lines peeked at are put back.
	br := bufio.NewReaderSize(r, 64<<10)
	var peeked []byte
	var line string
	lineNo, long := 0, false
	for {
		peek, err := br.ReadSlice('\n')
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return opt, -1, nil, err
		}
		peeked = append(peeked, peek...)
		lineNo++
		if long = err == bufio.ErrBufferFull; long {
			line = ""
			break
		}
		line = strings.TrimRight(string(peek), "\r\n")
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		// Past 64 KB of blank lines this is no header: leave it to the reader.
		if strings.TrimSpace(line) != "" || err == io.EOF || len(peeked) > br.Size() {
			break
		}
	}
	r = io.MultiReader(bytes.NewReader(peeked), br)
	var names []string
	if line != "" {
		cr := csv.NewReader(strings.NewReader(line))
		cr.Comma, cr.LazyQuotes = opt.Comma, true
		names, _ = cr.Read()
	}
	// A file whose first line is one field holding another separator was written with
	// that separator (a spreadsheet in a locale whose decimal mark is the comma writes
	// ';'): say so rather than fail on the first date.
	if len(names) == 1 {
		for _, sep := range []string{";", "\t", "|"} {
			if strings.Contains(line, sep) && !strings.ContainsRune(sep, opt.Comma) {
				if sep == "\t" {
					sep = "tab"
				}
				return opt, -1, nil, fmt.Errorf("line %d is a single column %q: are its fields separated by %s? Then add -comma '%s'", lineNo, line, sep, sep)
			}
		}
		// A -comma given out of habit for a file of commas was told "no time field
		// (column 2 of 1)" and to add -header.
		if opt.Comma != ',' && strings.Contains(line, ",") {
			return opt, -1, nil, fmt.Errorf("line %d is a single column %q: are its fields separated by commas? Then leave -comma out (',' is the default)", lineNo, line)
		}
		// Columns aligned by spaces, as in the CDNOW sample read without -format cdnow:
		// the reader's "no time field", with the hint to add -header, misled.
		if fields := strings.Fields(line); len(fields) >= 3 && opt.Comma != ' ' {
			return opt, -1, nil, fmt.Errorf("line %d is a single column %q: are its fields separated by spaces? Then add -comma ' ' (runs of spaces and tabs), and -columns to pick the customer's, the date's and the amount's; the CDNOW sample's layout is -format cdnow", lineNo, line)
		}
	}
	// column finds the column value names for flag, by its name in the header line or
	// by its number from 1.
	column := func(flag, value, w string) (int, error) {
		w = strings.TrimSpace(w)
		if n, err := strconv.Atoi(w); err == nil {
			if n < 1 || n > 1<<16 {
				return 0, fmt.Errorf("%s %q: column %d: columns count from 1", flag, value, n)
			}
			return n - 1, nil
		}
		if !cfg.header {
			return 0, fmt.Errorf("%s %q: %q is a name, and names are looked up in a header line: add -header, or give the columns' numbers (from 1)", flag, value, w)
		}
		if long {
			return 0, fmt.Errorf("%s %q: line %d is over %d KB long, not a header line", flag, value, lineNo, br.Size()>>10)
		}
		i := indexFold(names, w)
		if i < 0 {
			return 0, fmt.Errorf("%s %q: line %d has no column %q; its columns are %s", flag, value, lineNo, w, quoteAll(names))
		}
		return i, nil
	}
	if cfg.columns != "" {
		want := strings.Split(cfg.columns, ",")
		if len(want) != 3 {
			return opt, -1, nil, fmt.Errorf("-columns %q: want three columns, customer,date,amount", cfg.columns)
		}
		var at [3]int
		for k, w := range want {
			var err error
			if at[k], err = column("-columns", cfg.columns, w); err != nil {
				return opt, -1, nil, err
			}
		}
		if at[0] == at[1] || at[0] == at[2] || at[1] == at[2] {
			return opt, -1, nil, errors.New("-columns: the customer, the date and the amount must be three different columns")
		}
		opt.ProfileColumn, opt.TimeColumn, opt.AmountColumn = at[0], at[1], at[2]
	}
	if err := namedElsewhere(cfg, names, lineNo); err != nil {
		return opt, -1, nil, err
	}
	order := -1
	if cfg.orderColumn != "" {
		var err error
		if order, err = column("-order-column", cfg.orderColumn, cfg.orderColumn); err != nil {
			return opt, -1, nil, err
		}
		pc, tc, ac := opt.ProfileColumn, opt.TimeColumn, opt.AmountColumn
		if pc == 0 && tc == 0 && ac == 0 {
			tc, ac = 1, 2 // the reader's defaults
		}
		for k, c := range []int{pc, tc, ac} {
			if order == c {
				return opt, -1, nil, fmt.Errorf("-order-column %q: column %d is the %s's; the order id is a column of its own", cfg.orderColumn, order+1, []string{"customer", "date", "amount"}[k])
			}
		}
	}
	return opt, order, r, transactionAsHeader(cfg, opt, names, lineNo)
}

// namedElsewhere refuses a header that names the date's or the amount's column
// somewhere other than where, without -columns, they are read (the second and third
// columns): "customer,date,discount,amount" had its discounts summed as the amounts,
// and "amount,customer,date" failed on its first date with no word of the header.
func namedElsewhere(cfg config, names []string, line int) error {
	if !cfg.header || cfg.columns != "" {
		return nil
	}
	want := []string{"customer", "date", "amount"}
	at := make([]int, len(want))
	for k, w := range want {
		at[k] = indexFold(names, w)
	}
	for k := 1; k < len(want); k++ {
		if at[k] < 0 || at[k] == k {
			continue
		}
		hint := "name the customer's, the date's and the amount's columns with -columns"
		if !slices.Contains(at, -1) {
			hint = fmt.Sprintf("add -columns '%s,%s,%s'", strings.TrimSpace(names[at[0]]), strings.TrimSpace(names[at[1]]), strings.TrimSpace(names[at[2]]))
		}
		read := ""
		if k < len(names) {
			read = fmt.Sprintf(" (%q)", strings.TrimSpace(names[k]))
		}
		return fmt.Errorf("-header: line %d names column %d %q, but without -columns the %s is read from column %d%s: %s", line, at[k]+1, strings.TrimSpace(names[at[k]]), want[k], k+1, read, hint)
	}
	return nil
}

// transactionAsHeader refuses -header when the line it would skip reads as a
// transaction (a date and an amount where the columns are): no header holds those, and
// the reader would drop the file's first purchase without a word.
func transactionAsHeader(cfg config, opt scoring.ReadOptions, names []string, line int) error {
	if !cfg.header || len(names) == 0 {
		return nil
	}
	tc, ac := opt.TimeColumn, opt.AmountColumn
	if opt.ProfileColumn == 0 && tc == 0 && ac == 0 {
		tc, ac = 1, 2 // the reader's defaults
	}
	if tc >= len(names) || ac >= len(names) {
		return nil
	}
	layout := cmp.Or(opt.TimeLayout, time.DateOnly)
	if _, err := time.Parse(layout, strings.TrimSpace(names[tc])); err != nil {
		return nil
	}
	// The reader's amounts, a decimal comma among them: ParseFloat took "1e3" but not
	// "12,50", and a ';' export's first purchase was skipped as the header.
	if _, err := amount.Parse(names[ac], &amount.Signed); err != nil {
		return nil
	}
	return fmt.Errorf("-header: line %d is a purchase (date %q, amount %q), not the columns' names: leave -header out, or the purchase is skipped", line, strings.TrimSpace(names[tc]), strings.TrimSpace(names[ac]))
}

// indexFold is the index of the name equal to w, ignoring case and surrounding space,
// or -1.
func indexFold(names []string, w string) int {
	for i, n := range names {
		if strings.EqualFold(strings.TrimSpace(n), w) {
			return i
		}
	}
	return -1
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
