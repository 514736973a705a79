package funnel

import (
	"fmt"
	"time"

	"github.com/clientele-go/clientele/internal/civil"
)

// Period is a calendar unit for cohorts and growth accounting.
type Period uint8

const (
	// Day is a calendar day.
	Day Period = iota
	// Week is a week starting on Monday (ISO 8601).
	Week
	// Month is a calendar month.
	Month
)

// String returns "day", "week" or "month".
func (p Period) String() string {
	switch p {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return fmt.Sprintf("Period(%d)", uint8(p))
}

const nsPerDay = int64(24 * time.Hour)

// calendar numbers periods in a location: index(t) counts periods since 1970-01-01 (in
// months for Month), and start(i) is the instant period i begins.
type calendar struct {
	by  Period
	loc *time.Location
	utc bool
}

func newCalendar(by Period, loc *time.Location) (calendar, error) {
	if by > Month {
		return calendar{}, fmt.Errorf("%w: unknown period %d", ErrInvalid, by)
	}
	if loc == nil {
		loc = time.UTC
	}
	return calendar{by: by, loc: loc, utc: loc == time.UTC}, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// day returns the calendar day of t (Unix nanoseconds) in the location, as days since
// 1970-01-01.
func (c calendar) day(t int64) int64 {
	if c.utc {
		return floorDiv(t, nsPerDay)
	}
	y, m, d := time.Unix(0, t).In(c.loc).Date()
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

func (c calendar) index(t int64) int64 {
	switch c.by {
	case Week:
		// 1970-01-01 was a Thursday: shift so that weeks begin on Monday.
		return floorDiv(c.day(t)+3, 7)
	case Month:
		y, m, _ := time.Unix(0, t).In(c.loc).Date()
		return int64(y)*12 + int64(m) - 1
	}
	return c.day(t)
}

func (c calendar) start(i int64) time.Time {
	switch c.by {
	case Week:
		d := time.Unix((i*7-3)*86400, 0).UTC()
		return civil.Midnight(d.Year(), d.Month(), d.Day(), c.loc)
	case Month:
		return civil.Midnight(int(floorDiv(i, 12)), time.Month(i-floorDiv(i, 12)*12+1), 1, c.loc)
	}
	d := time.Unix(i*86400, 0).UTC()
	return civil.Midnight(d.Year(), d.Month(), d.Day(), c.loc)
}
