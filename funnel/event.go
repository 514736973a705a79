package funnel

import (
	"fmt"
	"math"
	"time"
)

// Event is one thing a profile did: a visit, a signup, a purchase. Props carries the
// event's properties (channel, campaign, order id); it may be nil.
type Event struct {
	Profile uint32
	Time    time.Time
	Name    string
	Props   map[string]string
}

// Step is one stage of a funnel, or a condition of a retention or lifecycle rule. An
// event matches the step when Match returns true; a nil Match matches events whose Name
// equals the step's Name. Over a columnar Batch, Match is called once per distinct
// event name with an Event holding only that Name (not the batch's property columns).
type Step struct {
	Name  string
	Match func(Event) bool
	// Optional lets a conversion skip this step (never the first or the last step).
	// Counts at an optional step are of profiles that did it; conversion through it is
	// measured from the nearest earlier required step.
	Optional bool
	// Within, when positive, bounds the time from the previous step of the conversion
	// to this one (inclusive), on top of the Spec's Window.
	Within time.Duration
}

func (s Step) matches(e Event) bool {
	if s.Match != nil {
		return s.Match(e)
	}
	return e.Name == s.Name
}

func (s Step) label(i int) string {
	if s.Name != "" {
		return fmt.Sprintf("step %d (%q)", i+1, s.Name)
	}
	return fmt.Sprintf("step %d", i+1)
}

// Timestamps are held as Unix nanoseconds. int64 covers the years 1678 to 2262, but the
// difference of two such instants (a time to convert, a gap checked against a window)
// need not fit in an int64; within 1900-2189 every difference does (290 years < 2^63
// ns), so that is the range accepted. The bounds in nanoseconds are constants (a test
// holds them to the dates): a batch scan checks every event's time against them, and as
// constants the two comparisons compile to one, where variables were loaded each time.
var (
	minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2190, 1, 1, 0, 0, 0, 0, time.UTC)
)

const (
	minNano int64 = -2208988800000000000 // minTime.UnixNano()
	maxNano int64 = 6942585600000000000  // maxTime.UnixNano()
)

// noTime stands for "no instant" where a time in Unix nanoseconds may be absent: the
// latest event's time before any event was seen, an unset AsOf. 0 cannot serve: it is
// 1970-01-01, a time an event can have, and "latest event seen" starting at 0 took every
// event before 1970 for 1970. noTime lies below minNano, so max over event times
// ignores it and no event has it.
const noTime int64 = math.MinInt64

// instantIn is t (Unix nanoseconds) in loc, or the zero time.Time for noTime: the zero
// Time is how the package's results say "no end of observation" (Result.End,
// Table.End).
func instantIn(t int64, loc *time.Location) time.Time {
	if t == noTime {
		return time.Time{}
	}
	return time.Unix(0, t).In(loc)
}

// nanos converts t to Unix nanoseconds, rejecting the zero Time (an unset timestamp)
// and instants int64 nanoseconds cannot hold.
func nanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, fmt.Errorf("%w: zero time (unset timestamp)", ErrTimeRange)
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return 0, fmt.Errorf("%w: %s outside 1900-2189", ErrTimeRange, t.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}
