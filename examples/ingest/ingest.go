package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/tracking"
	"github.com/clientele-go/clientele/segment"
)

// maxLine bounds a line; a longer one is reported as malformed, not read into memory.
const maxLine = 1 << 20

// stats counts what happened to the input.
type stats struct {
	lines, messages, malformed int
	dropped                    map[string]int
	merges                     int
}

// run reads messages from in, writes the summary to out and one line per malformed
// input line to problems.
func run(out, problems io.Writer, in io.Reader, qs queries) error {
	st := stats{dropped: map[string]int{}}
	x := segment.NewIndex()
	// Every merge the resolver makes is applied to the index at once, so that activity
	// recorded under an anonymous profile follows the person when they identify.
	res, err := identity.New(identity.DefaultRules(), identity.OnMerge(func(m identity.Merge) {
		st.merges++
		x.ApplyMerge(m.Survivor, m.Absorbed...)
	}))
	if err != nil {
		return err
	}
	ctx := context.Background()
	events := map[string]bool{}
	var latest time.Time
	br := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		st.lines++
		if errors.Is(err, errLineTooLong) {
			st.malformed++
			fmt.Fprintf(problems, "line %d: %v\n", st.lines, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", st.lines, err)
		}
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		m, err := tracking.Parse(line)
		if err == nil {
			err = apply(ctx, res, x, m, &st)
		}
		if err != nil {
			st.malformed++
			fmt.Fprintf(problems, "line %d: %v\n", st.lines, err)
			continue
		}
		st.messages++
		if m.Event != "" {
			events[m.Event] = true
		}
		if m.Time.After(latest) {
			latest = m.Time
		}
	}
	return summarise(out, res, x, &st, events, latest, qs)
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLine)

// readLine returns the next line without its newline. A line over maxLine is consumed
// and reported as errLineTooLong.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) <= maxLine {
			line = append(line, chunk...)
		} else {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errLineTooLong
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) > 0:
			return line, nil
		case err != nil:
			return nil, err
		}
		return line[:len(line)-1], nil
	}
}

// apply resolves one message's identifiers and records its event. A message whose
// identifiers are all dropped (junk values such as "null") is reported, since none of
// it can be kept.
func apply(ctx context.Context, res *identity.Resolver, x *segment.Index, m tracking.Message, st *stats) error {
	ids := make([]identity.ID, len(m.IDs))
	for i, id := range m.IDs {
		ids[i] = identity.ID(id)
	}
	o, err := res.Resolve(ctx, m.Time, m.Type, ids...)
	if err != nil {
		return err
	}
	for _, d := range o.Dropped {
		st.dropped[fmt.Sprintf("%s %q (%s)", d.ID.Kind, d.ID.Value, dropReason(d.Err))]++
	}
	if o.Profile == 0 {
		return fmt.Errorf("%w: every identifier was dropped or quarantined", tracking.ErrMessage)
	}
	if m.Event != "" {
		x.Record(m.Event, o.Profile, m.Time)
	}
	return nil
}

func dropReason(err error) string {
	switch {
	case errors.Is(err, identity.ErrBlocked):
		return "blocked value"
	case errors.Is(err, identity.ErrUnparseable):
		return "unparseable"
	}
	return err.Error()
}

// summarise prints the profiles, the events and the audiences, evaluated at the latest
// message's time (the data's own "now").
func summarise(out io.Writer, res *identity.Resolver, x *segment.Index, st *stats, events map[string]bool, now time.Time, qs queries) error {
	s := res.Stats()
	fmt.Fprintf(out, "read %d lines: %d messages, %d malformed (reported with their line numbers)\n", st.lines, st.messages, st.malformed)
	fmt.Fprintf(out, "identities: %d identifiers in %d profiles, %d merges\n", s.Identifiers, s.Profiles, st.merges)
	for _, k := range sortedKeys(st.dropped) {
		fmt.Fprintf(out, "  dropped %s (x%d)\n", k, st.dropped[k])
	}
	for _, p := range x.Profiles().ToArray() {
		var ids []string
		for _, id := range res.Identifiers(p) {
			ids = append(ids, id.Kind+"="+id.Value)
		}
		slices.Sort(ids)
		fmt.Fprintf(out, "profile %d: %s\n", p, strings.Join(ids, ", "))
	}
	if len(events) == 0 {
		return nil
	}
	fmt.Fprintf(out, "audiences at %s:\n", now.Format(time.RFC3339))
	for _, e := range sortedKeys(events) {
		qs = append(queries{{"did " + e, "did(" + strconv.Quote(e) + ")"}}, qs...)
	}
	for _, q := range qs {
		parsed, err := segment.Parse(q.expr)
		if err == nil {
			var n uint64
			if n, err = x.Count(parsed, now); err == nil {
				fmt.Fprintf(out, "  %-24s %6d  %s\n", q.name, n, parsed)
				continue
			}
		}
		return fmt.Errorf("query %s: %w", q.name, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
