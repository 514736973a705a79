// Command ingest reads Segment-spec JSON lines (identify, track, page, screen, group and
// alias calls, alone or in batch envelopes: the format Segment, RudderStack and Jitsu
// emit) from a file or standard input, resolves the
// identities they carry into profiles, records their events into a segment index and
// prints the profiles and the size of each audience, at the latest call's time or -at's.
// A call dated on a day after the run's clock, which moves every window with it, is
// warned of. A malformed line is reported with
// its line and column and skipped; it never stops the run and is never silently dropped.
// A call without a time of its own is taken to happen when it is read. A call whose
// messageId was applied earlier in the run (a retry) is skipped and counted as a
// duplicate; the last 2^20 ids are remembered.
//
//	go run ./examples/ingest                                  # the sample in testdata
//	go run ./examples/ingest -in events.jsonl -query 'users=days(page, 30d) >= 2'
//	cat events.jsonl | go run ./examples/ingest -in -
//	go run ./examples/ingest -in events.jsonl -profiles 0     # list every profile, not the first 20
//	go run ./examples/ingest -in events.jsonl -events 0       # list every event, not the 100 of the most calls
//	go run ./examples/ingest -in events.jsonl -at 2025-03-01  # the audiences as of that day
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/segment"
)

// queries collects -query name=expression flags.
type queries []namedQuery

type namedQuery struct{ name, expr string }

func (q *queries) String() string { return fmt.Sprint(*q) }

// Set adds one name=expression. The expression is parsed here, and one that no input
// can answer (answerable) refused, so that a mistyped query stops the command before it
// reads its input rather than after (a million lines take a minute or more), and a name
// may be given once.
func (q *queries) Set(s string) error {
	name, expr, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want name=expression, got %q", s)
	}
	parsed, err := segment.Parse(expr)
	if err != nil {
		// The error's column counts in expr, not in the flag's value after "name=": quote
		// expr on its own for the column to be counted in.
		return fmt.Errorf("audience %q: expression %q: %w", name, expr, err)
	}
	if err := answerable(parsed); err != nil {
		return fmt.Errorf("audience %q: expression %q: %w (the index this command builds holds only the calls' events: no trait, numeric field or saved segment)", name, expr, err)
	}
	for _, have := range *q {
		if have.name == name {
			return fmt.Errorf("audience %q is named twice; give each -query a name of its own", name)
		}
	}
	*q = append(*q, namedQuery{name, expr})
	return nil
}

// answerable refuses a query that no input can answer: one naming a trait, a numeric
// field or a saved segment, which the index built from calls never holds. It was
// refused only after the whole input was read. The query is evaluated over an empty
// index that knows its events, so that only those names are unknown.
func answerable(q *segment.Query) error {
	probe, err := segment.NewIndex(segment.WithEvents(q.Events()...))
	if err != nil {
		return err
	}
	_, err = probe.Count(context.Background(), time.Unix(0, 0), q, nil)
	return err
}

// defaults are the flags' defaults. A tracking plan names tens of events, up to a
// hundred or two, listed whole at 100; names made from ids (a page event per URL) can
// be tens of thousands, a report of as many lines.
var defaults = options{profiles: 20, events: 100}

func main() {
	in := flag.String("in", "examples/ingest/testdata/events.jsonl", `JSON lines to read, gzip-compressed too (events.jsonl.gz); "-" for standard input`)
	var qs queries
	flag.Var(&qs, "query", "an audience to count, name=expression in the segment query language (repeatable)")
	opt := defaults
	flag.IntVar(&opt.profiles, "profiles", defaults.profiles, "how many profiles to list (0: all)")
	flag.IntVar(&opt.events, "events", defaults.events, "how many events' audiences to list, those of the most calls (0: all)")
	flag.Var(instant{&opt.at}, "at", "count the audiences at this `instant`, an RFC 3339 time or a date (default: the latest call's time)")
	flag.Parse()
	r := os.Stdin
	if *in != "-" {
		f, err := openInput(*in, *in == flag.Lookup("in").DefValue)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ingest:", err)
			os.Exit(1)
		}
		defer f.Close()
		r = f
	}
	if err := run(os.Stdout, os.Stderr, r, qs, clientele.SystemClock{}.Now(), opt); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

// openInput opens the input file. The default -in is the repository's sample, named
// relative to the repository's root: run from anywhere else, it is missing, and the
// error says where to run from instead of only "no such file or directory".
func openInput(path string, isDefault bool) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil && isDefault && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (the default -in is the repository's sample, named from the repository's root: run there, or give -in)", err)
	}
	return f, err
}
