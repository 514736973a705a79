package funnel

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/english"
)

// DefaultMaxSteps is the work a Sequence allows a search on one profile beyond the
// work linear in its events: ClickHouse's sequence_match_max_iterations.
const DefaultMaxSteps = 1_000_000

// Sequence is ClickHouse's sequenceMatch and sequenceCount: whether, and how many
// times, a profile's events follow a pattern.
//
// The pattern language is ClickHouse's:
//
//	(?N)         an event that meets condition N (1-based index into Conditions)
//	.            any event
//	.*           any run of events, the empty one included
//	(?t<=N)      the next event at most N units after the base event; also <, >=, >, ==
//
// Only events that meet at least one condition take part (the others are dropped, as
// in ClickHouse), in time order, ties in input order (ClickHouse leaves ties in no
// particular order). A pattern matches anywhere in the sequence: it is preceded by an
// implicit .*, and (?1)(?2) means an event meeting condition 1 immediately followed, in
// the kept events, by one meeting condition 2. A time condition works like .* (it lets
// events pass) but bounds the time from its base, the event matched just before it
// (after a .* or another time condition: the event that followed them), to the event
// matched just after it; it must follow an event, . or .*.
//
// Match is sequenceMatch. Count is sequenceCount: matches found one after another,
// each search resuming after the previous match, the search trying shorter runs for
// each .* and time condition first, exactly as ClickHouse's backtracking does (its
// test 00222_sequence_aggregate_function_family is transcribed in sequence_test.go).
// A pattern that names a condition no event meets matches nothing.
type Sequence struct {
	Pattern    string
	Conditions []Step // at most MaxSteps (32), as in ClickHouse
	// Unit is what the numbers of time conditions count; zero means a second, as with
	// ClickHouse's DateTime.
	Unit time.Duration
	// MaxSteps bounds the work of the backtracking search on one profile, so that a
	// hostile pattern cannot hang it: beyond a few steps per event and pattern element
	// (work linear in the profile) at most MaxSteps more, after which the computation
	// fails with ErrInvalid. Zero means DefaultMaxSteps.
	MaxSteps int
}

// SequenceResult is a Sequence over many profiles, each matched on its own events.
// Results of one Sequence over disjoint shards of profiles merge with Merge, which
// mutates the receiver: a SequenceResult is not safe for concurrent use while merged
// into.
type SequenceResult struct {
	// Profiles counts profiles with at least one event (met conditions or not).
	Profiles int64
	// Matched holds the profiles whose events match the pattern (sequenceMatch = 1).
	Matched *roaring.Bitmap
	// Count is the sum over profiles of sequenceCount; Histogram[k] is how many
	// profiles have a sequenceCount of k.
	Count     int64
	Histogram []int64
	// seq names the Sequence that computed the result (its fingerprint), so that Merge
	// refuses a result of another; "" in a result built by hand.
	seq string
	// counted holds the profiles known to be counted in Profiles, matched or not, so
	// that Merge refuses a profile counted in both results (Matched alone misses a
	// shard in which none matched): every profile of a result of Run, RunSeq or
	// RunBatch, and the Matched ones of results built by hand merged with it, so that
	// it holds Matched. It is nil in a result built by hand or copied through its
	// exported fields (by encoding/gob, say), whose profiles are known only as far as
	// Matched names them.
	counted *roaring.Bitmap
}

// fingerprint names what a SequenceResult depends on: the pattern, the unit of its
// time conditions and the conditions' names. MaxSteps only decides whether a
// computation fails, and the Match functions cannot be compared.
func (q Sequence) fingerprint() string {
	unit := q.Unit
	if unit == 0 {
		unit = time.Second
	}
	names := make([]string, len(q.Conditions))
	for i, c := range q.Conditions {
		names[i] = c.Name
	}
	return fmt.Sprintf("sequence pattern=%q unit=%v conditions=%q", q.Pattern, unit, names)
}

// compile checks the Sequence and parses its pattern.
func (q Sequence) compile() (*seqProgram, int, error) {
	switch {
	case len(q.Conditions) == 0:
		return nil, 0, fmt.Errorf("%w: sequence with no conditions", ErrInvalid)
	case len(q.Conditions) > MaxSteps:
		return nil, 0, fmt.Errorf("%w: sequence with %d conditions, at most %d", ErrInvalid, len(q.Conditions), MaxSteps)
	case q.Unit < 0:
		return nil, 0, fmt.Errorf("%w: sequence unit %v is negative", ErrInvalid, q.Unit)
	case q.MaxSteps < 0:
		return nil, 0, fmt.Errorf("%w: sequence MaxSteps %d is negative", ErrInvalid, q.MaxSteps)
	}
	for i, c := range q.Conditions {
		if c.Match == nil && c.Name == "" {
			return nil, 0, fmt.Errorf("%w: sequence condition %d has neither Name nor Match", ErrInvalid, i+1)
		}
	}
	unit := q.Unit
	if unit == 0 {
		unit = time.Second
	}
	pg, err := parsePattern(q.Pattern, len(q.Conditions), unit)
	if err != nil {
		return nil, 0, err
	}
	steps := q.MaxSteps
	if steps == 0 {
		steps = DefaultMaxSteps
	}
	return pg, steps, nil
}

