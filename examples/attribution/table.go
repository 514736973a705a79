package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/referral/attribution"
)

// models are the columns of the table, in the order a reader meets them: the rules
// first, then the data-driven models.
var models = []struct {
	name  string
	model attribution.CreditRule
}{
	{"first", attribution.FirstTouch{}},
	{"last", attribution.LastTouch{}},
	{"last-nd", attribution.LastTouch{}}, // Direct: the -direct flag's channel, set by attribute
	{"linear", attribution.Linear{}},
	{"U-shape", attribution.PositionBased{}},
	{"decay", attribution.TimeDecay{HalfLifeTouches: 1}},
	{"markov1", attribution.Markov{Order: 1}},
	{"markov2", attribution.Markov{Order: 2}},
	{"shapley", attribution.Shapley{}},
}

// table holds every model's credits per channel.
type table struct {
	channels                  []string
	credits                   []map[string]attribution.Credit // per model
	conversions, nulls, value float64
	journeys                  int // distinct paths: a file may list one path on several rows
	width                     int // of the first column, in terminal columns (english.Width): the widest channel name
	direct                    string
	hasDirect                 bool // a path holds the channel named direct
}

// attribute credits the paths by every model; direct names the channel last-nd passes
// over.
func attribute(paths []attribution.Path, direct string) (*table, error) {
	t := &table{width: 12, direct: direct} // at least as wide as the usual channel names, so that tables line up across files
	seen := map[string]bool{}
	journeys := map[string]bool{}
	for _, p := range paths {
		t.conversions += p.Conversions
		t.nulls += p.Nulls
		t.value += p.Value
		journeys[strings.Join(p.Touches, attribution.Separator)] = true
		for _, c := range p.Touches {
			if !seen[c] {
				seen[c] = true
				t.channels = append(t.channels, c)
				t.width = max(t.width, english.Width(shown(c)))
			}
		}
	}
	t.journeys = len(journeys)
	t.hasDirect = seen[direct]
	slices.Sort(t.channels)
	for _, m := range models {
		if m.name == "last-nd" {
			m.model = attribution.LastTouch{Direct: direct}
		}
		c, err := attribution.Attribute(paths, m.model)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		t.credits = append(t.credits, c)
	}
	return t, nil
}

// legend says what the columns' short names mean.
const legend = `first, last: first and last touch; last-nd: last non-direct touch; linear: equal shares;
U-shape: 40% first, 40% last, 20% between; decay: halves with each touch back;
markov1, markov2: removal effects of a Markov chain of order 1 and 2; shapley: Shapley value.`

// print writes two tables, conversions and value, one row per channel and one column
// per model.
func (t *table) print(w io.Writer) {
	for _, part := range []struct {
		title string
		get   func(attribution.Credit) float64
		total float64
	}{
		{"Conversions credited", func(c attribution.Credit) float64 { return c.Conversions }, t.conversions},
		{"Value credited", func(c attribution.Credit) float64 { return c.Value }, t.value},
	} {
		// Columns are 9 wide, wider when a figure is (the total is the widest, as
		// credits are not negative): a million conversions would push its row out of
		// line with the others.
		cw := max(9, len(fmt.Sprintf("%.2f", part.total)))
		for _, ch := range t.channels {
			for i := range models {
				cw = max(cw, len(fmt.Sprintf("%.2f", part.get(t.credits[i][ch]))))
			}
		}
		fmt.Fprintf(w, "%s\n%s", part.title, english.Pad("channel", t.width))
		for _, m := range models {
			fmt.Fprintf(w, " %*s", cw, m.name)
		}
		fmt.Fprintln(w)
		for _, ch := range t.channels {
			// Padded by columns, not runes (%-*s): a channel in Chinese or Japanese
			// takes two columns a character.
			fmt.Fprint(w, english.Pad(shown(ch), t.width))
			for i := range models {
				fmt.Fprintf(w, " %*.2f", cw, part.get(t.credits[i][ch]))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprint(w, english.Pad("total", t.width))
		for range models {
			fmt.Fprintf(w, " %*.2f", cw, part.total)
		}
		fmt.Fprintf(w, "\n\n")
	}
	fmt.Fprintln(w, legend)
	if !t.hasDirect && t.direct != "" {
		// last-nd passes over the channel named exactly so: an export that calls it
		// "Direct" or "(direct)" (Google Analytics) got a last-nd column equal to last
		// touch's, and nothing said why.
		fmt.Fprintf(w, "No channel is named %q, so last-nd is last touch%s\n", t.direct, directHint(t.channels, t.direct))
	}
}

// directHint names the channels that look like the direct channel under another
// spelling, as the flag that would make last-nd pass over them.
func directHint(channels []string, direct string) string {
	var like []string
	for _, c := range channels {
		// "(none)" is compared before its parentheses are trimmed: compared after,
		// it never matched, and a GA export's "(none)" was not named.
		trimmed := strings.Trim(strings.TrimSpace(c), "()")
		if strings.EqualFold(trimmed, direct) || strings.EqualFold(trimmed, "direct") || strings.EqualFold(strings.TrimSpace(c), "(none)") {
			like = append(like, fmt.Sprintf("-direct %q", c))
		}
	}
	if len(like) == 0 {
		return ": name the direct channel with -direct."
	}
	return ": is it " + strings.Join(like, " or ") + "?"
}

// shown is a channel name as the table shows it: the parser refuses control characters,
// but a format character such as a bidirectional override (U+202E) would reverse the
// rest of its row on the reader's terminal, and a name can be long.
func shown(channel string) string { return english.Name(channel, 40) }
