package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"

	"github.com/clientele-go/clientele/internal/amount"
	"github.com/clientele-go/clientele/internal/bom"
	"github.com/clientele-go/clientele/internal/gunzip"
	"github.com/clientele-go/clientele/internal/longline"
	"github.com/clientele-go/clientele/internal/synth"
)

// pathRow is one distinct journey with its counts; attribution.Path already says all of it.
type pathRow = attribution.Path

// readCSV reads journeys as "path,conversions,nulls,value" rows, with an optional header
// row naming those columns. A bad row is an error naming its line and column (1-based,
// with the column's name). Strict (lenient false), the first bad row stops the read;
// lenient, each bad row is written to problems and skipped, and the read stops only
// past attribution.MaxBadLines of them, the cap the SDK's readers share. It returns how
// many rows it skipped.
func readCSV(r io.Reader, lenient bool, problems io.Writer) ([]pathRow, int, error) {
	// A paths.csv.gz is decompressed as it is read; Excel's "CSV UTF-8" starts with a
	// byte order mark, and files joined with cat have one at the start of a later row,
	// where before a quoted path or a comment it was "bare \" in non-quoted-field":
	// bom.Rows moves it past the quote or the '#', and bom.Field drops it.
	// A file without newlines (a binary, a quote never closed) was read whole by
	// encoding/csv, which keeps a record entire, before it was refused: its lines are
	// bounded as scoring.ReadTransactions bounds them.
	cr := csv.NewReader(bom.Rows(longline.New(gunzip.Reader(r), longline.Max, nil), ',', '#'))
	cr.FieldsPerRecord = 4
	cr.Comment = '#'
	cr.ReuseRecord = true // every field is copied or parsed before the next read
	var merged merger
	var sum totals
	first, bad := true, 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			// Files each starting with a byte order mark, joined with cat.
			rec[0], _ = bom.Field(rec[0])
			header := first && strings.EqualFold(strings.TrimSpace(rec[0]), "path")
			if first && !header && reordered(rec) {
				// A header naming the columns in another order would fail on its
				// second field ("path" is not a number): say what is wrong instead.
				return nil, bad, fmt.Errorf("line 1 names the columns %s; want them in the order path,conversions,nulls,value", strings.Join(rec, ","))
			}
			// A header further down, of files joined with their headers, was
			// "column 6 (conversions): "conversions" is not a non-negative number".
			again := !first && strings.EqualFold(strings.TrimSpace(rec[0]), "path") && strings.EqualFold(strings.TrimSpace(rec[1]), "conversions")
			first = false
			if header {
				continue
			}
			if again {
				line, _ := cr.FieldPos(0)
				err = fmt.Errorf("line %d repeats the header line (files joined with their headers?): remove it, or skip it with -lenient", line)
			} else if err = csvRow(cr, rec, &sum, &merged); err == nil {
				continue
			}
		} else if errors.Is(err, longline.ErrTooLong) {
			return nil, bad, fmt.Errorf("%w: is it a file of journeys, one a line (path,conversions,nulls,value)?", err)
		} else if pe := (*csv.ParseError)(nil); !errors.As(err, &pe) {
			return nil, bad, err // the stream, not a row
		} else if errors.Is(err, csv.ErrFieldCount) {
			err = fieldCount(pe.StartLine, rec)
		} else if errors.Is(err, csv.ErrBareQuote) || errors.Is(err, csv.ErrQuote) {
			// encoding/csv's "bare \" in non-quoted-field" says what but not what to
			// write.
			err = fmt.Errorf("line %d, column %d: %v: a field holding a quote is written in quotes with the quote doubled, as in \"say \"\"hi\"\" > email\",1,0,9.90", pe.Line, pe.Column, pe.Err)
		}
		first = false
		if !lenient {
			return nil, bad, err
		}
		if bad++; bad > attribution.MaxBadLines {
			return nil, bad, fmt.Errorf("more than %d bad rows, stopping (not path,conversions,nulls,value?)", attribution.MaxBadLines)
		}
		fmt.Fprintln(problems, "skipped:", err)
	}
	if len(merged.rows) == 0 {
		return nil, bad, errors.New("no journeys")
	}
	return merged.rows, bad, nil
}