// Validate reports whether q is usable: its conditions and its pattern.
func (q Sequence) Validate() error {
	_, _, err := q.compile()
	return err
}

func (q Sequence) mask(e Event) uint32 {
	var m uint32
	for i, c := range q.Conditions {
		if c.matches(e) {
			m |= 1 << i
		}
	}
	return m
}

// kept returns the events of one group that meet a condition, in time order (ties in
// input order).
func (q Sequence) kept(events []Event) ([]seqEvent, error) {
	var evs []seqEvent
	for i, e := range events {
		t, err := instant(i, e, time.Time{})
		if err != nil {
			return nil, err
		}
		if m := q.mask(e); m != 0 {
			evs = append(evs, seqEvent{t, m})
		}
	}
	slices.SortStableFunc(evs, func(a, b seqEvent) int { return cmp.Compare(a.t, b.t) })
	return evs, nil
}

// Match reports whether events, taken as one group whatever their profiles (as
// ClickHouse's aggregate sees the rows of a GROUP BY key), match the pattern.
func (q Sequence) Match(events []Event) (bool, error) {
	pg, steps, err := q.compile()
	if err != nil {
		return false, err
	}
	evs, err := q.kept(events)
	if err != nil {
		return false, err
	}
	return newSeqMatcher(pg, steps).match(evs)
}

// Count returns how many times events, taken as one group (see Match), match the
// pattern one after another.
func (q Sequence) Count(events []Event) (int64, error) {
	pg, steps, err := q.compile()
	if err != nil {
		return 0, err
	}
	evs, err := q.kept(events)
	if err != nil {
		return 0, err
	}
	return newSeqMatcher(pg, steps).count(evs)
}

// seqTally accumulates per-profile outcomes into a SequenceResult.
type seqTally struct {
	m       *seqMatcher
	res     *SequenceResult
	ids     []uint32 // matched profiles, appended in order of appearance
	counted idSet    // every profile
}

func newSeqTally(pg *seqProgram, steps int, fp string) *seqTally {
	return &seqTally{m: newSeqMatcher(pg, steps), res: &SequenceResult{Matched: roaring.New(), seq: fp}}
}

// profile adds one profile's kept events, in time order.
func (st *seqTally) profile(prof uint32, evs []seqEvent) error {
	st.res.Profiles++
	st.counted.add(prof)
	ok, err := st.m.match(evs)
	if err != nil {
		return errorf("profile %d: %w", prof, err)
	}
	n, err := st.m.count(evs)
	if err != nil {
		return errorf("profile %d: %w", prof, err)
	}
	if ok {
		st.ids = append(st.ids, prof)
	}
	st.res.Count += n
	for int64(len(st.res.Histogram)) <= n {
		st.res.Histogram = append(st.res.Histogram, 0)
	}
	st.res.Histogram[n]++
	return nil
}

func (st *seqTally) result() *SequenceResult {
	st.res.Matched.AddMany(st.ids)
	st.res.Matched.RunOptimize()
	st.counted.settle()
	st.res.counted = st.counted.bm
	if st.res.counted == nil {
		st.res.counted = roaring.New()
	}
	return st.res
}

// Run matches each profile's events in events (any order) on their own.
func (q Sequence) Run(events []Event) (*SequenceResult, error) {
	pg, steps, err := q.compile()
	if err != nil {
		return nil, err
	}
	type keyed struct {
		prof uint32
		idx  int32
		ev   seqEvent
	}
	rows := make([]keyed, 0, len(events))
	for i, e := range events {
		t, err := instant(i, e, time.Time{})
		if err != nil {
			return nil, err
		}
		rows = append(rows, keyed{e.Profile, int32(i), seqEvent{t, q.mask(e)}})
	}
	slices.SortFunc(rows, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.prof, b.prof), cmp.Compare(a.ev.t, b.ev.t), cmp.Compare(a.idx, b.idx))
	})
	st := newSeqTally(pg, steps, q.fingerprint())
	var evs []seqEvent
	for i := 0; i < len(rows); {
		j := i
		evs = evs[:0]
		for ; j < len(rows) && rows[j].prof == rows[i].prof; j++ {
			if rows[j].ev.mask != 0 {
				evs = append(evs, rows[j].ev)
			}
		}
		if err := st.profile(rows[i].prof, evs); err != nil {
			return nil, err
		}
		i = j
	}
	return st.result(), nil
}

