package scoring

import (
	"errors"
	"strings"
	"testing"
)

// TestReadDecimalComma: "12,50" reads as 12.5 where it is one field, quoted in a
// comma-separated file or in a ';' export, as the Beam road reads it; it was refused.
// Commas that may be thousands separators are still refused, with the hint.
func TestReadDecimalComma(t *testing.T) {
	for _, c := range []struct {
		input string
		opt   ReadOptions
		want  []float64
	}{
		{"1,2025-01-01,\"12,50\"\n2,2025-01-02,\"0,5\"\n3,2025-01-03,7.25\n", ReadOptions{}, []float64{12.5, 0.5, 7.25}},
		{"profile;date;amount\n1;2025-01-01;12,50\n2;2025-01-02;\"3,99\"\n3;2025-01-03;1299,00\n", ReadOptions{Comma: ';', Header: true}, []float64{12.5, 3.99, 1299}},
		{"1\t2025-01-01\t12,5\n", ReadOptions{Comma: '\t'}, []float64{12.5}},
		{"1 2025-01-01 12,50\n", ReadOptions{Comma: ' '}, []float64{12.5}},
	} {
		got, err := readAll(c.input, c.opt)
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v, %v; want amounts %v", c.input, got, err, c.want)
			continue
		}
		for i, tx := range got {
			if tx.Amount != c.want[i] {
				t.Errorf("%q: transaction %d amount %v, want %v", c.input, i, tx.Amount, c.want[i])
			}
		}
	}
	hint := "a comma is read as a decimal comma only with one or two digits after it"
	for _, c := range []struct {
		input, where string
	}{
		{"1;2025-01-01;1,234\n", "line 1, column 14"},
		{"1;2025-01-01;1.234,50\n", "line 1, column 14"},
		{"1;2025-01-01;1,234.50\n", "line 1, column 14"},
		{"1;2025-01-01;12,505\n", "line 1, column 14"},
	} {
		got, err := readAll(c.input, ReadOptions{Comma: ';'})
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.where) || !strings.Contains(err.Error(), hint) || len(got) != strings.Count(c.input, "\n")-1 {
			t.Errorf("%q: %v, %v; want ErrSyntax at %s with %q", c.input, got, err, c.where, hint)
		}
	}
	// A currency sign before a decimal comma the reader reads is told of the sign
	// alone: the comma's advice sent the reader to rewrite a comma that was fine.
	in := "1;2025-01-01;5\n1;2025-01-02;€12,50\n"
	got, err := readAll(in, ReadOptions{Comma: ';'})
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line 2, column 14") || !strings.Contains(err.Error(), "without a currency sign") || strings.Contains(err.Error(), hint) || len(got) != 1 {
		t.Errorf("%q: %v, %v; want ErrSyntax at line 2, column 14 on the currency sign alone", in, got, err)
	}
}

// TestReadSplitDecimalComma: an unquoted decimal comma in a comma-separated file splits
// the amount in two fields; a row with more fields than the header (or the first row)
// whose amount and next field are its two halves is refused at the amount, saying so. It
// was read as 12, the cents dropped without a word.
func TestReadSplitDecimalComma(t *testing.T) {
	for _, c := range []struct {
		input string
		opt   ReadOptions
		want  string
	}{
		{"profile,date,amount\n1,2025-01-01,12,50\n", ReadOptions{Header: true},
			`line 2, column 14: amount 12,50 is split in two fields by the separator ',' (this row has 4 fields, the header 3): quote it, "12,50", or separate the fields with ';'`},
		{"1,2025-01-01,10\n2,2025-01-02,12,5\n", ReadOptions{},
			`line 2, column 14: amount 12,5 is split in two fields by the separator ',' (this row has 4 fields, the first row 3)`},
		// The amount before the date: the date's field holds the cents.
		{"profile,amount,date\n1,12,50,2025-01-01\n", ReadOptions{Header: true, ProfileColumn: 0, AmountColumn: 1, TimeColumn: 2},
			`line 2, column 3: amount 12,50 is split in two fields`},
	} {
		got, err := readAll(c.input, c.opt)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.want) || len(got) != strings.Count(c.input, "\n")-1-btoi(c.opt.Header) {
			t.Errorf("%q: %v, %v; want ErrSyntax with %q", c.input, got, err, c.want)
		}
	}
	// Extra columns the header names are data, and without a header nothing says how
	// wide a row is. (A row wider than the header with anything else in its extra
	// fields is refused: TestReadWiderRowRefused.)
	for _, c := range []struct {
		input string
		opt   ReadOptions
		want  float64
	}{
		{"profile,date,amount,quantity\n1,2025-01-01,12,50\n", ReadOptions{Header: true}, 12},
		{"1,2025-01-01,12,50\n", ReadOptions{}, 12}, // no header, first row: nothing says how wide a row is
	} {
		got, err := readAll(c.input, c.opt)
		if err != nil || len(got) != 1 || got[0].Amount != c.want {
			t.Errorf("%q: %v, %v; want amount %v", c.input, got, err, c.want)
		}
	}
	// A Lenient read reports the split row and goes on.
	var amounts []float64
	var errs int
	for tx, err := range ReadTransactions(strings.NewReader("profile,date,amount\n1,2025-01-01,12,50\n2,2025-01-02,\"12,50\"\n"), &ReadOptions{Header: true, Lenient: true}) {
		if err != nil {
			errs++
			continue
		}
		amounts = append(amounts, tx.Amount)
	}
	if errs != 1 || len(amounts) != 1 || amounts[0] != 12.5 {
		t.Errorf("Lenient: %d errors, amounts %v; want 1 error and [12.5]", errs, amounts)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
