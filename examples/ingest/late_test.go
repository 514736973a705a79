package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestFutureCallWarned: the audiences are counted at the latest call's time, so one call
// dated in the future (a device's clock in 2200) moves every window there; it did so
// without a word but the "audiences at" line. It is warned of with its line, its time
// and what it does to the audiences, and the audiences are counted as before unless -at
// says when. A call later than the clock on the clock's day (UTC) moves no window: no
// warning.
func TestFutureCallWarned(t *testing.T) {
	call := func(user, when string) string {
		return `{"type":"track","event":"e","userId":"` + user + `","timestamp":"` + when + `"}` + "\n"
	}
	clock := time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, in string
		at       time.Time
		problems string
		audience string
	}{{
		"one from the future",
		call("u1", "2025-03-01T09:00:00Z") + call("u2", "2200-01-01T00:00:00Z") + call("u3", "2025-03-02T09:00:00Z"),
		time.Time{},
		"warning: line 2: a call dated 2200-01-01T00:00:00Z, on a day after this run's clock (2025-03-02T12:00:00Z): the audiences are counted at the latest call's time, this one's, so every window ends on 2200-01-01 (did(e, 30d) leaves out the calls before 2199-12-03); -at 2025-03-02T12:00:00Z counts them at the run's clock\n",
		"audiences at 2200-01-01T00:00:00Z (line 2's call, dated after this run's clock: see the warning), of the 3 profiles with an event: did e 3 did(e) month 1 did(e, 30d)",
	}, {
		"two, the latest named",
		call("u1", "2025-03-03T09:00:00+02:00") + call("u2", "2200-01-01T00:00:00+01:00") + call("u3", "2025-03-02T09:00:00Z"),
		time.Time{},
		"warning: line 2: a call dated 2199-12-31T23:00:00Z, on a day after this run's clock (2025-03-02T12:00:00Z), as 2 calls in all are: the audiences are counted at the latest call's time, this one's, so every window ends on 2199-12-31 (did(e, 30d) leaves out the calls before 2199-12-02); -at 2025-03-02T12:00:00Z counts them at the run's clock\n",
		"audiences at 2199-12-31T23:00:00Z (line 2's call, dated after this run's clock: see the warning), of the 3 profiles with an event: did e 3 did(e) month 1 did(e, 30d)",
	}, {
		"counted at -at",
		call("u1", "2025-03-01T09:00:00Z") + call("u2", "2200-01-01T00:00:00Z") + call("u3", "2025-03-02T09:00:00Z"),
		time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC),
		"warning: line 2: a call dated 2200-01-01T00:00:00Z, on a day after -at (2025-03-02T00:00:00Z): the audiences, counted at -at, leave it out\n",
		"audiences at 2025-03-02T00:00:00Z, of the 3 profiles with an event: did e 2 did(e) month 2 did(e, 30d)",
	}, {
		"later than the clock, on its day",
		call("u1", "2025-03-01T09:00:00Z") + call("u2", "2025-03-02T23:59:59Z"),
		time.Time{},
		"",
		"audiences at 2025-03-02T23:59:59Z, of the 2 profiles with an event: did e 2 did(e) month 2 did(e, 30d)",
	}} {
		var out, problems bytes.Buffer
		if err := run(&out, &problems, strings.NewReader(c.in), queries{{"month", "did(e, 30d)"}}, clock, options{at: c.at}); err != nil {
			t.Fatal(err)
		}
		_, audiences, _ := strings.Cut(out.String(), "audiences at")
		if got := strings.Join(strings.Fields("audiences at"+audiences), " "); problems.String() != c.problems || got != c.audience {
			t.Errorf("%s: problems\n%s\nwant\n%s\naudiences\n%s\nwant\n%s", c.name, problems.String(), c.problems, got, c.audience)
		}
	}
}

// TestAtFlag: -at takes an RFC 3339 time or a date, its start in UTC, and refuses
// anything else, or a time outside the years the SDK's times hold, saying what it
// wants.
func TestAtFlag(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2025-03-02":                time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC),
		"2025-03-02T10:00:00-05:00": time.Date(2025, 3, 2, 15, 0, 0, 0, time.UTC),
		" 2025-03-02T10:00:00Z ":    time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC),
	} {
		var got time.Time
		if err := (instant{&got}).Set(in); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "2025-03-02 10:00", "0001-01-01T00:00:00Z", "2025-13-01", "0001-01-02", "2263-01-01"} {
		var got time.Time
		err := (instant{&got}).Set(in)
		if err == nil || !strings.Contains(err.Error(), "want an RFC 3339 time (2025-03-01T12:00:00Z) or a date (2025-03-01, its start in UTC) in the years 1678 to 2262") || !got.IsZero() {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
}
