package segment

import (
	"math"
	"time"

	"github.com/clientele-go/clientele/internal/civil"
)

// dayCache turns instants into day numbers, remembering the last day's bounds so that a
// batch of events from the same day costs one time-zone lookup.
type dayCache struct {
	start, end int64 // Unix seconds of the cached day's [start, end)
	d          int32
	ok         bool
}

func (c *dayCache) day(t time.Time, loc *time.Location) int32 {
	s := t.Unix()
	if c.ok && s >= c.start && s < c.end {
		return c.d
	}
	if loc == time.UTC {
		d := floorDiv(s, 86400)
		c.d, c.start, c.end, c.ok = clampDay(d), d*86400, d*86400+86400, d == int64(clampDay(d))
		return c.d
	}
	y, m, dd := t.In(loc).Date()
	c.d = dayNumber(y, m, dd)
	next := time.Date(y, m, dd+1, 0, 0, 0, 0, time.UTC)
	start := civil.Midnight(y, m, dd, loc)
	end := civil.Midnight(next.Year(), next.Month(), next.Day(), loc)
	c.start, c.end, c.ok = start.Unix(), end.Unix(), true
	return c.d
}

// dayOf returns the day number of t in loc: days since 1970-01-01 in loc's calendar.
func dayOf(t time.Time, loc *time.Location) int32 {
	if loc == time.UTC {
		return clampDay(floorDiv(t.Unix(), 86400))
	}
	y, m, d := t.In(loc).Date()
	return dayNumber(y, m, d)
}

// dayNumber returns the days from 1970-01-01 to the civil date y-m-d.
func dayNumber(y int, m time.Month, d int) int32 {
	return clampDay(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400))
}

// dayTime returns the start of day d in loc.
func dayTime(d int32, loc *time.Location) time.Time {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return civil.Midnight(t.Year(), t.Month(), t.Day(), loc)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// clampDay keeps day numbers inside int32, a range of ±5.8 million years; instants
// beyond it land on its ends.
func clampDay(d int64) int32 {
	return int32(min(max(d, math.MinInt32+1), math.MaxInt32))
}
