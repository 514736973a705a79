package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
)

// TestOddYears: purchases dated before 1970 or after the year after the run's (typos
// such as 1900 or 2199) are read as written, and the report's head warns of them with
// their count and the first one's line. They were taken without a word, and the first
// line's "1900-01-01 to 2199-01-01" was all that showed them.
func TestOddYears(t *testing.T) {
	b, _ := twelveCustomers()
	lines := strings.Count(b.String(), "\n")
	b.WriteString("c3,1970-01-01,5\n") // the first year taken
	b.WriteString("c5,2027-12-31,5\n") // the run's year + 1, the last one taken
	b.WriteString("c1,1900-03-01,12\n")
	b.WriteString("c2,2199-01-01,12\n")
	b.WriteString("c2,1969-12-31,12\n")
	cfg := config{format: "csv", unit: 7 * 24 * time.Hour, top: 0,
		clock: clientele.FixedClock(time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC))}
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), cfg); err != nil {
		t.Fatal(err)
	}
	want := "warning: 3 purchases are dated before 1970 or after 2027, the first on line " + itoa(lines+3) +
		" (1900-03-01): mistyped years? They are read as written, and the data's span and every customer's T run to them\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("no warning\n%s\nin\n%s", want, out.String())
	}
	if !strings.Contains(out.String(), "1900-03-01 to 2199-01-01") {
		t.Errorf("the purchases were not read as written:\n%s", out.String())
	}

	// One alone.
	b, _ = twelveCustomers()
	b.WriteString("c1,2199-01-01,12\n")
	out.Reset()
	if err := run(&out, strings.NewReader(b.String()), cfg); err != nil {
		t.Fatal(err)
	}
	want = "warning: 1 purchase is dated before 1970 or after 2027, the first on line " + itoa(lines+1) +
		" (2199-01-01): a mistyped year? It is read as written, and the data's span and every customer's T run to it\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("no warning\n%s\nin\n%s", want, out.String())
	}

	// None: no line.
	b, _ = twelveCustomers()
	out.Reset()
	if err := run(&out, strings.NewReader(b.String()), cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "warning") {
		t.Errorf("a warning without a purchase out of range:\n%s", out.String())
	}
}
