package civil

import (
	"testing"
	"time"
)

// TestMidnight: on 2024-03-31 the Azores' clocks go from 00:00 (UTC-1) straight to
// 01:00 (UTC+0), so the day begins at 01:00 local, 01:00 UTC; the day before begins at
// 00:00 local, also 01:00 UTC; in UTC a day begins at 00:00.
func TestMidnight(t *testing.T) {
	azores, err := time.LoadLocation("Atlantic/Azores")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for _, c := range []struct {
		d    int
		loc  *time.Location
		want time.Time
	}{
		{31, azores, time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC)},
		{30, azores, time.Date(2024, 3, 30, 1, 0, 0, 0, time.UTC)},
		{31, time.UTC, time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)},
	} {
		got := Midnight(2024, time.March, c.d, c.loc)
		if !got.Equal(c.want) || got.In(c.loc).Day() != c.d {
			t.Errorf("Midnight(2024-03-%d, %v) = %v, want %v", c.d, c.loc, got.UTC(), c.want)
		}
	}
}
