package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/gunzip"
	"github.com/clientele-go/clientele/internal/tracking"
	"github.com/clientele-go/clientele/segment"
)

// stats counts what happened to the input.
type stats struct {
	lines, messages, malformed int
	// duplicates: calls skipped, not applied, as their messageId was that of a call
	// applied earlier in the run (a retry), remembered in seen.
	duplicates int
	seen       seenIDs
	// dropped: identifiers dropped (junk or unparseable), counted by value for the
	// first droppedKept distinct values and by kind and reason past them, so that a
	// file of a million malformed e-mails holds a bounded map.
	dropped     map[dropKey]int
	droppedMore map[dropKey]int // Value ""
	droppedOnce int             // values of dropped seen once
	// refused: links a limit refused, by kinds and reason (a shared device seen with
	// two user ids stays apart from the second: without a line saying so, "0 merges"
	// left the reader to guess why), with the first such pair as an example.
	refused     map[string]int
	refusedFrom map[string]string
	quarantined map[string]int // hot identifiers the calls did not link, by kind and value
	merges      int
	atNote      string // said after "audiences at" of a time set by a call from the future
	groups      map[string]bool
	// reached: every profile a call resolved to or a split created, under the key it
	// had then (Current maps it to the profile that holds it now). The index knows only
	// profiles that did something (an identify call records no event), so the list of
	// profiles is built from these, to agree with the resolver's count.
	reached []uint32
}

// options are what the flags ask of the report.
type options struct {
	profiles int // how many profiles to list (-profiles); 0: all
	events   int // how many events' audiences to list (-events); 0: all
	// at is the instant the audiences are counted at (-at); zero: the latest call's.
	at time.Time
	// seenWindow is how many messageIds are remembered (0: maxSeen); a test sets it
	// small to see the oldest forgotten.
	seenWindow int
}

