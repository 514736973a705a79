package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestLayoutHint: a date of a common form other than the default is answered with the
// -date-layout that reads it, both where day and month first read it; a Unix time is
// told that no layout reads it. The hint was "give their form with -date-layout, such
// as 01/02/2006 or 02.01.2006" whatever the date, which left a reader of
// "2025-03-01T10:00:00+02:00" to find Go's notation alone and sent one of 1740823200
// looking for a layout that does not exist.
func TestLayoutHint(t *testing.T) {
	for _, c := range []struct{ date, want string }{
		{"2025-03-01T10:00:00+02:00", "(that date reads with -date-layout 2006-01-02T15:04:05Z07:00)"},
		{"2025-03-01T10:00:00.250Z", "(that date reads with -date-layout 2006-01-02T15:04:05Z07:00)"},
		{"2025-03-01 10:00:00", `(that date reads with -date-layout "2006-01-02 15:04:05")`},
		{"01/03/2025", "(that date reads with -date-layout 02/01/2006 (day first: 1 March 2025) or 01/02/2006 (month first: 3 January 2025); give the one the file is written in)"},
		{"3/3/2025", "(that date reads with -date-layout 2/1/2006 (day first) or 1/2/2006 (month first); give the one the file is written in)"},
		{"13/03/2025", "(that date reads with -date-layout 02/01/2006 (day first))"},
		{"03/13/2025", "(that date reads with -date-layout 01/02/2006 (month first))"},
		{"01.03.2025", "(that date reads with -date-layout 02.01.2006)"},
		{"2025-3-1", "(that date reads with -date-layout 2006-1-2)"},
		// Shopify's "Created at", whose offset has no colon, got the hint that names
		// no layout.
		{"2025-03-01 10:12:44 +0100", `(that date reads with -date-layout "2006-01-02 15:04:05 -0700")`},
		{"2025-03-01T10:12:44+0100", "(that date reads with -date-layout 2006-01-02T15:04:05-0700)"},
		{"1740823200", "(that looks like a Unix time (seconds or milliseconds since 1970), which no -date-layout reads"},
		{"1740823200000", "looks like a Unix time"},
		{"32 Smarch 2025", "(if the dates are written otherwise, give their form with -date-layout, such as 01/02/2006 or 02.01.2006)"},
		// A header repeated where monthly exports were joined was sent looking for a
		// -date-layout.
		{"date", `("date" has no digit, so no -date-layout reads it: is the line a header, repeated where exports were joined into one file? Remove such lines, or skip them with -lenient)`},
	} {
		in := "customer,date,amount\nc1,2025-01-01,10\nc1,\"" + c.date + "\",12\n"
		err := run(&bytes.Buffer{}, strings.NewReader(in), config{format: "csv", header: true, unit: 24 * time.Hour})
		if err == nil || !strings.Contains(err.Error(), "line 3, column 4") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want line 3, column 4 and %q", c.date, err, c.want)
		}
	}
	// Each hint's layout reads the date it names.
	for _, d := range []string{"2025-03-01T10:00:00+02:00", "2025-03-01 10:00:00", "13/03/2025", "1 Mar 2025", "Mar 1, 2025", "20250301", "2025/03/01", "2025-03-01 10:12:44 +0100", "2025-03-01T10:12:44+0100"} {
		in := "customer,date,amount\nc1,\"" + d + "\",12\n"
		err := run(&bytes.Buffer{}, strings.NewReader(in), config{format: "csv", header: true, unit: 24 * time.Hour})
		h := layoutHint(err)
		_, layout, ok := strings.Cut(h, "-date-layout ")
		if !ok {
			t.Errorf("%q: no layout in %q", d, h)
			continue
		}
		layout, _, _ = strings.Cut(layout, " (")
		if _, err := time.Parse(strings.Trim(layout, `"`), d); err != nil {
			t.Errorf("%q: the hint's layout %s does not read it: %v", d, layout, err)
		}
	}
}

// TestLongUnit: with a unit much longer than the data (-unit 1000w over two years) the
// holdout and the tracking plot's times keep enough decimals to be told apart, and the
// plot's first column is as wide as the unit's name. Every time printed as 0.0 and the
// holdout as "0.0 1000w units".
func TestLongUnit(t *testing.T) {
	b, _ := twelveCustomers()
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 1000 * 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "holdout 0.0 ") {
		t.Errorf("holdout printed as 0.0:\n%s", got)
	}
	_, plot, _ := strings.Cut(got, "(the tracking plot):\n")
	lines := strings.Split(plot, "\n")
	if len(lines) < 7 || !strings.HasPrefix(lines[0], "  1000w units   actual") {
		t.Fatalf("tracking plot:\n%s", plot)
	}
	seen := map[string]bool{}
	for _, l := range lines[1:7] {
		f := strings.Fields(l)
		if len(f) == 0 || seen[f[0]] || strings.Trim(f[0], "0.") == "" {
			t.Errorf("time %q repeated or zero:\n%s", l, plot)
		}
		seen[f[0]] = true
		if !strings.HasPrefix(l, strings.Repeat(" ", 2+len("1000w units")-len(f[0]))+f[0]) {
			t.Errorf("row %q not aligned under the heading:\n%s", l, plot)
		}
	}
}

func TestDecimals(t *testing.T) {
	for v, want := range map[float64]int{39: 1, 0.5: 1, 0.1: 1, 0.05: 2, 0.009: 3, 1e-9: 6, 0: 1} {
		if got := decimals(v); got != want {
			t.Errorf("decimals(%v) = %d, want %d", v, got, want)
		}
	}
}

// TestRepeatedHeader: a file of exports joined with their headers stopped at the second
// header, sent looking for a -date-layout; it is asked whether the line is a repeated
// header, with -date-layout given too. Line 1 of a file read without -header is told
// to add -header, and nothing more.
func TestRepeatedHeader(t *testing.T) {
	month := "customer,date,amount\nc1,2025-01-01,10\nc2,2025-01-02,12\n"
	want := `line 4, column 10: time "date" does not match layout "2006-01-02" ("date" has no digit, so no -date-layout reads it: is the line a header, repeated where exports were joined into one file?`
	for _, layout := range []string{"", "2006-01-02"} {
		err := run(&bytes.Buffer{}, strings.NewReader(month+month), config{format: "csv", header: true, layout: layout, unit: 24 * time.Hour})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-date-layout %q: %v, want %q", layout, err, want)
		}
	}
	err := run(&bytes.Buffer{}, strings.NewReader(month), config{format: "csv", unit: 24 * time.Hour})
	if err == nil || !strings.HasSuffix(err.Error(), `time "date" does not match layout "2006-01-02" (if line 1 names the columns, add -header)`) {
		t.Errorf("line 1 without -header: %v", err)
	}
}