var csvColumns = [...]string{"path", "conversions", "nulls", "value"}

// reordered says whether rec names the four columns, in another order than csvColumns.
func reordered(rec []string) bool {
	for _, c := range csvColumns {
		if !slices.ContainsFunc(rec, func(f string) bool { return strings.EqualFold(strings.TrimSpace(f), c) }) {
			return false
		}
	}
	return true
}

// fieldCount is the error of a row of the wrong width (encoding/csv says only "wrong
// number of fields"). A row that is one field holding ';' or a tab is most likely a file
// written with that separator, ChannelAttribution's ';' among them: it says so.
func fieldCount(line int, rec []string) error {
	fields := fmt.Sprintf("%d fields", len(rec))
	if len(rec) == 1 {
		fields = "1 field"
	}
	err := fmt.Errorf("line %d: %s, want 4: path,conversions,nulls,value", line, fields)
	if len(rec) == 1 {
		for _, sep := range []string{";", "\t"} {
			if strings.Contains(rec[0], sep) {
				return fmt.Errorf("%w (the fields seem separated by %q; this reads commas)", err, sep)
			}
		}
	}
	return err
}

// Figures no export holds: a row's value past scoring.MaxAmount, the SDK's bound on
// money, and its counts past attribution.MaxCount. Such a figure is a mistake (an
// exponent that should not be there, an id read as the figure): read, it was credited
// to the channels without a word, and a value of 1e300 printed a table three hundred
// characters wide a column. A demanding analyst wants the line at fault named, as the
// clv example names an amount past MaxAmount, not a readable table of a wrong figure.
// The bounds are the library's, which refuses paths past them (as "path 0", naming no
// line): each is checked here at its line.

// absurd returns why the figure v of column i (1 conversions, 2 nulls, 3 value) is no
// figure of a real export, or "".
func absurd(i int, v float64) string {
	if i == 3 && v > scoring.MaxAmount {
		return fmt.Sprintf("is over %s, the largest value read: no money figure (an id or a count read as the value?)", bound(scoring.MaxAmount))
	}
	if i != 3 && v > attribution.MaxCount {
		return fmt.Sprintf("is over %s, the most journeys one row may count (over a hundred a person alive): no count (a value or an id read as the count?)", bound(attribution.MaxCount))
	}
	return ""
}

// totals are the sums attribution.Attribute takes over the rows and bounds as it does
// a path's figures: the conversions and the nulls (at most attribution.MaxCount) and
// the value (at most scoring.MaxAmount). Past them Attribute refused the rows as "path
// 1" of the paths it was given, naming neither the file nor the line: the row that
// takes a sum past its bound is refused here, at its line. Each merged path is within
// the bounds, as its figures are at most the totals.
type totals struct{ conversions, nulls, value float64 }