// run reads calls from in, writes the summary to out and one line per malformed input
// line (its line and column, up to tracking.DefaultMaxErrors) to problems. now is the
// arrival time that stands in for a call without a time of its own, as the Segment spec
// has the receiving server do.
func run(out, problems io.Writer, in io.Reader, qs queries, now time.Time, opt options) error {
	if opt.profiles < 0 {
		return fmt.Errorf("-profiles %d: want how many profiles to list, 0 for all", opt.profiles)
	}
	if opt.events < 0 {
		return fmt.Errorf("-events %d: want how many events to list, 0 for all", opt.events)
	}
	st := stats{seen: seenIDs{size: opt.seenWindow}, dropped: map[dropKey]int{}, droppedMore: map[dropKey]int{}, groups: map[string]bool{}, refused: map[string]int{}, refusedFrom: map[string]string{}, quarantined: map[string]int{}}
	x, err := segment.NewIndex()
	if err != nil {
		return err
	}
	// Every merge the resolver makes is applied to the index at once, so that activity
	// recorded under an anonymous profile follows the person when they identify.
	res, err := identity.New(identity.DefaultRules(), identity.OnMerge(func(m identity.Merge) {
		st.merges++
		for _, a := range m.Absorbed {
			x.ApplyMerge(m.Survivor, a) // identity's keys are non-zero and distinct: no error
		}
	}), identity.OnSplit(func(s identity.Split) { st.reached = append(st.reached, s.Into...) }))
	if err != nil {
		return err
	}
	ctx := context.Background()
	events := map[string]int{} // calls by event name
	var latest time.Time
	latestLine := 0
	ahead := late{ref: now}
	if !opt.at.IsZero() {
		ahead.ref = opt.at
	}
	var bad []*tracking.LineError
	// An events.jsonl.gz is decompressed as it is read.
	r := tracking.NewReader(gunzip.Reader(in), &tracking.ReaderOptions{Lenient: true, Parse: &tracking.ParseOptions{ReceivedAt: now}})
	for {
		m, line, err := r.Next()
		if err == io.EOF {
			st.lines = max(st.lines, line) // the lines read: blank ones after the last call too
			break
		}
		if err != nil {
			// A read that fails (a cut .gz) ends the run with no report, which would
			// count only part of the input: it says how far the input was read.
			if le := (*tracking.LineError)(nil); line > 0 && !errors.As(err, &le) {
				err = fmt.Errorf("reading the input after %s: %w", english.Count(line, "whole line"), err)
			}
			return err
		}
		st.lines = line
		if m.MessageID != "" && st.seen.seen(m.MessageID) {
			// A retry of a call applied already: applied again, it counted twice in
			// count(e, 30d). As the server, a call refused is not remembered, so its
			// retry is applied.
			st.duplicates++
			continue
		}
		if err := apply(ctx, res, x, m, &st); err != nil {
			// Resolution refused the call: report it as the reader reports a bad line.
			bad = append(bad, &tracking.LineError{Line: line, Column: 1, Err: err})
			continue
		}
		if m.MessageID != "" {
			st.seen.add(m.MessageID)
		}
		st.messages++
		if m.Event != "" {
			events[m.Event]++
		}
		if m.Time.After(latest) {
			latest, latestLine = m.Time, line
		}
		ahead.note(m.Time)
	}
	bad = append(bad, r.Errors()...)
	slices.SortStableFunc(bad, func(a, b *tracking.LineError) int { return a.Line - b.Line })
	for _, e := range bad {
		fmt.Fprintln(problems, e)
		st.lines = max(st.lines, e.Line)
	}
	if n := r.Skipped(); n > 0 {
		// Calls, not lines: one line of a batch may hold thousands of bad calls, which
		// were "59900 more bad lines" of a 3-line file.
		fmt.Fprintf(problems, "... and %s, not shown\n", english.Count(n, "more malformed call"))
	}
	st.malformed = len(bad) + r.Skipped()
	warning := ahead.warning(latestLine, latest, !opt.at.IsZero())
	if warning != "" {
		fmt.Fprintln(problems, warning)
	}
	at := latest
	switch {
	case !opt.at.IsZero():
		at = opt.at
	case latest.IsZero():
		// No call was applied: the audiences are counted now, as a call without a time
		// would be, not at 0001-01-01T00:00:00Z.
		at = now
	case warning != "":
		st.atNote = fmt.Sprintf(" (line %d's call, dated after this run's clock: see the warning)", latestLine)
	}
	return summarise(out, res, x, &st, events, at, qs, opt)
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
		k := dropKey{d.ID.Kind, d.ID.Value, dropReason(d.Err)}
		if _, ok := st.dropped[k]; !ok && len(st.dropped) >= droppedKept && st.droppedOnce >= droppedKept/2 {
			st.purgeDropped()
		}
		if n, ok := st.dropped[k]; ok || len(st.dropped) < droppedKept {
			switch n {
			case 0:
				st.droppedOnce++
			case 1:
				st.droppedOnce--
			}
			st.dropped[k]++
		} else {
			k.value = ""
			st.droppedMore[k]++
		}
	}
	for _, r := range o.Refused {
		reason := strings.TrimPrefix(r.Err.Error(), identity.ErrLimit.Error()+": ")
		k := fmt.Sprintf("%s from its call's %s, as their %s", r.ID.Kind, r.With.Kind, reason)
		if st.refused[k]++; st.refused[k] == 1 {
			st.refusedFrom[k] = fmt.Sprintf("%s=%s with %s=%s", r.ID.Kind, english.Name(r.ID.Value, idWidth), r.With.Kind, english.Name(r.With.Value, idWidth))
		}
	}
	for _, q := range o.Quarantined {
		st.quarantined[fmt.Sprintf("%s=%s", q.Kind, english.Name(q.Value, idWidth))]++
	}
	// An identifier kept apart or quarantined is a profile of its own, which the
	// resolver counts: listed too, or the list fell short of the count.
	for _, r := range o.Refused {
		if p, ok := res.Lookup(r.ID); ok {
			st.reached = append(st.reached, p)
		}
	}
	for _, q := range o.Quarantined {
		if p, ok := res.Lookup(q); ok {
			st.reached = append(st.reached, p)
		}
	}
	if o.Profile == 0 {
		return fmt.Errorf("%w: every identifier is a junk value or quarantined, so nothing of the call can be kept", tracking.ErrInvalid)
	}
	st.reached = append(st.reached, o.Profile)
	if len(st.reached) == cap(st.reached) {
		st.reached = live(res, st.reached) // one entry per profile, not per call
	}
	if m.Event != "" {
		x.Record(m.Time, o.Profile, m.Event)
	}
	if m.GroupID != "" {
		st.groups[m.GroupID] = true
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

// summarise prints the profiles (the first opt.profiles of them; 0: all), the events'
// audiences (opt.events of them; 0: all) and the queries', evaluated at now (the latest
// call's time, the data's own "now", or -at's).
func summarise(out io.Writer, res *identity.Resolver, x *segment.Index, st *stats, events map[string]int, now time.Time, qs queries, opt options) error {
	s := res.Stats()
	// Lines and calls both: a line may hold a batch of thousands of calls, and "read 3
	// lines: 2 calls applied, 60000 malformed" left the reader to wonder how.
	// The duplicates are said only when there are some: most exports hold none.
	dups := ""
	if st.duplicates > 0 {
		dups = english.Count(st.duplicates, "duplicate") + " (a messageId seen before), "
	}
	fmt.Fprintf(out, "read %s holding %s: %d applied, %s%d malformed (reported with their line and column)\n", english.Count(st.lines, "line"), english.Count(st.messages+st.duplicates+st.malformed, "call"), st.messages, dups, st.malformed)
	fmt.Fprintf(out, "identities: %s in %s, %s\n", english.Count(int(s.Identifiers), "identifier"), english.Count(int(s.Profiles), "profile"), english.Count(st.merges, "merge"))
	if len(st.groups) > 0 {
		fmt.Fprintf(out, "groups (accounts) named by group calls: %s\n", strings.Join(names(sortedKeys(st.groups)), ", "))
	}
	printDropped(out, st)
	for _, k := range sortedKeys(st.refused) {
		fmt.Fprintf(out, "  kept apart by a limit: %s (x%d; first %s)\n", k, st.refused[k], st.refusedFrom[k])
	}
	for _, k := range sortedKeys(st.quarantined) {
		fmt.Fprintf(out, "  quarantined %s: met too many profiles, so it links none (x%d)\n", k, st.quarantined[k])
	}
	profiles := live(res, st.reached)
	hidden := 0
	if opt.profiles > 0 && len(profiles) > opt.profiles {
		profiles, hidden = profiles[:opt.profiles], len(profiles)-opt.profiles
	}
	for _, p := range profiles {
		var ids []string
		for _, id := range res.Identifiers(p) {
			ids = append(ids, id.Kind+"="+english.Name(id.Value, idWidth))
		}
		slices.Sort(ids)
		fmt.Fprintf(out, "profile %d: %s\n", p, strings.Join(ids, ", "))
	}
	if hidden > 0 {
		fmt.Fprintf(out, "... and %s, not shown (-profiles 0 shows all)\n", english.Count(hidden, "more profile"))
	}
	if len(events) == 0 && len(qs) == 0 {
		return nil
	}
	// The index knows the profiles that did something; one seen only in identify calls
	// is in no audience, NOT ones included, which the line says.
	// The instant in UTC, where the index puts its days: shown in the offset of the call
	// that carried it (22:00-05:00), it named the day before the one whose events
	// did(e, 1d) counts.
	fmt.Fprintf(out, "audiences at %s%s, of the %s with an event:\n", now.UTC().Format(time.RFC3339), st.atNote, english.Count(int(x.Profiles().GetCardinality()), "profile"))
	var did queries
	var failed []error
	shown, hiddenEvents, hiddenCalls := topEvents(events, opt.events)
	for _, e := range shown {
		did = append(did, namedQuery{"did " + english.Name(e, nameWidth), "did(" + strconv.Quote(e) + ")"})
	}
	// An audience named past the column's 24 terminal columns pushed its own count
	// out of line with the others: the column widens to the longest name, a -query's
	// or an event's cut with its length after it ("did Checkout Step Comple… (42
	// bytes)") or quoted.
	nameCol := 24
	for _, q := range append(did, qs...) {
		nameCol = max(nameCol, english.Width(q.name))
	}
	// The events left out are said after the events' rows, before the queries'.
	moreEvents := func() {
		if hiddenEvents > 0 {
			fmt.Fprintf(out, "  ... and %s of at most %s each, not shown (-events 0 shows all)\n", english.Count(hiddenEvents, "more event"), english.Count(hiddenCalls, "call"))
		}
	}
	for i, q := range append(did, qs...) {
		if i == len(did) {
			moreEvents()
		}
		parsed, err := segment.Parse(q.expr)
		if err == nil {
			var n uint64
			if n, err = x.Count(context.Background(), now, parsed, nil); err == nil {
				fmt.Fprintf(out, "  %s %6d  %s\n", english.Pad(q.name, nameCol), n, english.Name(parsed.String(), queryWidth))
				continue
			}
		}
		if i < len(did) && errors.Is(err, segment.ErrSyntax) {
			// An event name the data chose may be longer than a query can be: one odd
			// call must not cost the report its other audiences.
			fmt.Fprintf(out, "  %s %6s  not counted: %v\n", english.Pad(q.name, nameCol), "-", err)
			continue
		}
		if i >= len(did) && errors.Is(err, segment.ErrUnknownField) {
			// A -query naming an event this input never carried (a day's file
			// without an order) ended the report there, the audiences after it
			// unprinted; it is listed as not counted, and is an error only when it
			// is likely a misspelling (segment suggests a name). (One naming a
			// trait or a field, which the calls never set, was refused with the
			// flags.)
			hint, absent := "", strings.Contains(err.Error(), "unknown event") && !strings.Contains(err.Error(), "did you mean")
			if absent {
				hint = " (no call in the input carried that event)"
			}
			fmt.Fprintf(out, "  %s %6s  not counted: %v%s\n", english.Pad(q.name, nameCol), "-", err, hint)
			if !absent {
				failed = append(failed, fmt.Errorf("query %s: %w", q.name, err))
			}
			continue
		}
		return fmt.Errorf("query %s: %w", q.name, err)
	}
	if len(qs) == 0 {
		moreEvents()
	}
	return errors.Join(failed...)
}

// topEvents returns the names of the n events carried by the most calls (all when n is
// 0), in name order, with how many it left out and the most calls one of those had. A
// row per event, unbounded, printed a 50,005-line report for 50,000 event names (as
// ids put in names give); the events of the most calls are those a reader looks for.
func topEvents(events map[string]int, n int) (shown []string, hidden, hiddenCalls int) {
	names := sortedKeys(events)
	if n == 0 || len(names) <= n {
		return names, 0, 0
	}
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(events[b], events[a]) })
	for _, e := range names[n:] {
		hiddenCalls = max(hiddenCalls, events[e])
	}
	shown = names[:n]
	slices.Sort(shown)
	return shown, len(names) - n, hiddenCalls
}

