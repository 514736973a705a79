package loyalty

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestExpiryAcrossDST (rapid): around real transitions of zones whose clocks jump at
// midnight, at 02:00, by 30 minutes, east and west of Greenwich, an AfterDays expiry
// falls on the N-th calendar day after the earn at the same wall clock, or, when a
// spring-forward gap skips that wall clock, at it read with the offset before the gap
// (later by the gap); an EndOfMonth expiry is the first instant of its month. In
// America/Santiago a lot earned at 00:30 the day before clocks jumped at midnight
// expired at 23:30 the same day.
func TestExpiryAcrossDST(t *testing.T) {
	zones := []string{"America/Santiago", "America/Havana", "America/New_York", "America/Asuncion",
		"Europe/London", "Australia/Lord_Howe", "Asia/Tehran", "Africa/Cairo", "Pacific/Apia"}
	rapid.Check(t, func(t *rapid.T) {
		loc, err := time.LoadLocation(rapid.SampledFrom(zones).Draw(t, "zone"))
		if err != nil {
			t.Skip(err)
		}
		n := rapid.IntRange(1, 40).Draw(t, "n")
		// A transition of the zone, then an earn n days and up to three hours around it.
		from := time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.Int64Range(0, int64(40*365*24*time.Hour)).Draw(t, "from")))
		_, next := from.In(loc).ZoneBounds()
		if next.IsZero() {
			t.Skip("no transition")
		}
		at := next.AddDate(0, 0, -n).Add(time.Duration(rapid.Int64Range(-int64(3*time.Hour), int64(3*time.Hour)).Draw(t, "off")))
		r, err := Rules{Location: loc, Expiry: Expiry{Rule: AfterDays, N: n}}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		exp := time.Unix(0, r.expiry(at)).In(loc)
		lt := at.In(loc)
		want := time.Date(lt.Year(), lt.Month(), lt.Day()+n, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
		got := time.Date(exp.Year(), exp.Month(), exp.Day(), exp.Hour(), exp.Minute(), exp.Second(), exp.Nanosecond(), time.UTC)
		if !got.Equal(want) {
			// Only a wall clock the zone skips may differ: then it is read with the
			// offset in force three hours before, so later by the gap.
			_, before := exp.Add(-3 * time.Hour).Zone()
			if ref := want.Add(-time.Duration(before) * time.Second); !exp.Equal(ref) || !got.After(want) {
				t.Fatalf("earned %v, AfterDays %d expires %v; want the wall clock %v (or %v in a gap)", lt, n, exp, want.Format("2006-01-02 15:04:05"), ref.In(loc))
			}
		}
		r, _ = Rules{Location: loc, Expiry: Expiry{Rule: EndOfMonth, N: n % 3}}.withDefaults()
		end := time.Unix(0, r.expiry(at)).In(loc)
		first := time.Date(lt.Year(), lt.Month()+time.Month(n%3)+1, 1, 0, 0, 0, 0, time.UTC)
		if end.Day() != 1 || end.Month() != first.Month() || end.Year() != first.Year() || end.Add(-time.Nanosecond).Day() == 1 {
			t.Fatalf("earned %v, EndOfMonth %d expires %v; want the first instant of %v", lt, n%3, end, first.Format("2006-01"))
		}
	})
}