// csvRow turns one row into a journey and adds it to sum and to merged, or returns an
// error at the field at fault, leaving them as they were.
func csvRow(cr *csv.Reader, rec []string, sum *totals, merged *merger) error {
	at := func(i int, format string, args ...any) error {
		line, col := cr.FieldPos(i)
		return fmt.Errorf("line %d, column %d (%s): %s", line, col, csvColumns[i], fmt.Sprintf(format, args...))
	}
	p, err := attribution.ParsePath(rec[0])
	if err != nil {
		return at(0, "%v", err)
	}
	for i, dst := range []*float64{&p.Conversions, &p.Nulls, &p.Value} {
		// The SDK's one rule for figures read from text (a quoted "12,50" is 12.5, as
		// clv and ReadPaths read it; "1_000" and "0x1p4" are refused).
		v, err := amount.Parse(rec[i+1], &amount.Signed)
		if err != nil || v < 0 {
			return at(i+1, "%q is not a non-negative number%s", rec[i+1], amount.Hint(rec[i+1]))
		}
		if msg := absurd(i+1, v); msg != "" {
			return at(i+1, "%s %s", strings.TrimSpace(rec[i+1]), msg)
		}
		*dst = v
	}
	// Said here, at its line, rather than by every model as "path 0" of the merged paths.
	if p.Value > 0 && p.Conversions == 0 {
		return at(3, "value %s without conversions: only journeys that converted are worth something", strings.TrimSpace(rec[3]))
	}
	// The library's bound on what a conversion is worth (the limit of value without
	// conversions), as it checks it.
	if p.Value > scoring.MaxAmount*p.Conversions {
		return at(3, "%s for %s conversions is over %s a conversion: no money figure", strings.TrimSpace(rec[3]), strings.TrimSpace(rec[1]), bound(scoring.MaxAmount))
	}
	// Rows each within it add up to a path within it, but for rounding: the path with
	// the row added, as Attribute will check it.
	i := merged.find(p)
	if i >= 0 && p.Value > 0 {
		if q := merged.rows[i]; q.Value+p.Value > scoring.MaxAmount*(q.Conversions+p.Conversions) {
			return at(3, "%s takes the value of path %s past %s a conversion, to rounding: no money figure", strings.TrimSpace(rec[3]), p, bound(scoring.MaxAmount))
		}
	}
	next := totals{sum.conversions + p.Conversions, sum.nulls + p.Nulls, sum.value + p.Value}
	for k, c := range []struct {
		total, bound float64
		what         string
	}{
		{next.conversions, attribution.MaxCount, "conversions past %s"},
		{next.nulls, attribution.MaxCount, "nulls past %s"},
		{next.value, scoring.MaxAmount, "value past %s"},
	} {
		if c.total > c.bound {
			return at(k+1, "%s takes the rows' total "+c.what, strings.TrimSpace(rec[k+1]), bound(c.bound))
		}
	}
	*sum = next
	merged.put(p, i)
	return nil
}

// generated turns the synthetic base into journeys: the marketing channels that touched
// each person, in time order, up to their sign-up (a conversion, worth what they went on
// to spend, net of refunds) or to the end of the period (no conversion). The generator
// knows who is who; a host would key journeys by identity's profile instead.
func generated(people int) []pathRow {
	type journey struct {
		touches   []string
		converted bool
		value     float64
	}
	acc := map[string]*pathRow{}
	flush := func(j *journey) {
		if len(j.touches) == 0 {
			return // referred friends come through an invite, not a marketing channel
		}
		key := strings.Join(j.touches, attribution.Separator)
		p := acc[key]
		if p == nil {
			p = &pathRow{Touches: j.touches}
			acc[key] = p
		}
		if j.converted {
			p.Conversions++
			p.Value += j.value
		} else {
			p.Nulls++
		}
	}
	cur, person := &journey{}, -1
	for e := range synth.Generate(synth.Params{People: people}) {
		if e.Person != person {
			flush(cur)
			cur, person = &journey{}, e.Person
		}
		switch e.Kind {
		case synth.Touch:
			if !cur.converted {
				cur.touches = append(cur.touches, e.Channel)
			}
		case synth.Signup:
			cur.converted = true
		case synth.Purchase:
			cur.value += e.Amount
		case synth.Refund:
			cur.value -= e.Amount
		}
	}
	flush(cur)
	keys := make([]string, 0, len(acc))
	for k := range acc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]pathRow, len(keys))
	for i, k := range keys {
		rows[i] = *acc[k]
		rows[i].Value = math.Round(rows[i].Value*100) / 100
	}
	return rows
}

// bound writes one of the library's bounds as a reader of the error writes it: 1e15,
// not Go's 1e+15 (and not the name of its constant, which the reader never set).
func bound(x float64) string {
	return strings.Replace(strconv.FormatFloat(x, 'g', -1, 64), "e+", "e", 1)
}
