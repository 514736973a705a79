package scoring

import "time"

// parseTime is time.ParseInLocation(layout, s, loc), value and error alike, with a
// fast path for the dates alone that files of transactions write most:
// time.DateOnly ("2006-01-02", ReadOptions' default) and "20060102" (the CDNOW
// sample's). time.Parse walks the layout chunk by chunk for every row, a fifth of the
// reader's time; a value of one of these two layouts is read here by position, and
// anything the fast path is not sure of (another layout, a length or a byte out of
// place, a month or a day out of range) goes to time.ParseInLocation, whose error the
// reader words. A date read here is made by time.Date as time.ParseInLocation makes
// it, so the two give the same Time, location included.
func parseTime(layout, s string, loc *time.Location) (time.Time, error) {
	if y, m, d, ok := plainDate(layout, s); ok {
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc), nil
	}
	return time.ParseInLocation(layout, s, loc)
}

// plainDate reads s as a date of layout time.DateOnly or "20060102", and reports
// false for another layout or a value time.Parse would not read as a date of it.
func plainDate(layout, s string) (year, month, day int, ok bool) {
	switch {
	case layout == time.DateOnly && len(s) == 10 && s[4] == '-' && s[7] == '-':
		year, month, day = dateDigits(s[0:4]), dateDigits(s[5:7]), dateDigits(s[8:10])
	case layout == "20060102" && len(s) == 8:
		year, month, day = dateDigits(s[0:4]), dateDigits(s[4:6]), dateDigits(s[6:8])
	default:
		return 0, 0, 0, false
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// dateDigits returns the number s writes in decimal digits alone, or -1.
func dateDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn is the number of days of month in year, of the proleptic Gregorian calendar
// that package time uses (year 0 is a leap year).
func daysIn(month, year int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (month+month/8)%2
}
