package main

import (
	"fmt"
	"time"

	"github.com/clientele-go/clientele/internal/english"
)

// firstYear is the earliest year a purchase is taken without a warning: no shop's export
// goes further back than Unix time, and a year before it is a typo (1900 for 2000).
const firstYear = 1970

// oddDates counts the purchases dated before firstYear or after the year after the
// run's: a mistyped year (1900, 2199) is read as written, as nothing says which year was
// meant, and it stretched the data's span, the calibration end and every customer's T
// to it with no word but the first line's dates. The reader refuses no year but Go's
// zero time (January 1st of year 1), so these are warned of, not refused.
type oddDates struct {
	last int       // the last year taken without a warning: the run's year + 1
	n    int       // purchases dated outside firstYear..last
	line int       // the first one's line
	at   time.Time // and its time, in the shop's zone
}

// check counts the purchase at t, read on line, if its year is out of range.
func (o *oddDates) check(t time.Time, line int) {
	if y := t.Year(); y >= firstYear && y <= o.last {
		return
	}
	if o.n == 0 {
		o.line, o.at = line, t
	}
	o.n++
}

// warning returns the report's line on the purchases out of range, or "" if none were.
func (o *oddDates) warning() string {
	if o.n == 0 {
		return ""
	}
	return fmt.Sprintf("warning: %s dated before %d or after %d, the first on line %d (%s): %s? %s read as written, and the data's span and every customer's T run to %s\n",
		english.Plural(o.n, "1 purchase is", fmt.Sprintf("%d purchases are", o.n)), firstYear, o.last, o.line, showTime(o.at),
		english.Plural(o.n, "a mistyped year", "mistyped years"), english.Plural(o.n, "It is", "They are"), english.Plural(o.n, "it", "them"))
}
