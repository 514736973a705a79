package funnel

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/stats"
)

// CandidateKind says what a correlation candidate is.
type CandidateKind uint8

const (
	// EventCandidate: the profile did an event of this name (one that matches no step).
	EventCandidate CandidateKind = iota
	// PropertyCandidate: one of the profile's events carried this property value.
	PropertyCandidate
	// SegmentCandidate: the profile is in this segment.
	SegmentCandidate
)

// String returns "event", "property" or "segment".
func (k CandidateKind) String() string {
	switch k {
	case EventCandidate:
		return "event"
	case PropertyCandidate:
		return "property"
	case SegmentCandidate:
		return "segment"
	}
	return fmt.Sprintf("CandidateKind(%d)", uint8(k))
}

// Correlation is one candidate's association with converting, from the 2×2 table of
// converters and non-converters with and without it.
type Correlation struct {
	Kind CandidateKind
	// Name is the event name, the property key or the segment name; Value is the
	// property value ("" for the other kinds).
	Name, Value string
	// Converters and NonConverters count the profiles of each group with the candidate.
	Converters, NonConverters int64
	// OddsRatio is the odds of converting with the candidate over the odds without it,
	// with Woolf's interval [Lo, Hi] at Correlations.Level. When no converter, or no
	// non-converter, is on one side of the candidate (a zero in the table), it is +Inf
	// or 0, the conditional maximum likelihood estimate, with Fisher's exact interval
	// reaching to it from a finite end (see stats.OddsRatio): a candidate every
	// converter had is never reported below 1.
	OddsRatio, Lo, Hi float64
	// P is the two-sided p-value of independence: Fisher's exact test when the
	// smallest expected count of the table is below 5 (Cochran's rule; Exact is then
	// true), else Pearson's χ² with Yates's continuity correction.
	P     float64
	Exact bool
	// Q is P adjusted by Benjamini-Hochberg over all the candidates tested.
	Q float64
}

// Correlations is what goes with converting through a funnel and what goes with
// dropping out, among the profiles that entered it.
type Correlations struct {
	// Converters reached the last step; NonConverters entered and did not.
	Converters, NonConverters int64
	Level                     float64
	// Success holds the candidates with an odds ratio above 1, Failure those below,
	// each ranked by Q, then by how far the odds ratio is from 1, then by kind, name
	// and value. A candidate with an odds ratio of exactly 1 is in neither.
	Success, Failure []Correlation
	// Tested counts the candidates tested (the m of the correction).
	Tested int
}

// Correlate asks what goes with converting through Spec and what goes with dropping
// out: for every event name (other than the steps'), every value of Props and every
// segment, the 2×2 table of converters and non-converters with and without it (see
// RunBatch for who counts as having it), tested and ranked into Correlations. Event
// names are always candidates. A Correlate is a plain value, like the Spec it holds.
type Correlate struct {
	Spec Spec
	// Props lists the event properties whose values are candidates.
	Props []string
	// Segments are candidates by name: sets of profiles (audiences, cohorts).
	Segments map[string]*roaring.Bitmap
	// Level is the confidence level of the intervals; zero means 0.95.
	Level float64
	// MinProfiles leaves out candidates that fewer profiles than this have (in both
	// groups together); zero means 1. They are not tested and not counted in the
	// correction.
	MinProfiles int64
}

// corrTally counts, over one range of profiles, who converted and which candidates
// each group had. Name ids index a dictionary shared by every range; value ids, a
// dictionary per property key, shared by every range too, in which 0 is "" (never a
// candidate). One dictionary for all the keys made every key's counts as long as all
// the keys' values together: 8 keys of 150,000 distinct values each allocated 3 GB.
type corrTally struct {
	conv, non []uint32 // profile ids
	ev        [2][]int64
	evSeen    []int32
	prop      [][2][]int64 // per property key, per group, per value id of that key
	propSeen  [][]int32
	stamp     int32
}

// grow sizes the counts for names event names and, per key k, values[k] values.
func (c *corrTally) grow(names int, values []int) {
	keys := len(values)
	for g := range 2 {
		for len(c.ev[g]) < names {
			c.ev[g] = append(c.ev[g], 0)
		}
	}
	for len(c.evSeen) < names {
		c.evSeen = append(c.evSeen, 0)
	}
	for len(c.prop) < keys {
		c.prop = append(c.prop, [2][]int64{})
		c.propSeen = append(c.propSeen, nil)
	}
	for k, n := range values {
		for g := range 2 {
			for len(c.prop[k][g]) < n {
				c.prop[k][g] = append(c.prop[k][g], 0)
			}
		}
		for len(c.propSeen[k]) < n {
			c.propSeen[k] = append(c.propSeen[k], 0)
		}
	}
}

