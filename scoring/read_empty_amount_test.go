package scoring

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReadEmptyAmount: with EmptyAmount, a row without an amount is asked about with
// its line, fields, time and the customer's key if it has one, and skipped when the
// answer is yes: neither yielded nor a bad line, so that 150 item rows of an order
// export (Shopify's, whose later rows of an order leave its total empty) do not stop
// even a Lenient read at MaxBadLines. Without it each is "empty amount", and the read
// stopped past the hundredth.
func TestReadEmptyAmount(t *testing.T) {
	var b strings.Builder
	b.WriteString("order,customer,date,amount\n")
	for i := range 150 {
		fmt.Fprintf(&b, "#%d,c%d,2025-03-%02d,12.50\n", i, i%5, 1+i%28)
		fmt.Fprintf(&b, "#%d,c%d,2025-03-%02d,\n", i, i%5, 1+i%28) // line 2i+3
	}
	b.WriteString("#999,new,2025-04-01, \n") // line 302: a customer without a key yet
	opt := ReadOptions{Header: true, ProfileColumn: 1, TimeColumn: 2, AmountColumn: 3, Keys: &Keys{}, Lenient: true}

	var errs []error
	rows := 0
	for _, err := range ReadRows(strings.NewReader(b.String()), &opt) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows++
	}
	if rows == 150 || len(errs) != MaxBadLines+1 || !errors.Is(errs[len(errs)-1], ErrTooManyBad) {
		t.Errorf("without EmptyAmount: %d rows, %d errors (the last %v), want the read stopped past %d", rows, len(errs), errs[len(errs)-1], MaxBadLines)
	}

	type asked struct {
		line    int
		order   string
		profile uint32
		time    time.Time
	}
	var got []asked
	opt.Keys = &Keys{}
	opt.EmptyAmount = func(r Row) bool {
		got = append(got, asked{r.Line, r.Fields[0], r.Profile, r.Time})
		return r.Profile != 0
	}
	errs, rows = nil, 0
	for row, err := range ReadRows(strings.NewReader(b.String()), &opt) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if row.Amount != 12.5 {
			t.Errorf("line %d yielded with amount %g", row.Line, row.Amount)
		}
		rows++
	}
	if rows != 150 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "line 302, column 21: empty amount") {
		t.Errorf("with EmptyAmount: %d rows, errors %v; want 150 rows and line 302's empty amount alone", rows, errs)
	}
	if len(got) != 151 {
		t.Fatalf("asked about %d rows, want 151", len(got))
	}
	for i, a := range got[:150] {
		want := asked{2*i + 3, fmt.Sprintf("#%d", i), uint32(i%5 + 1), time.Date(2025, 3, 1+i%28, 0, 0, 0, 0, time.UTC)}
		if a != want {
			t.Errorf("asked %+v, want %+v", a, want)
		}
	}
	if a := got[150]; a.line != 302 || a.profile != 0 {
		t.Errorf("the new customer's row: asked %+v, want line 302 and profile 0", a)
	}
	if n := opt.Keys.Len(); n != 5 {
		t.Errorf("%d keys, want 5: a row without an amount gives its customer none", n)
	}

	// Without Keys, the id read as a key, or 0.
	var profiles []uint32
	plain := ReadOptions{EmptyAmount: func(r Row) bool { profiles = append(profiles, r.Profile); return true }}
	for _, err := range ReadRows(strings.NewReader("7,2025-01-01,5\n7,2025-01-01,\nx,2025-01-01,\n"), &plain) {
		if err != nil {
			t.Errorf("without Keys: %v", err)
		}
	}
	if len(profiles) != 2 || profiles[0] != 7 || profiles[1] != 0 {
		t.Errorf("without Keys: asked with profiles %v, want [7 0]", profiles)
	}
}