// RunSeq matches a stream grouped by profile (see Spec.RunSeq), holding one profile's
// events at a time.
func (q Sequence) RunSeq(events iter.Seq[Event]) (*SequenceResult, error) {
	pg, steps, err := q.compile()
	if err != nil {
		return nil, err
	}
	st := newSeqTally(pg, steps, q.fingerprint())
	var evs []seqEvent
	var failed error
	add := func(e Event, t int64) {
		if m := q.mask(e); m != 0 {
			evs = append(evs, seqEvent{t, m})
		}
	}
	end := func(prof uint32) {
		slices.SortStableFunc(evs, func(a, b seqEvent) int { return cmp.Compare(a.t, b.t) })
		if err := st.profile(prof, evs); err != nil && failed == nil {
			failed = err
		}
		evs = evs[:0]
	}
	if err := grouped(events, time.Time{}, add, end); err != nil {
		return nil, err
	}
	if failed != nil {
		return nil, failed
	}
	return st.result(), nil
}

// RunBatch matches each profile of a batch (see Batch), conditions matched once per
// distinct event name, profile ranges in parallel.
func (q Sequence) RunBatch(b *Batch) (*SequenceResult, error) {
	if b == nil {
		return nil, errNilBatch
	}
	pg, steps, err := q.compile()
	if err != nil {
		return nil, err
	}
	starts, err := b.profiles(time.Time{})
	if err != nil {
		return nil, err
	}
	masks := b.byName(q.mask)
	nprof := len(starts) - 1
	fp := q.fingerprint()
	type part struct {
		res *SequenceResult
		err error
	}
	parts := split(nprof, workersFor(b.Len()), func(lo, hi int) part {
		st := newSeqTally(pg, steps, fp)
		var evs []seqEvent
		for p := lo; p < hi; p++ {
			evs = evs[:0]
			sorted := true
			for i := starts[p]; i < starts[p+1]; i++ {
				if m := masks[b.Event[i]]; m != 0 {
					if len(evs) > 0 && b.Time[i] < evs[len(evs)-1].t {
						sorted = false
					}
					evs = append(evs, seqEvent{b.Time[i], m})
				}
			}
			if !sorted {
				slices.SortStableFunc(evs, func(a, b seqEvent) int { return cmp.Compare(a.t, b.t) })
			}
			if err := st.profile(b.Profile[starts[p]], evs); err != nil {
				return part{err: err}
			}
		}
		return part{res: st.result()}
	})
	out := &SequenceResult{Matched: roaring.New(), seq: fp, counted: roaring.New()}
	for _, pt := range parts {
		if pt.err != nil {
			return nil, pt.err
		}
		out.mergeDisjoint(pt.res)
	}
	return out, nil
}

// Merge adds other, computed over a disjoint set of profiles, to r. Both must come
// from the same Sequence (Pattern, Unit and condition names; the Match functions cannot
// be compared, so that much is the caller's promise): a result of another fails with
// ErrMismatch. A result built by hand names no Sequence and merges with any; the zero
// SequenceResult is the empty result, ready to be merged into.
//
// A profile counted in both results, matched or not (a shard merged twice, a shard
// run again after a retry and merged beside its first result, shards that overlap or
// divide a profile's events between them, a result merged into itself), would count
// twice and bias every rate: Merge refuses it with ErrInvalid naming how many. A
// result of Run, RunSeq or RunBatch, or merged from such results, remembers every
// profile it counted (a roaring bitmap beside Matched, about a bit a profile when ids
// are dense), so the check is exact for them; of a result built by hand, or copied
// through its exported fields (encoding/gob, say), only the Matched profiles are
// known, and for its other profiles disjointness is the caller's promise. A result of
// no profiles adds nothing, so it merges any number of times.
//
// A nil r or other fails with ErrInvalid (a nil other is most often the result of a
// Run whose error went unchecked, whose profiles would otherwise go missing without a
// word), as does a result whose figures disagree, which no Sequence computes: a negative
// count, a Histogram that does not sum to Profiles or whose Σ k·Histogram[k] is not
// Count, more profiles Matched or counted than Profiles (Profiles lowered after the
// Run), or a sum past the range of int64. On any error r is unchanged.
func (r *SequenceResult) Merge(other *SequenceResult) error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: merge into a nil *SequenceResult (the empty result is &SequenceResult{})", ErrInvalid)
	case other == nil:
		return fmt.Errorf("%w: merge a nil *SequenceResult (was an error of Run left unchecked?)", ErrInvalid)
	case r == other:
		return fmt.Errorf("%w: merge a SequenceResult into itself; shards must hold disjoint profiles", ErrInvalid)
	}
	if err := r.check("the receiver"); err != nil {
		return err
	}
	if err := other.check("the other"); err != nil {
		return err
	}
	if r.seq != "" && other.seq != "" && r.seq != other.seq {
		return fmt.Errorf("%w: merge a SequenceResult of %s into one of %s", ErrMismatch, shownFingerprint(other.seq), shownFingerprint(r.seq))
	}
	if n := overlapBitmaps(r.known(), other.known()); n > 0 {
		return fmt.Errorf("%w: merge a SequenceResult: %d %s counted in both results; shards must hold disjoint profiles (was a shard merged twice?)", ErrInvalid, n, english.Plural(n, "profile", "profiles"))
	}
	// Each result's Histogram sums to its Profiles and its Σ k·Histogram[k] is its
	// Count (check), so sums of Profiles and of Count that fit bound every other sum.
	if r.Profiles+other.Profiles < 0 || r.Count+other.Count < 0 {
		return fmt.Errorf("%w: merge a SequenceResult: %d + %d profiles or %d + %d matches overflow int64", ErrInvalid, r.Profiles, other.Profiles, r.Count, other.Count)
	}
	// The sums go to a new array: results built by hand may share one between their
	// Histograms, where summing in place would overwrite cells of other before reading
	// them (and change other).
	hist := make([]int64, len(r.Histogram), max(len(r.Histogram), len(other.Histogram)))
	copy(hist, r.Histogram)
	r.Histogram = hist
	r.mergeDisjoint(other)
	return nil
}