// corrProfile adds one profile: rows are its events in time order, already matched by
// m into out; names[r.idx] and vals[k][r.idx] are the name id and the value id of key
// k of the event of row r (0 for "", not a candidate).
func (c *corrTally) profile(prof uint32, p *plan, rows []row, out *outcome, names []uint32, vals [][]uint32) {
	if out.level == 0 {
		return
	}
	g := 1
	lo, hi := out.at[0], int64(math.MaxInt64)
	if out.level == p.n {
		// Events after the conversion are excluded by definition.
		g, hi = 0, out.at[out.level-1]
		c.conv = append(c.conv, prof)
	} else {
		if p.window > 0 {
			hi = lo + p.window
		}
		c.non = append(c.non, prof)
	}
	c.stamp++
	for _, r := range rows {
		if r.t < lo {
			continue
		}
		if r.t > hi {
			break
		}
		if r.steps == 0 {
			if id := names[r.idx]; c.evSeen[id] != c.stamp {
				c.evSeen[id] = c.stamp
				c.ev[g][id]++
			}
		}
		for k, col := range vals {
			if id := col[r.idx]; id != 0 && c.propSeen[k][id] != c.stamp {
				c.propSeen[k][id] = c.stamp
				c.prop[k][g][id]++
			}
		}
	}
}

// merge adds o's counts to c's; both were grown to the same dictionaries.
func (c *corrTally) merge(o *corrTally) {
	c.conv = append(c.conv, o.conv...)
	c.non = append(c.non, o.non...)
	for g := range 2 {
		for id, n := range o.ev[g] {
			c.ev[g][id] += n
		}
		for k := range o.prop {
			for id, n := range o.prop[k][g] {
				c.prop[k][g][id] += n
			}
		}
	}
}

// defaults returns c with its zero options replaced by their defaults, or ErrInvalid.
func (c Correlate) defaults() (Correlate, error) {
	opts := c
	if opts.Level == 0 {
		opts.Level = 0.95
	}
	if !(opts.Level > 0 && opts.Level < 1) {
		return opts, fmt.Errorf("%w: correlation level %v outside (0, 1)", ErrInvalid, opts.Level)
	}
	if opts.MinProfiles < 0 {
		return opts, fmt.Errorf("%w: correlation MinProfiles %d is negative", ErrInvalid, opts.MinProfiles)
	}
	opts.MinProfiles = max(opts.MinProfiles, 1)
	for name, s := range opts.Segments {
		if s == nil {
			return opts, fmt.Errorf("%w: correlation segment %q is nil", ErrInvalid, name)
		}
	}
	return opts, nil
}

// RunBatch finds the events, property values (Props, read from the batch's
// property columns) and segments that go with converting through the funnel and with
// dropping out. Among the profiles that entered (reached the first step), converters
// reached the last step and non-converters did not; a profile counts as having a
// candidate when it had it between its conversion's first event and its last
// (converters: events after the conversion are excluded by definition) or, for a
// non-converter, between its first event and the end of the window from it (no end
// with Window 0), bounds included. Event names that match a step are not candidates;
// property values are read on every event in that span, steps included.
func (c Correlate) RunBatch(b *Batch) (*Correlations, error) {
	if b == nil {
		return nil, errNilBatch
	}
	cp, err := c.partialBatch(b)
	if err != nil {
		return nil, err
	}
	return cp.Result()
}