// The widths, in terminal columns, at which names from the data are cut in the report
// (the audience column is 24 columns wide, padded by english.Pad: an event named in
// Chinese or Japanese takes two columns a character, and %-24s, which pads by runes,
// pushed the rest of its row right; a query is shown whole up to a line's width).
const (
	nameWidth  = 20
	queryWidth = 100
	idWidth    = 64
)

// live returns the profiles that now hold the keys ps (Current), sorted and without
// repeats, in ps's memory.
func live(res *identity.Resolver, ps []uint32) []uint32 {
	out := ps[:0]
	for _, p := range ps {
		if c := res.Current(p); c != 0 {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// names returns the data's names as a report line shows them (english.Name).
func names(ss []string) []string {
	for i, s := range ss {
		ss[i] = english.Name(s, nameWidth)
	}
	return ss
}

// dropKey is one dropped identifier: its kind, its value and why.
type dropKey struct{ kind, value, reason string }

const (
	// droppedShown is how many dropped values the report lists, the most frequent
	// first: the list was one line per distinct value, 3,000 lines for a file of
	// 3,000 malformed e-mails, where the profiles stop at -profiles.
	droppedShown = 20
	// droppedKept is how many distinct dropped values are counted one by one.
	droppedKept = 1000
)

// onPurge, when a test sets it, runs at each purgeDropped scan: the scans' bound is a
// cost, not a result (a scan that frees nothing changes no output), so only counting
// them shows it. A hook rather than a field of stats, so the program's state carries
// nothing that only a test reads.
var onPurge func()

// purgeDropped moves the values dropped once into droppedMore, making room for values
// seen later: a junk value sent a thousand times after a thousand malformed ones would
// otherwise never be listed, though it heads the list. It runs only when at least half
// the values kept were seen once, so that each scan frees half the map: run whenever the
// map was full, it scanned all of it for every new value once the values kept had been
// seen twice each, a thousand steps a call for a million malformed e-mails.
func (st *stats) purgeDropped() {
	if onPurge != nil {
		onPurge()
	}
	st.droppedOnce = 0
	for k, n := range st.dropped {
		if n == 1 {
			delete(st.dropped, k)
			st.droppedMore[dropKey{kind: k.kind, reason: k.reason}]++
		}
	}
}

// printDropped lists the most frequent dropped values, then what it did not list,
// counted by kind and reason.
func printDropped(out io.Writer, st *stats) {
	keys := make([]dropKey, 0, len(st.dropped))
	for k := range st.dropped {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dropKey) int {
		return cmp.Or(cmp.Compare(st.dropped[b], st.dropped[a]), cmp.Compare(a.kind, b.kind), cmp.Compare(a.value, b.value), cmp.Compare(a.reason, b.reason))
	})
	for i, k := range keys {
		if i == droppedShown {
			break
		}
		v := strconv.Quote(k.value)
		if len(k.value) > idWidth {
			v = english.Name(k.value, idWidth)
		}
		fmt.Fprintf(out, "  dropped %s %s (%s) (x%d)\n", k.kind, v, k.reason, st.dropped[k])
	}
	hidden := maps.Clone(st.droppedMore)
	for _, k := range keys[min(len(keys), droppedShown):] {
		hidden[dropKey{kind: k.kind, reason: k.reason}] += st.dropped[k]
	}
	if len(hidden) == 0 {
		return
	}
	total := 0
	var parts []string
	for _, k := range slices.SortedFunc(maps.Keys(hidden), func(a, b dropKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.reason, b.reason))
	}) {
		total += hidden[k]
		parts = append(parts, fmt.Sprintf("%d %s (%s)", hidden[k], k.kind, k.reason))
	}
	fmt.Fprintf(out, "  ... and %s dropped, not shown: %s\n", english.Count(total, "more identifier"), strings.Join(parts, ", "))
}
