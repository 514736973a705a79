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

	"github.com/clientele-go/clientele/internal/synth"
)

// pathRow is one distinct journey with its counts; attribution.Path already says all of it.
type pathRow = attribution.Path

// readCSV reads journeys as "path,conversions,nulls,value" rows, with an optional header
// row naming those columns. Errors name the line and the column.
func readCSV(r io.Reader) ([]pathRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	cr.Comment = '#'
	var rows []pathRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "path") {
			continue // the header
		}
		p, err := attribution.ParsePath(rec[0])
		if err != nil {
			return nil, fmt.Errorf("line %d, column path: %w", line, err)
		}
		for i, dst := range []*float64{&p.Conversions, &p.Nulls, &p.Value} {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i+1]), 64)
			if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, fmt.Errorf("line %d, column %s: %q is not a non-negative number", line, []string{"conversions", "nulls", "value"}[i], rec[i+1])
			}
			*dst = v
		}
		rows = append(rows, p)
	}
	if len(rows) == 0 {
		return nil, errors.New("no journeys")
	}
	return rows, nil
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