// known returns the bitmaps of the profiles r is known to have counted, to be only
// read: counted, which holds Matched, or for a result built by hand Matched (a
// matched profile was counted); none if that is nil or empty.
func (r *SequenceResult) known() []*roaring.Bitmap {
	bm := r.counted
	if bm == nil {
		bm = r.Matched
	}
	if bm == nil || bm.IsEmpty() {
		return nil
	}
	return []*roaring.Bitmap{bm}
}

// mergeDisjoint is Merge without its checks, for the results of one computation's
// workers, whose ranges of profiles are disjoint by construction.
func (r *SequenceResult) mergeDisjoint(other *SequenceResult) {
	if r.Matched == nil {
		r.Matched = roaring.New()
	}
	if r.seq == "" {
		r.seq = other.seq
	}
	r.Profiles += other.Profiles
	// Once either side knows its profiles, r does: its own (counted, or Matched if
	// built by hand) and other's, so that known stays one bitmap holding Matched.
	if r.counted != nil || other.counted != nil {
		if r.counted == nil {
			r.counted = r.Matched.Clone()
		}
		for _, bm := range other.known() {
			r.counted.Or(bm)
		}
	}
	if other.Matched != nil {
		r.Matched.Or(other.Matched)
	}
	r.Count += other.Count
	for len(r.Histogram) < len(other.Histogram) {
		r.Histogram = append(r.Histogram, 0)
	}
	for k, n := range other.Histogram {
		r.Histogram[k] += n
	}
}

// check reports whether the figures of r, named whose in the error, agree with one
// another as those of every result a Sequence computes do (see Merge).
func (r *SequenceResult) check(whose string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: merge a SequenceResult: %s has %s", ErrInvalid, whose, fmt.Sprintf(format, args...))
	}
	if r.Profiles < 0 {
		return bad("Profiles %d, negative", r.Profiles)
	}
	if r.Count < 0 {
		return bad("Count %d, negative", r.Count)
	}
	var profiles, count int64
	for k, n := range r.Histogram {
		if n < 0 {
			return bad("Histogram[%d] %d, negative", k, n)
		}
		// Both sums stay at most MaxInt64 (n ≤ MaxInt64 - profiles, k·n ≤ MaxInt64 -
		// count), so that one past it is reported rather than wrapped.
		if n > math.MaxInt64-profiles || k > 0 && n > (math.MaxInt64-count)/int64(k) {
			return bad("a Histogram whose sums overflow int64 at Histogram[%d]", k)
		}
		profiles += n
		count += int64(k) * n
	}
	if profiles != r.Profiles {
		return bad("Profiles %d, but its Histogram counts %d", r.Profiles, profiles)
	}
	if count != r.Count {
		return bad("Count %d, but its Histogram sums to %d %s", r.Count, count, english.Plural(count, "match", "matches"))
	}
	if r.Matched != nil {
		if m := r.Matched.GetCardinality(); m > uint64(r.Profiles) {
			return bad("%s Matched of %d Profiles", english.Count(m, "profile"), r.Profiles)
		}
	}
	// Profiles is counted's cardinality in a result of Run, and more in one merged
	// with results built by hand; less means Profiles was changed after the Run.
	if r.counted != nil {
		if m := r.counted.GetCardinality(); m > uint64(r.Profiles) {
			return bad("%s counted of %d Profiles", english.Count(m, "profile"), r.Profiles)
		}
	}
	return nil
}
