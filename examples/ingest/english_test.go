package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/tracking"
)

// TestOneMoreInEnglish: the lines saying what was left out count one thing in the
// singular. They printed "... and 1 more bad lines" (101 bad lines, 100 listed) and
// "... and 1 more profiles" (-profiles 1 of 2).
func TestOneMoreInEnglish(t *testing.T) {
	var in strings.Builder
	for range tracking.DefaultMaxErrors + 1 {
		in.WriteString("{bad\n")
	}
	for i := range 2 {
		fmt.Fprintf(&in, `{"type":"page","anonymousId":"a%d","timestamp":"2025-03-01T09:00:00Z"}`+"\n", i)
	}
	var out, problems bytes.Buffer
	if err := run(&out, &problems, strings.NewReader(in.String()), nil, testNow, options{profiles: 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(problems.String(), "... and 1 more malformed call, not shown\n") {
		t.Errorf("problems end:\n%s", problems.String()[max(0, problems.Len()-200):])
	}
	if !strings.Contains(out.String(), "... and 1 more profile, not shown") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestMoreMalformedCallsNotLines: what is left out of the list of problems is counted
// in calls, which is what the list holds (one per bad call of a batch): one line of 150
// bad calls ended "... and 50 more bad lines, not shown".
func TestMoreMalformedCallsNotLines(t *testing.T) {
	calls := strings.Repeat(`{"type":"track","userId":"u"},`, 150)
	in := `{"batch":[` + strings.TrimSuffix(calls, ",") + "]}\n"
	var out, problems bytes.Buffer
	if err := run(&out, &problems, strings.NewReader(in), nil, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(problems.String(), "\n... and 50 more malformed calls, not shown\n") || !strings.HasPrefix(out.String(), "read 1 line holding 150 calls: 0 applied, 150 malformed") {
		t.Errorf("problems end %q\noutput:\n%s", problems.String()[max(0, problems.Len()-80):], out.String())
	}
}

// TestSummaryCountsLinesAndCalls: the summary counts the lines and the calls they hold,
// so that a batch line of many calls adds up: a file of 3 lines said "read 3 lines: 2
// calls applied, 1500 malformed", more malformed than lines. One of each is singular.
func TestSummaryCountsLinesAndCalls(t *testing.T) {
	bad := func(n int) string {
		return `{"batch":[` + strings.TrimSuffix(strings.Repeat(`{"type":"track","userId":"u"},`, n), ",") + "]}\n"
	}
	page := `{"type":"page","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`
	for in, want := range map[string]string{
		bad(1000) + page + "\n" + bad(500) + page: "read 4 lines holding 1502 calls: 2 applied, 1500 malformed (reported with their line and column)\n",
		page:                                    "read 1 line holding 1 call: 1 applied, 0 malformed (reported with their line and column)\n",
		`{"batch":[` + page + "," + page + "]}": "read 1 line holding 2 calls: 2 applied, 0 malformed (reported with their line and column)\n",
	} {
		var out bytes.Buffer
		if err := run(&out, io.Discard, strings.NewReader(in), nil, testNow, options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("%.60q...: output\n%s\nwant it to start %q", in, out.String(), want)
		}
	}
}
