package tracking

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestISOTimes: the forms of ISO 8601 that real senders write are read, each to the
// instant it names, and the forms that are not a time, or not one instant, are refused
// naming the field and the value. Minute precision ("2026-12-06T10:15Z", as an HTML
// datetime-local input gives it, with a zone added), lowercase t and z (RFC 3339, section
// 5.6, allows them) and an offset of hours alone ("+01", as PostgreSQL writes a
// timestamptz) were refused as "not a time".
func TestISOTimes(t *testing.T) {
	utc := func(min, sec, nsec int) time.Time { return time.Date(2026, 12, 6, 10, min, sec, nsec, time.UTC) }
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		// Seconds, as before.
		{"2026-12-06T10:15:30Z", utc(15, 30, 0)},
		{"2026-12-06T10:15:30.250Z", utc(15, 30, 250e6)},
		{"2026-12-06T11:15:30+01:00", utc(15, 30, 0)},
		{"2026-12-06T11:15:30+0100", utc(15, 30, 0)},
		{"2026-12-06T10:15:30", utc(15, 30, 0)},
		{"2026-12-06 10:15:30", utc(15, 30, 0)},
		{"2026-12-06", time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)},
		// Minute precision, in every zone form.
		{"2026-12-06T10:15Z", utc(15, 0, 0)},
		{"2026-12-06T11:15+01:00", utc(15, 0, 0)},
		{"2026-12-06T11:15+0100", utc(15, 0, 0)},
		{"2026-12-06T11:15+01", utc(15, 0, 0)},
		{"2026-12-06T10:15", utc(15, 0, 0)},
		{"2026-12-06 10:15", utc(15, 0, 0)},
		{"2026-12-06 11:15+01:00", utc(15, 0, 0)},
		// A decimal comma, which ISO 8601 prefers to the point.
		{"2026-12-06T10:15:30,5Z", utc(15, 30, 500e6)},
		{"2026-12-06 10:15:30,5", utc(15, 30, 500e6)},
		// Lowercase t and z.
		{"2026-12-06t10:15:30z", utc(15, 30, 0)},
		{"2026-12-06t10:15z", utc(15, 0, 0)},
		{"2026-12-06t11:15:30.5+01:00", utc(15, 30, 500e6)},
		// An offset of hours alone, and the space, as PostgreSQL prints a timestamptz.
		{"2026-12-06 11:15:30.123456+01", utc(15, 30, 123456e3)},
		{"2026-12-06T11:15:30+01", utc(15, 30, 0)},
		{"2026-12-06 11:15:30+0100", utc(15, 30, 0)},
		{"2026-12-06T05:15:30-05", utc(15, 30, 0)},
		// RFC 3339's -00:00, an unknown local offset: the instant is UTC's.
		{"2026-12-06T10:15:30-00:00", utc(15, 30, 0)},
		// The largest offsets in use (Kiribati, Baker Island) and a bit beyond.
		{"2026-12-07T00:15:30+14:00", utc(15, 30, 0)},
		{"2026-12-05T22:15:30-12:00", utc(15, 30, 0)},
		{"2026-12-07T04:15:30+18:00", utc(15, 30, 0)},
	} {
		m, err := Parse([]byte(`{"type":"page","userId":"u","timestamp":`+strconv.Quote(tc.in)+`}`), nil)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !m.Time.Equal(tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, m.Time, tc.want)
		}
		if _, off := m.Time.Zone(); strings.Contains(tc.in, "+01") && off != 3600 {
			t.Errorf("%q: offset %ds, want +01:00 kept", tc.in, off)
		}
	}
	for _, tc := range []struct{ in, want string }{
		// Not one instant: a bare hour could be a cut minute or an hour meant, and digits
		// alone could be Unix seconds in a string or a date without dashes.
		{"2026-12-06T10", `"timestamp" "2026-12-06T10" is not a time`},
		{"2026-12-06T10Z", `"timestamp" "2026-12-06T10Z" is not a time`},
		{"20261206", `"timestamp" "20261206" is not a time`},
		{"1733480130", `"timestamp" "1733480130" is not a time`},
		{"2026-12-06T10:15:30+1", `"timestamp" "2026-12-06T10:15:30+1" is not a time`},
		{"2026-12-06T10:15:30+01:00:00", `is not a time`},
		{"2026-12-06T10:15:30.Z", `is not a time`},
		{"2026-12-06T10:15:30ZZ", `is not a time`},
		{"2026-12-06Tt10:15:30Z", `is not a time`},
		{"2026-12-06 T10:15:30Z", `is not a time`},
		{"2026-12-06T10:15:30 Z", `is not a time`},
		{"06/12/2026 10:15", `is not a time`},
		{"2026-12-06T10:15:30 +01:00", `is not a time`},
		// Offsets no place has: a typo, not a zone.
		{"2026-12-06T10:15:30+24:00", `"timestamp" "2026-12-06T10:15:30+24:00" has ISO 8601's form but is no time: offset +24:00 is beyond ±18:00`},
		{"2026-12-06T10:15+19", `offset +19:00 is beyond ±18:00`},
		{"2026-12-06T10:15:30-9959", `"timestamp" "2026-12-06T10:15:30-9959" is not a time`},
		// Of the form, but no time.
		{"2026-12-06T10:60Z", `"timestamp" "2026-12-06T10:60Z" has ISO 8601's form but is no time: minute out of range`},
		{"2026-02-30t10:15z", `"timestamp" "2026-02-30t10:15z" has ISO 8601's form but is no time: day out of range`},
	} {
		_, err := Parse([]byte(`{"type":"page","userId":"u","timestamp":`+strconv.Quote(tc.in)+`}`), nil)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want ErrInvalid saying %q", tc.in, err, tc.want)
		}
	}
}