func (c Correlate) partialBatch(b *Batch) (*correlationPartial, error) {
	cp, p, err := c.compile()
	if err != nil {
		return nil, err
	}
	starts, err := b.profiles(c.Spec.AsOf)
	if err != nil {
		return nil, err
	}
	steps := b.byName(func(e Event) uint32 { m, _ := p.masks(e); return m })
	excl := b.byName(func(e Event) uint32 { _, m := p.masks(e); return m })
	names := canonical(b.Names, b.Event)
	var keys []string
	var cols [][]uint32
	var dicts [][]string
	var sizes []int
	// One canonical map and one scratch for every key: a map of the batch's values per
	// key made 256 keys of 25 values each allocate 60 MB.
	first := firstIDs(b.Values)
	scratch := make([]uint32, len(b.Values))
	for _, k := range cp.keys {
		if col, ok := b.Props[k]; ok {
			ids, dict := localValues(col, b.Values, first, scratch)
			keys, cols, dicts, sizes = append(keys, k), append(cols, ids), append(dicts, dict), append(sizes, len(dict))
		}
	}
	nprof := len(starts) - 1
	parts := split(nprof, workersFor(b.Len()), func(lo, hi int) *corrTally {
		tl := &corrTally{}
		tl.grow(len(b.Names), sizes)
		m := newMatcher(p)
		var rows []row
		var out outcome
		vals := make([][]uint32, len(cols))
		for q := lo; q < hi; q++ {
			i, j := starts[q], starts[q+1]
			rows = rows[:0]
			for k := i; k < j; k++ {
				id := b.Event[k]
				rows = append(rows, row{t: b.Time[k], steps: steps[id], excl: excl[id], idx: int32(k - i)})
			}
			sortRows(rows)
			m.profile(rows, &out)
			out.stamp(rows)
			for k, col := range cols {
				vals[k] = col[i:j]
			}
			tl.profile(b.Profile[i], p, rows, &out, names[i:j], vals)
		}
		return tl
	})
	all := parts[0]
	for _, tl := range parts[1:] {
		all.merge(tl)
	}
	all.fold(cp, b.Names, keys, dicts)
	return cp, nil
}

// localValues renumbers a property column's ids, which index the batch's dictionary
// values (shared by every key), densely for this key alone, "" as 0: the key's counts
// are then as long as its own values. first is firstIDs(values), so that a string the
// dictionary lists twice is one value; scratch, as long as values and all zero, is left
// all zero.
func localValues(col []uint32, values []string, first, scratch []uint32) (ids []uint32, dict []string) {
	dict = []string{""}
	ids = make([]uint32, len(col))
	var seen []uint32
	for i, id := range col {
		if first != nil {
			id = first[id]
		}
		if values[id] == "" {
			continue
		}
		l := scratch[id]
		if l == 0 {
			dict = append(dict, values[id])
			l = uint32(len(dict) - 1)
			scratch[id] = l
			seen = append(seen, id)
		}
		ids[i] = l
	}
	for _, id := range seen {
		scratch[id] = 0
	}
	return ids, dict
}

// canonical returns ids with every id replaced by the first id of the same string, so
// that a dictionary listing a string twice does not split its counts.
func canonical(dict []string, ids []uint32) []uint32 {
	remap := firstIDs(dict)
	if remap == nil {
		return ids
	}
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = remap[id]
	}
	return out
}

// firstIDs returns, for every id of dict, the first id of the same string; nil when no
// string repeats.
func firstIDs(dict []string) []uint32 {
	first := make(map[string]uint32, len(dict))
	remap := make([]uint32, len(dict))
	dup := false
	for i, s := range dict {
		if f, ok := first[s]; ok {
			remap[i], dup = f, true
			continue
		}
		first[s], remap[i] = uint32(i), uint32(i)
	}
	if !dup {
		return nil
	}
	return remap
}

// Run is RunBatch over events from any number of profiles in any order; steps and
// property values are read on each event (a Step's Match sees the whole event).
func (c Correlate) Run(events []Event) (*Correlations, error) {
	cp, err := c.partial(events)
	if err != nil {
		return nil, err
	}
	return cp.Result()
}

func (c Correlate) partial(events []Event) (*correlationPartial, error) {
	seq, err := sortedByProfile(events, c.Spec.AsOf)
	if err != nil {
		return nil, err
	}
	return c.grouped(seq)
}

// RunSeq is RunBatch over a stream grouped by profile (see Spec.RunSeq), holding one
// profile's events at a time.
func (c Correlate) RunSeq(events iter.Seq[Event]) (*Correlations, error) {
	cp, err := c.partialSeq(events)
	if err != nil {
		return nil, err
	}
	return cp.Result()
}

func (c Correlate) partialSeq(events iter.Seq[Event]) (*correlationPartial, error) {
	var failed error
	cp, err := c.grouped(profileStream(events, c.Spec.AsOf, &failed))
	if failed != nil {
		return nil, failed
	}
	return cp, err
}

