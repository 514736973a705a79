package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// unmatched finds the value in the reader's "time "..." does not match layout" error.
var unmatched = regexp.MustCompile(`time ("(?:[^"\\]|\\.)*") does not match layout`)

// knownLayouts are the date forms exports commonly write, in Go's notation, tried in
// order on a date the default layout does not read.
var knownLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700", // Shopify's "Created at"
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006/01/02",
	"2006-1-2",
	"02.01.2006",
	"2 Jan 2006",
	"Jan 2, 2006",
	"20060102",
}

// wordHint answers a date without a digit, which no layout reads: a column's name is
// the usual such value, where monthly exports were joined into one file with their
// headers, and the reader was sent looking for a -date-layout. "" for another error.
func wordHint(err error) string {
	m := unmatched.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	v, uerr := strconv.Unquote(m[1])
	if v = strings.TrimSpace(v); uerr != nil || v == "" || strings.ContainsAny(v, "0123456789") {
		return ""
	}
	return fmt.Sprintf("%q has no digit, so no -date-layout reads it: is the line a header, repeated where exports were joined into one file? Remove such lines, or skip them with -lenient", v)
}

// layoutHint names the -date-layout that reads the date a strict read stopped at, when
// one of the common forms does: a reader told "give their form with -date-layout, such
// as 01/02/2006" had to find Go's notation for "2025-03-01T10:00:00+02:00" alone, and
// for Unix seconds there is none. "" when the error names no date or none is known.
func layoutHint(err error) string {
	m := unmatched.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	v, uerr := strconv.Unquote(m[1])
	if uerr != nil {
		return ""
	}
	v = strings.TrimSpace(v)
	if n := len(v); n >= 9 && n <= 13 && strings.Trim(v, "0123456789") == "" {
		return "that looks like a Unix time (seconds or milliseconds since 1970), which no -date-layout reads: write the dates as 2006-01-02, or as 2006-01-02T15:04:05Z07:00 with -date-layout 2006-01-02T15:04:05Z07:00"
	}
	// Day and month first are both read from 01/03/2025: the reader must choose. The
	// layouts without zeros read days and months with or without them.
	dayFirst, dayErr := time.Parse("2/1/2006", v)
	monthFirst, monthErr := time.Parse("1/2/2006", v)
	dl, ml := "2/1/2006", "1/2/2006"
	if len(v) == len("02/01/2006") {
		dl, ml = "02/01/2006", "01/02/2006"
	}
	switch {
	case dayErr == nil && monthErr == nil && !dayFirst.Equal(monthFirst):
		return fmt.Sprintf("that date reads with -date-layout %s (day first: %s) or %s (month first: %s); give the one the file is written in", dl, dayFirst.Format("2 January 2006"), ml, monthFirst.Format("2 January 2006"))
	case dayErr == nil && monthErr == nil:
		return fmt.Sprintf("that date reads with -date-layout %s (day first) or %s (month first); give the one the file is written in", dl, ml)
	case dayErr == nil:
		return fmt.Sprintf("that date reads with -date-layout %s (day first)", dl)
	case monthErr == nil:
		return fmt.Sprintf("that date reads with -date-layout %s (month first)", ml)
	}
	for _, l := range knownLayouts {
		if _, err := time.Parse(l, v); err == nil {
			if l == time.RFC3339Nano {
				l = time.RFC3339 // reads fractions of a second too
			}
			q := l
			if strings.Contains(l, " ") {
				q = `"` + l + `"`
			}
			return "that date reads with -date-layout " + q
		}
	}
	return ""
}
