package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRepeatedRows: rows that repeat an earlier row exactly (customer, time, amount) are
// still added to their day's purchase, which a file without order ids cannot tell from
// a second basket, but the report says how many there were and what to do if the
// export repeated them; it was silent. A file without one has no such line.
func TestRepeatedRows(t *testing.T) {
	base, _ := twelveCustomers()
	const line = "an earlier row exactly (same customer, time and amount)"
	for _, c := range []struct {
		name, extra string
		cfg         config
		want        string // the count's words; "" for no line
	}{
		{name: "none"},
		// Not repeats: another amount, another customer, another time of the same day.
		{name: "near misses", extra: "c1,2024-01-02,12.5\nc2,2024-01-02,11\nc9,2024-01-10,18\nc9,2024-01-11,19\n"},
		{name: "one", extra: "c1,2024-01-02,11\n", want: "1 row repeats " + line + " and is added to that day's purchase as another order; if the export repeated it, remove the repeats and run again"},
		// Far from the row it repeats, and written otherwise: the amount's zeros, the
		// time's offset.
		{name: "written otherwise", extra: "c3,2024-01-04,13.00\nc3,2024-01-04,13.0\nc5,2024-01-06,15\n", want: "3 rows repeat " + line + " and are added"},
		{name: "times", extra: "c1,2024-01-02T10:00:00Z,5\nc1,2024-01-02T11:00:00+01:00,5\nc1,2024-01-02T10:00:01Z,5\nc1,2024-01-02T10:00:00.5Z,5\nc1,2024-01-02T10:00:00.500Z,5\n" +
			"c2,2024-01-05T10:00:00.25Z,7\nc2,2024-01-05T10:00:00.250Z,7\n", // a day's first row with a fraction of a second
			cfg: config{layout: time.RFC3339Nano}, want: "3 rows repeat " + line},
	} {
		in := base.String()
		if c.cfg.layout != "" { // the same rows, with times
			var b strings.Builder
			for _, l := range strings.SplitAfter(in, "\n") {
				if f := strings.Split(l, ","); len(f) == 3 {
					fmt.Fprintf(&b, "%s,%sT00:00:00Z,%s", f[0], f[1], f[2])
				}
			}
			in = b.String()
		}
		in += c.extra
		c.cfg.format, c.cfg.unit, c.cfg.top = "csv", 24*time.Hour, 1
		var out bytes.Buffer
		if err := run(&out, strings.NewReader(in), c.cfg); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		lines := strings.Split(out.String(), "\n")
		switch {
		case c.want == "" && strings.Contains(out.String(), line):
			t.Errorf("%s: a line on repeated rows in a file without:\n%s", c.name, out.String())
		case c.want != "" && !strings.Contains(lines[1], c.want):
			t.Errorf("%s: want the second line to say %q:\n%s", c.name, c.want, out.String())
		}
	}
}

// TestRepeatedRowsOfABusyDay: past maxDayRows distinct rows of one customer's day,
// further rows are compared with the rows kept but not kept, so that no day keeps more;
// a repeat of a row not kept is missed, and the count says "at least".
func TestRepeatedRowsOfABusyDay(t *testing.T) {
	b, _ := twelveCustomers()
	for i := range maxDayRows + 2 { // two rows past the rows kept
		fmt.Fprintf(b, "c1,2024-01-02,%d\n", 100+i)
	}
	fmt.Fprintf(b, "c1,2024-01-02,%d\n", 100)              // a repeat of a row kept: counted
	fmt.Fprintf(b, "c1,2024-01-02,%d\n", 100+maxDayRows+1) // of a row not kept: missed
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 24 * time.Hour, top: 1}); err != nil {
		t.Fatal(err)
	}
	if want := "\nat least 1 row repeats an earlier row exactly"; !strings.Contains(out.String(), want) {
		t.Errorf("want %q in\n%s", want, out.String())
	}
}
