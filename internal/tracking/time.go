package tracking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// layouts are the forms of ISO 8601 that trackers and exports send: "T" or a space
// (as SQL exports write it) between date and time, minutes with or without seconds
// (an HTML datetime-local input gives minutes), a fraction of a second after a point or
// a comma (time.Parse takes both), and a zone of Z, ±hh:mm, ±hhmm or ±hh (as PostgreSQL
// prints a timestamptz), or none: UTC, as Segment reads it. Then a date alone. A bare
// hour ("2026-12-06T10") is not taken: it is more often a value cut short than an hour
// meant, and no tracker sends it.
var layouts = func() []string {
	var ls []string
	for _, sep := range []string{"T", " "} {
		for _, clock := range []string{"15:04:05.999999999", "15:04"} {
			for _, zone := range []string{"Z07:00", "Z0700", "Z07", ""} {
				ls = append(ls, "2006-01-02"+sep+clock+zone)
			}
		}
	}
	return append(ls, "2006-01-02")
}()

// maxOffset bounds a zone's offset from UTC: the zones in use lie within -12:00 and
// +14:00, and ±18:00 is what java.time takes. time.Parse takes up to ±24:00, so
// "+24:00", a typo, would move the call a day.
const maxOffset = 18 * time.Hour

// isoTime reads s in one of the layouts. Lowercase "t" and "z" are read as "T" and "Z"
// (RFC 3339, section 5.6, allows them; time.Parse does not). outOfRange is set when s
// has a layout's form but names no time, saying why.
func isoTime(s string) (t time.Time, outOfRange string, ok bool) {
	up := strings.Map(func(r rune) rune {
		switch r {
		case 't':
			return 'T'
		case 'z':
			return 'Z'
		}
		return r
	}, s)
	for _, l := range layouts {
		t, err := time.Parse(l, up)
		if err == nil {
			if _, off := t.Zone(); time.Duration(off)*time.Second > maxOffset || time.Duration(-off)*time.Second > maxOffset {
				return time.Time{}, fmt.Sprintf("offset %s is beyond ±18:00", t.Format("-07:00")), false
			}
			return t, "", true
		}
		// time.Parse says "time zone offset hour out of range" of much that is no offset
		// (a layout of minutes reads "10:15:30.Z" as 10:15 and an offset ":30.Z"), so
		// that message is not passed on; an offset it takes is bounded above.
		if pe := (*time.ParseError)(nil); errors.As(err, &pe) && outOfRange == "" && strings.HasSuffix(pe.Message, "out of range") && !strings.Contains(pe.Message, "time zone offset") {
			outOfRange = strings.TrimPrefix(pe.Message, ": ")
		}
	}
	return time.Time{}, outOfRange, false
}

// The times the SDK holds are int64 nanoseconds since 1970 (identity, funnel, segment),
// from 1677-09-21 to 2262-04-11; a call outside them is refused here, at its field,
// rather than by the first package it reaches, which knows no line or field.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// held reports whether t is within the times the SDK holds.
func held(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// callTime picks the call's time in the spec's order (see Parse).
func callTime(f map[string]json.RawMessage, opts *ParseOptions) (time.Time, error) {
	get := func(key string) (time.Time, bool, error) { return timeField(f, key) }
	if t, ok, err := get("timestamp"); err != nil || ok {
		return t, err
	}
	orig, hasOrig, err := get("originalTimestamp")
	if err != nil {
		return time.Time{}, err
	}
	sent, hasSent, err := get("sentAt")
	if err != nil {
		return time.Time{}, err
	}
	recv, hasRecv, err := get("receivedAt")
	if err != nil {
		return time.Time{}, err
	}
	if !hasRecv && opts != nil && !opts.ReceivedAt.IsZero() {
		recv, hasRecv = opts.ReceivedAt, true
	}
	switch {
	case hasOrig && hasSent && hasRecv:
		// The sender's clock may be wrong; the gap between its send and its event is not.
		// Sub saturates at ±292 years, and the negation of the least Duration is itself,
		// so a gap that large would be applied with the wrong sign: refused.
		skew := sent.Sub(orig)
		if skew == math.MinInt64 || skew == math.MaxInt64 {
			return time.Time{}, invalidField("sentAt", "%q and %q are more than 292 years apart", "sentAt", "originalTimestamp")
		}
		if t := recv.Add(-skew); held(t) {
			return t, nil
		}
		return time.Time{}, invalidField("originalTimestamp", "%q corrected for the sender's clock (receivedAt - (sentAt - originalTimestamp)) falls outside the years 1678 to 2262", "originalTimestamp")
	case hasOrig:
		return orig, nil
	case hasRecv:
		return recv, nil
	case hasSent:
		// Not an event time, but the nearest the call offers.
		return sent, nil
	}
	return time.Time{}, invalidField("timestamp", "no time: the call has no \"timestamp\", \"originalTimestamp\", \"sentAt\" or \"receivedAt\", and no arrival time was given")
}

// timeField reads an optional time: an ISO 8601 string or Unix seconds or milliseconds.
// null, an empty (or blank) string and the number 0 are unset: ok is false and the
// caller falls back to the spec's next field.
func timeField(f map[string]json.RawMessage, key string) (time.Time, bool, error) {
	raw := f[key]
	if isNull(raw) {
		return time.Time{}, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s = strings.TrimSpace(s); s == "" {
			return time.Time{}, false, nil
		}
		t, outOfRange, ok := isoTime(s)
		if ok {
			if !held(t) {
				return time.Time{}, false, invalidField(key, "%q %q is outside the years 1678 to 2262 that the SDK's times hold", key, s)
			}
			return t, true, nil
		}
		if outOfRange != "" {
			// "2025-02-30T00:00:00Z" was told to be ISO 8601, which it is.
			return time.Time{}, false, invalidField(key, "%q %q has ISO 8601's form but is no time: %s", key, s, outOfRange)
		}
		return time.Time{}, false, invalidField(key, "%q %q is not a time: want ISO 8601 such as 2025-03-01T10:00:00Z, or Unix seconds or milliseconds", key, s)
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil {
		return time.Time{}, false, invalidField(key, "%q must be an ISO 8601 string or a number of Unix seconds or milliseconds, got %s", key, kind(raw))
	}
	if n == 0 {
		// A number 0 is a tracker's unset field (a zero-valued int64 or Date.getTime() of
		// nothing), as null and "" are, not an event at 1970-01-01T00:00:00Z: read as
		// absent, so that the time falls back as for a missing field (Parse).
		return time.Time{}, false, nil
	}
	if math.Abs(n) >= 1e11 { // milliseconds: 10^11 seconds is the year 5138
		n /= 1000
	}
	// Within the times the SDK holds (held), checked on the number: a float64 far out
	// of range would overflow the conversion to nanoseconds. The bounds are whole
	// seconds inside them.
	const lo, hi = -9223372036, 9223372036
	if n < lo || n > hi {
		// The number as the call wrote it: n may have been divided by 1000 above.
		return time.Time{}, false, invalidField(key, "%q %s is not a Unix time in seconds or milliseconds between the years 1678 and 2262", key, bytes.TrimSpace(raw))
	}
	sec, frac := math.Modf(n)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true, nil
}
