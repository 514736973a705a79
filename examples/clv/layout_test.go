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
		{"1740823200", "(that looks like a Unix time (seconds or milliseconds since 1970), which no -date-layout reads"},
		{"1740823200000", "looks like a Unix time"},
		{"garbage", "(if the dates are written otherwise, give their form with -date-layout, such as 01/02/2006 or 02.01.2006)"},
	} {
		in := "customer,date,amount\nc1,2025-01-01,10\nc1,\"" + c.date + "\",12\n"
		err := run(&bytes.Buffer{}, strings.NewReader(in), config{format: "csv", header: true, unit: 24 * time.Hour})
		if err == nil || !strings.Contains(err.Error(), "line 3, column 4") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want line 3, column 4 and %q", c.date, err, c.want)
		}
	}
	// Each hint's layout reads the date it names.
	for _, d := range []string{"2025-03-01T10:00:00+02:00", "2025-03-01 10:00:00", "13/03/2025", "1 Mar 2025", "Mar 1, 2025", "20250301", "2025/03/01"} {
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
