package scoring

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestParseTimeAsParseInLocation: the reader's fast path for dates gives what
// time.ParseInLocation gives, the same Time (==, so the location too) or the same
// error, on values near the two layouts it reads by position (digits and dashes in
// and out of place, months and days around their ranges, February 29th of leap and
// common years, years 0000 and 0001, signs, blanks, a byte too many or too few) and
// on other layouts, which it leaves to time.ParseInLocation.
func TestParseTimeAsParseInLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("UTC-5", -5*3600)
	}
	locs := []*time.Location{time.UTC, time.FixedZone("UTC+9", 9*3600), ny, time.Local}
	layouts := []string{time.DateOnly, "20060102", "2006/01/02", "02.01.2006", time.RFC3339, "2006-01-02 15:04"}
	rapid.Check(t, func(t *rapid.T) {
		layout := rapid.SampledFrom(layouts).Draw(t, "layout")
		loc := rapid.SampledFrom(locs).Draw(t, "loc")
		var s string
		if rapid.IntRange(0, 3).Draw(t, "shape") > 0 {
			year := rapid.SampledFrom([]int{0, 1, 4, 100, 1900, 1997, 2000, 2024, 2025, 9999}).Draw(t, "year")
			month := rapid.IntRange(0, 13).Draw(t, "month")
			day := rapid.IntRange(0, 32).Draw(t, "day")
			s = fmt.Sprintf("%04d%s%02d%s%02d", year, rapid.SampledFrom([]string{"-", "", "/", "."}).Draw(t, "sep"),
				month, rapid.SampledFrom([]string{"-", "", "/", "."}).Draw(t, "sep2"), day)
			if rapid.IntRange(0, 3).Draw(t, "edit") == 0 {
				i := rapid.IntRange(0, len(s)).Draw(t, "at")
				s = s[:i] + rapid.SampledFrom([]string{"", "+", "-", " ", "0", "9", "x", "T10:00:00Z"}).Draw(t, "insert") + s[i+min(len(s)-i, rapid.IntRange(0, 1).Draw(t, "cut")):]
			}
		} else {
			s = rapid.StringOfN(rapid.SampledFrom([]rune("0123456789-+ /.Tx")), 0, 12, -1).Draw(t, "text")
		}
		got, gotErr := parseTime(layout, s, loc)
		want, wantErr := time.ParseInLocation(layout, s, loc)
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("parseTime(%q, %q, %v) = %v, %v; time.ParseInLocation: %v, %v", layout, s, loc, got, gotErr, want, wantErr)
		}
	})
}

// TestPlainDateEveryDay: every day of years around the leap rules' cases is read by
// the fast path in both of its layouts, as time formats it, and the day after each
// month's last is not.
func TestPlainDateEveryDay(t *testing.T) {
	for _, year := range []int{0, 1, 4, 100, 1900, 1996, 1997, 2000, 2024, 2100, 9999} {
		for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
			for _, layout := range []string{time.DateOnly, "20060102"} {
				s := d.Format(layout)
				y, m, day, ok := plainDate(layout, s)
				if !ok || y != year || m != int(d.Month()) || day != d.Day() {
					t.Fatalf("plainDate(%q, %q) = %d, %d, %d, %v", layout, s, y, m, day, ok)
				}
				if next := d.AddDate(0, 0, 1); next.Month() != d.Month() {
					over := s[:len(s)-2] + fmt.Sprintf("%02d", d.Day()+1) // both layouts end with the day
					if _, _, _, ok := plainDate(layout, over); ok {
						t.Fatalf("plainDate(%q, %q) read a day past the month's last", layout, over)
					}
				}
			}
		}
	}
}
