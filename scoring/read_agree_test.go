package scoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestReadAgreesOnDates: on random files of the layouts the reader reads by position
// (time.DateOnly, "20060102") and of one it leaves to time.ParseInLocation, with dates
// good and bad (months and days around their ranges, February 29th of leap and common
// years), a Lenient read yields for each row what time.ParseInLocation says of its
// date: the transaction, with the instant it reads, or an error naming the row's line
// and the date's column. A file of good dates alone reads as naiveRead reads it.
func TestReadAgreesOnDates(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		comma := rapid.SampledFrom([]rune{',', ';', ' '}).Draw(t, "comma")
		layout := rapid.SampledFrom([]string{time.DateOnly, "20060102", "2006/01/02"}).Draw(t, "layout")
		opt := ReadOptions{Comma: comma, TimeLayout: layout, Header: rapid.Bool().Draw(t, "header"), Lenient: true}
		if rapid.Bool().Draw(t, "keys") {
			opt.Keys = &Keys{}
		}
		at := rapid.Permutation([]int{0, 1, 2}).Draw(t, "columns")
		opt.ProfileColumn, opt.TimeColumn, opt.AmountColumn = at[0], at[1], at[2]
		sep := func() string {
			if comma == ' ' {
				return rapid.SampledFrom([]string{" ", "  ", "\t", " \t "}).Draw(t, "blanks")
			}
			return string(comma)
		}

		type want struct {
			tx  Transaction
			bad string // "line L, column C" of a bad date
		}
		var b strings.Builder
		var wants []want
		ids := map[string]uint32{}
		line, allGood := 0, true
		if opt.Header {
			b.WriteString(strings.Join([]string{"customer", "date", "amount"}, sep()) + "\n")
			line++
		}
		for range rapid.IntRange(0, 20).Draw(t, "rows") {
			line++
			year := rapid.SampledFrom([]int{1900, 1997, 2000, 2024, 2025}).Draw(t, "year")
			month := rapid.IntRange(0, 13).Draw(t, "month")
			day := rapid.IntRange(0, 32).Draw(t, "day")
			// The month and day as drawn, out of range or not, in the layout's places.
			date := strings.NewReplacer("2006", fmt.Sprintf("%04d", year), "01", fmt.Sprintf("%02d", month), "02", fmt.Sprintf("%02d", day)).Replace(layout)
			id := strconv.Itoa(rapid.IntRange(1, 30).Draw(t, "customer"))
			if opt.Keys != nil {
				id = "c" + id
			}
			cents := rapid.IntRange(0, 99999).Draw(t, "cents")
			amount := fmt.Sprintf("%d.%02d", cents/100, cents%100)
			var row [3]string
			row[at[0]], row[at[1]], row[at[2]] = id, date, amount
			text, col := "", 0
			if comma == ' ' && rapid.Bool().Draw(t, "indent") {
				text = " "
			}
			for i, f := range row {
				if i > 0 {
					text += sep()
				}
				if i == opt.TimeColumn {
					col = len(text) + 1
				}
				text += f
			}
			b.WriteString(text + rapid.SampledFrom([]string{"\n", "\r\n"}).Draw(t, "eol"))
			when, err := time.ParseInLocation(layout, date, time.UTC)
			if err != nil {
				allGood = false
				wants = append(wants, want{bad: fmt.Sprintf("line %d, column %d", line, col)})
				continue
			}
			tx := Transaction{Time: when}
			tx.Amount, _ = strconv.ParseFloat(amount, 64)
			if opt.Keys != nil {
				if ids[id] == 0 {
					ids[id] = uint32(len(ids) + 1)
				}
				tx.Profile = ids[id]
			} else {
				n, _ := strconv.Atoi(id)
				tx.Profile = uint32(n)
			}
			wants = append(wants, want{tx: tx})
		}
		input := b.String()

		i := 0
		for tx, err := range ReadTransactions(strings.NewReader(input), &opt) {
			if i >= len(wants) {
				t.Fatalf("more rows than the %d written: %+v, %v\n%q", len(wants), tx, err, input)
			}
			w := wants[i]
			i++
			if w.bad != "" {
				if err == nil || !strings.Contains(err.Error(), w.bad+": time ") {
					t.Fatalf("row %d: %+v, %v; want an error of its time at %s\n%q", i, tx, err, w.bad, input)
				}
				continue
			}
			if err != nil || tx.Profile != w.tx.Profile || tx.Time != w.tx.Time || math.Float64bits(tx.Amount) != math.Float64bits(w.tx.Amount) {
				t.Fatalf("row %d: %+v, %v; want %+v\n%q", i, tx, err, w.tx, input)
			}
		}
		if i != len(wants) {
			t.Fatalf("%d rows read of %d written\n%q", i, len(wants), input)
		}
		if !allGood {
			return
		}
		var naive []Transaction
		if opt.Keys != nil {
			opt.Keys = &Keys{}
		}
		if err := naiveRead([]byte(input), opt, func(tx Transaction) { naive = append(naive, tx) }); err != nil {
			t.Fatalf("naive: %v\n%q", err, input)
		}
		if len(naive) != len(wants) {
			t.Fatalf("naive read %d rows of %d\n%q", len(naive), len(wants), input)
		}
		for i, tx := range naive {
			if tx != wants[i].tx {
				t.Fatalf("row %d: naive %+v, reader %+v\n%q", i+1, tx, wants[i].tx, input)
			}
		}
	})
}
