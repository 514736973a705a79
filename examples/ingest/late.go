package main

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The audiences are counted at the latest call's time, the data's own "now", so that a
// file exported last month is counted as of its end. One call dated in the future (a
// device whose clock says 2200) moves that instant, and every window with it: each
// ends on that call's day and holds none of the calls of the present. A call on a day
// after the run's clock is said, with its line and what it does to the audiences, and
// -at counts them at an instant of the reader's choosing.

// late follows the calls dated on a day after ref's (the run's clock, or -at), the
// days (UTC) the index counts in.
type late struct {
	ref   time.Time
	calls int // calls dated on a day after ref's
}

// note counts a call at t.
func (l *late) note(t time.Time) {
	if day(t).After(day(l.ref)) {
		l.calls++
	}
}

// warning says what the late calls do to the audiences, given the latest call and its
// line: counted at its time, they move with it; counted at -at's (byAt), they leave
// the late calls out. It is "" when no call is late.
func (l *late) warning(line int, latest time.Time, byAt bool) string {
	if l.calls == 0 {
		return ""
	}
	all, them := "", "it"
	if l.calls > 1 {
		all, them = fmt.Sprintf(", as %d calls in all are", l.calls), "them"
	}
	if byAt {
		return fmt.Sprintf("warning: line %d: a call dated %s, on a day after -at (%s)%s: the audiences, counted at -at, leave %s out", line, latest.UTC().Format(time.RFC3339), l.ref.UTC().Format(time.RFC3339), all, them)
	}
	end := day(latest)
	return fmt.Sprintf("warning: line %d: a call dated %s, on a day after this run's clock (%s)%s: the audiences are counted at the latest call's time, this one's, so every window ends on %s (did(e, 30d) leaves out the calls before %s); -at %s counts them at the run's clock",
		line, latest.UTC().Format(time.RFC3339), l.ref.UTC().Format(time.RFC3339), all, end.Format(time.DateOnly), end.AddDate(0, 0, -29).Format(time.DateOnly), l.ref.UTC().Format(time.RFC3339))
}

// day is the day of t in UTC, where the index puts its days.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// instant is the -at flag: an RFC 3339 time, or a date (its start, UTC).
type instant struct{ t *time.Time }

func (a instant) String() string {
	if a.t == nil || a.t.IsZero() {
		return ""
	}
	return a.t.UTC().Format(time.RFC3339)
}

func (a instant) Set(s string) error {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	// The SDK's times are int64 nanoseconds since 1970 (as tracking refuses a call's
	// time beyond them): a time that does not round-trip is out of their range.
	if err != nil || !time.Unix(0, t.UnixNano()).Equal(t) {
		return errors.New("want an RFC 3339 time (2025-03-01T12:00:00Z) or a date (2025-03-01, its start in UTC) in the years 1678 to 2262")
	}
	*a.t = t
	return nil
}
