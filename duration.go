package clientele

import (
	"fmt"
	"math"
	"time"
)

// ParseDuration reads a duration in the one syntax the whole SDK uses: segment
// expressions ("count(visit, 30d)"), funnel windows, referral path ages, and every flag
// and query parameter of the example programs. A duration is one or more terms, each a
// whole number followed by a unit:
//
//	w  week (7 days)    d  day (24 hours)    h  hour    m  minute    s  second
//
// such as "7d", "36h", "90m", "2w" or "1d12h". A day is always 24 hours: the SDK's
// timestamps are instants, not calendar dates. There is no sign, no fraction and no
// space; "0" alone is not a duration, "0d" is. Bad input gets an error wrapping
// [ErrInvalid] that names the column (counting bytes from 1).
//
// Unlike [time.ParseDuration], "d" and "w" are accepted, and "ms", "us" and "ns" are
// not: no duration in the SDK is finer than a second.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(col int, format string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("%w: duration %q at column %d: %s (want terms such as 7d, 36h, 90m, 2w)", ErrInvalid, s, col, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return bad(1, "empty")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		start := i
		var n uint64
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if n > (math.MaxInt64-9)/10 {
				return bad(start+1, "number too large")
			}
			n = n*10 + uint64(s[i]-'0')
			i++
		}
		if i == start {
			return bad(i+1, "want a digit, got %q", s[i])
		}
		if i == len(s) {
			return bad(i+1, "number %s has no unit", s[start:i])
		}
		var unit time.Duration
		switch s[i] {
		case 'w':
			unit = 7 * 24 * time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return bad(i+1, "unknown unit %q", s[i])
		}
		i++
		if n > uint64(math.MaxInt64/int64(unit)) || time.Duration(n)*unit > math.MaxInt64-total {
			// The bound as this syntax writes it: time.Duration's "2562047h47m16.854775807s"
			// has a fraction and no days, which ParseDuration reads neither of.
			return bad(start+1, "longer than %s, about 292 years, the longest duration", FormatDuration(math.MaxInt64))
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// FormatDuration writes d in the syntax ParseDuration reads, with the largest units
// first ("1w3d", "36h" is written "1d12h"); it is the inverse of ParseDuration for
// every non-negative whole number of seconds. Anything finer than a second is dropped,
// and a negative d is written as "0s".
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	var b []byte
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if n := d / u.d; n > 0 {
			b = fmt.Appendf(b, "%d%c", n, u.c)
			d -= n * u.d
		}
	}
	return string(b)
}
