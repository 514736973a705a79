package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestEventsShown: the events' audiences are listed up to -events, those of the most
// calls, in name order, and the rest counted in one line, before the queries' rows; one
// row per distinct event, unbounded, printed a 50,005-line report for 50,000 names.
func TestEventsShown(t *testing.T) {
	var in strings.Builder
	// e1 is carried by 1 call, e2 by 2, ... e5 by 5.
	for e := 1; e <= 5; e++ {
		for i := range e {
			fmt.Fprintf(&in, `{"type":"track","event":"e%d","userId":"u%d","timestamp":"2025-03-01T09:00:00Z"}`+"\n", e, i)
		}
	}
	for _, c := range []struct {
		events int
		qs     queries
		want   string
	}{
		{2, nil, "did e4 4 did(e4) did e5 5 did(e5) ... and 3 more events of at most 3 calls each, not shown (-events 0 shows all)"},
		{4, queries{{"q", "did(e1)"}}, "did e2 2 did(e2) did e3 3 did(e3) did e4 4 did(e4) did e5 5 did(e5) ... and 1 more event of at most 1 call each, not shown (-events 0 shows all) q 1 did(e1)"},
		{0, nil, "did e1 1 did(e1) did e2 2 did(e2) did e3 3 did(e3) did e4 4 did(e4) did e5 5 did(e5)"},
		{5, nil, "did e1 1 did(e1) did e2 2 did(e2) did e3 3 did(e3) did e4 4 did(e4) did e5 5 did(e5)"},
	} {
		var out bytes.Buffer
		if err := run(&out, io.Discard, strings.NewReader(in.String()), c.qs, testNow, options{events: c.events}); err != nil {
			t.Fatal(err)
		}
		_, rows, _ := strings.Cut(out.String(), "with an event:\n")
		if got := strings.Join(strings.Fields(rows), " "); got != c.want {
			t.Errorf("-events %d: rows\n%s\nwant %s", c.events, rows, c.want)
		}
	}
	// A report of 5,000 event names, each of one call, keeps to the default.
	in.Reset()
	for i := range 5000 {
		fmt.Fprintf(&in, `{"type":"track","event":"evt-%d","userId":"u","timestamp":"2025-03-01T09:00:00Z"}`+"\n", i)
	}
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(in.String()), nil, testNow, defaults); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n  did evt-"); got != defaults.events || !strings.HasSuffix(out.String(), "\n  ... and 4900 more events of at most 1 call each, not shown (-events 0 shows all)\n") {
		t.Errorf("%d rows of events; output ends %q", got, out.String()[max(0, out.Len()-200):])
	}
}

// TestNegativeEvents: -events -1 is refused before the input is read, as -profiles -1
// is.
func TestNegativeEvents(t *testing.T) {
	var out bytes.Buffer
	err := run(&out, io.Discard, strings.NewReader(`{"type":"page","userId":"u1"}`+"\n"), nil, testNow, options{events: -1})
	if err == nil || err.Error() != "-events -1: want how many events to list, 0 for all" || out.Len() > 0 {
		t.Errorf("-events -1: %v\n%s", err, out.String())
	}
}