// FuzzTimeField: a time string is read to an instant within the SDK's years whose date
// is the one the string begins with, in an offset within ±18:00, the same whatever the
// case of its t and z; or it is refused with ErrInvalid, naming the field and the value.
func FuzzTimeField(f *testing.F) {
	for _, s := range []string{
		"2026-12-06T10:15:30Z", "2026-12-06T10:15Z", "2026-12-06T10:15+01:00", "2026-12-06t10:15:30,5z",
		"2026-12-06 10:15:30.123456+01", "2026-12-06T10:15:30+0100", "2026-12-06", "2026-12-06T10",
		"2026-12-06T10:15:30+24:00", "2026-02-30T10:15Z", "1733480130", "2026-12-06T10:15:30.Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip() // encoding/json would write U+FFFD for it: Parse refuses such a call first
		}
		raw, _ := json.Marshal(s)
		got, ok, err := timeField(map[string]json.RawMessage{"sentAt": raw}, "sentAt")
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"sentAt" `+strconv.Quote(strings.TrimSpace(s))) {
				t.Fatalf("%q: %v, want ErrInvalid naming the field and the value", s, err)
			}
			return
		}
		if !ok {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("%q: read as unset", s)
			}
			return
		}
		if !held(got) {
			t.Fatalf("%q: %v, outside the years the SDK holds", s, got)
		}
		if _, off := got.Zone(); off > 18*3600 || off < -18*3600 {
			t.Fatalf("%q: offset %ds", s, off)
		}
		if trimmed := strings.TrimSpace(s); got.Format("2006-01-02") != trimmed[:10] {
			t.Fatalf("%q: read as %v, another day", s, got)
		}
		flipped := strings.Map(func(r rune) rune {
			switch r {
			case 't', 'z':
				return r - 'a' + 'A'
			case 'T', 'Z':
				return r - 'A' + 'a'
			}
			return r
		}, s)
		raw, _ = json.Marshal(flipped)
		again, ok, err := timeField(map[string]json.RawMessage{"sentAt": raw}, "sentAt")
		if err != nil || !ok || !again.Equal(got) {
			t.Fatalf("%q read as %v, but %q as %v, %v", s, got, flipped, again, err)
		}
	})
}
