// Package civil holds the calendar arithmetic segment and funnel share: where a day
// begins in a time zone.
package civil

import "time"

// Midnight returns the first instant of the date y-m-d in loc. Where the clocks go
// forward at midnight itself (Atlantic/Azores, America/Santiago, America/Havana), there
// is no 00:00, and time.Date may give 23:00 of the day before: a day or a period that
// began there would take in the last hour of the day before and carry its date. The day
// then begins when the skipped hour ends.
func Midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Day() != d {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	}
	return t
}