// grouped correlates events that come grouped by profile, each with its time.
func (c Correlate) grouped(events iter.Seq2[Event, int64]) (*correlationPartial, error) {
	cp, p, err := c.compile()
	if err != nil {
		return nil, err
	}
	keys := cp.keys
	var names []string
	var nameIDs map[string]uint32
	values := make([][]string, len(keys)) // per key, "" first (id 0)
	valueIDs := make([]map[string]uint32, len(keys))
	sizes := make([]int, len(keys))
	for k := range keys {
		intern(&valueIDs[k], &values[k], "")
	}
	tl := &corrTally{}
	m := newMatcher(p)
	var (
		rows []row
		out  outcome
		nids []uint32
		vals = make([][]uint32, len(keys))
		cur  uint32
		open bool
	)
	flush := func() {
		if !open {
			return
		}
		for k := range sizes {
			sizes[k] = len(values[k])
		}
		tl.grow(len(names), sizes)
		sortRows(rows)
		m.profile(rows, &out)
		out.stamp(rows)
		tl.profile(cur, p, rows, &out, nids, vals)
		rows, nids = rows[:0], nids[:0]
		for k := range vals {
			vals[k] = vals[k][:0]
		}
	}
	for e, t := range events {
		if !open || e.Profile != cur {
			flush()
			cur, open = e.Profile, true
		}
		st, ex := p.masks(e)
		rows = append(rows, row{t: t, steps: st, excl: ex, idx: int32(len(nids))})
		nids = append(nids, intern(&nameIDs, &names, e.Name))
		for k, key := range keys {
			vals[k] = append(vals[k], intern(&valueIDs[k], &values[k], e.Props[key]))
		}
	}
	flush()
	for k := range sizes {
		sizes[k] = len(values[k])
	}
	tl.grow(len(names), sizes)
	tl.fold(cp, names, keys, values)
	return cp, nil
}

// Result tests every candidate and ranks them, with the options the partial was made
// with (Segments, Level, MinProfiles).
func (cp *correlationPartial) Result() (*Correlations, error) {
	o := cp.opts
	conv, non := int64(cp.conv.GetCardinality()), int64(cp.non.GetCardinality())
	res := &Correlations{Converters: conv, NonConverters: non, Level: o.Level}
	// Sized up front: with a million candidates (a property of distinct values, such
	// as a URL) the appends' doublings copied over 600 MB.
	all := make([]Correlation, 0, len(cp.events)+len(cp.props)+len(o.Segments))
	add := func(kind CandidateKind, name, value string, n [2]int64) {
		if n[0]+n[1] < o.MinProfiles {
			return
		}
		all = append(all, Correlation{Kind: kind, Name: name, Value: value, Converters: n[0], NonConverters: n[1]})
	}
	for _, name := range slices.Sorted(maps.Keys(cp.events)) {
		add(EventCandidate, name, "", cp.events[name])
	}
	for _, kv := range slices.SortedFunc(maps.Keys(cp.props), comparePair) {
		add(PropertyCandidate, kv[0], kv[1], cp.props[kv])
	}
	for _, name := range slices.Sorted(maps.Keys(o.Segments)) {
		seg := o.Segments[name]
		add(SegmentCandidate, name, "", [2]int64{int64(cp.conv.AndCardinality(seg)), int64(cp.non.AndCardinality(seg))})
	}
	ps := make([]float64, len(all))
	for i := range all {
		x := &all[i]
		t := stats.Table{A: x.Converters, B: res.Converters - x.Converters, C: x.NonConverters, D: res.NonConverters - x.NonConverters}
		or, err := stats.OddsRatio(t, o.Level)
		if err != nil {
			return nil, statsErr("odds ratio", err)
		}
		x.OddsRatio, x.Lo, x.Hi = or.Estimate, or.Lo, or.Hi
		if t.MinExpected() < 5 {
			x.P, err = stats.FisherExact(t)
			x.Exact = true
		} else {
			_, x.P, err = stats.ChiSquareYates(t)
		}
		if err != nil {
			return nil, statsErr("test", err)
		}
		ps[i] = x.P
	}
	qs, err := stats.BenjaminiHochberg(ps)
	if err != nil {
		return nil, statsErr("correction", err)
	}
	up, down := 0, 0
	for i := range all {
		all[i].Q = qs[i]
		switch {
		case all[i].OddsRatio > 1:
			up++
		case all[i].OddsRatio < 1:
			down++
		}
	}
	if up > 0 {
		res.Success = make([]Correlation, 0, up)
	}
	if down > 0 {
		res.Failure = make([]Correlation, 0, down)
	}
	for i := range all {
		switch {
		case all[i].OddsRatio > 1:
			res.Success = append(res.Success, all[i])
		case all[i].OddsRatio < 1:
			res.Failure = append(res.Failure, all[i])
		}
	}
	rank := func(a, b Correlation) int {
		return cmp.Or(cmp.Compare(a.Q, b.Q), -cmp.Compare(math.Abs(math.Log(a.OddsRatio)), math.Abs(math.Log(b.OddsRatio))),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Value, b.Value))
	}
	slices.SortFunc(res.Success, rank)
	slices.SortFunc(res.Failure, rank)
	res.Tested = len(all)
	return res, nil
}
