package funnel

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/clientele-go/clientele/internal/english"
)

// funnelPartial is a Spec's state behind Partial[*Result]: per breakdown group, a
// tally of a few words per profile that entered the funnel, nothing per event.
type funnelPartial struct {
	fp        string // what must agree for two partials to merge
	n         int
	names     []string
	optional  uint32
	window    int64
	asOf      int64 // Spec.AsOf in Unix nanoseconds; noTime: unset
	end       int64 // the latest event's time; noTime before any event
	breakdown bool
	groups    map[string]*tally
}

const partialMagic = "CLTFUNP\x00"

func newPartial(p *plan) *funnelPartial {
	s := p.spec
	var fp strings.Builder
	fmt.Fprintf(&fp, "n=%d mode=%d window=%d opt=%d", p.n, p.mode, p.window, p.optional)
	for i, st := range s.Steps {
		fmt.Fprintf(&fp, " step%d=%q/%d", i, st.Name, st.Within)
	}
	for _, x := range s.Exclude {
		fmt.Fprintf(&fp, " excl=%q/%d/%d", x.Event.Name, x.From, x.To)
	}
	if b := s.Breakdown; b != nil {
		fmt.Fprintf(&fp, " by=%q/%d/%d", b.Prop, b.Attribution, b.Step)
	}
	pt := &funnelPartial{fp: fp.String(), n: p.n, optional: p.optional, window: p.window,
		asOf: noTime, end: noTime, breakdown: s.Breakdown != nil, groups: map[string]*tally{}}
	for _, st := range s.Steps {
		pt.names = append(pt.names, st.Name)
	}
	if !s.AsOf.IsZero() {
		pt.asOf = s.AsOf.UnixNano()
	}
	return pt
}

func (pt *funnelPartial) group(key string) *tally {
	t := pt.groups[key]
	if t == nil {
		t = newTally(pt.n)
		pt.groups[key] = t
	}
	return t
}

// Merge adds other's profiles to pt (see Partial). The two must come from the same Spec (same step
// names, windows, mode, exclusions, breakdown and AsOf; the Match functions cannot be
// compared, so that much is the caller's promise) and from disjoint sets of profiles:
// a profile that entered the funnel in both (a shard merged twice, a partial merged
// into itself) would count twice, so it is refused with ErrInvalid and pt is unchanged.
func (pt *funnelPartial) Merge(other *funnelPartial) error {
	if pt.fp != other.fp {
		return mismatchErr(pt.fp, other.fp)
	}
	if pt.asOf != other.asOf {
		return asOfMismatch(pt.asOf, other.asOf)
	}
	// Every profile in a partial entered the funnel (reached step 0, which is never
	// optional), in one group: the step-0 sets of the groups hold all its profiles.
	pt.settle()
	if n := overlap(pt.entered(), other.entered()); n > 0 {
		return overlapErr(funnelKind, n)
	}
	pt.mergeDisjoint(other)
	return nil
}

// asOfMismatch is the ErrMismatch of two partials of Specs with different AsOf.
func asOfMismatch(a, b int64) error {
	text := func(t int64) string {
		if t == noTime {
			return "none"
		}
		return time.Unix(0, t).UTC().Format(time.RFC3339Nano)
	}
	return fmt.Errorf("%w: AsOf %s versus %s", ErrMismatch, text(a), text(b))
}

// entered returns the sets of profiles that entered the funnel, one per group.
func (pt *funnelPartial) entered() []*idSet {
	sets := make([]*idSet, 0, len(pt.groups))
	for _, t := range pt.groups {
		sets = append(sets, &t.ids[0])
	}
	return sets
}

// settle settles the sets of profiles that entered (see idSet.settle): the receiver
// of merges does so once, rather than building its window's bitmap for every check.
func (pt *funnelPartial) settle() {
	for _, t := range pt.groups {
		t.ids[0].settle()
	}
}

// mergeDisjoint is Merge without its checks, for the partials of one computation's
// workers, whose ranges of profiles are disjoint by construction.
func (pt *funnelPartial) mergeDisjoint(other *funnelPartial) {
	for _, k := range slices.Sorted(maps.Keys(other.groups)) {
		pt.group(k).merge(other.groups[k])
	}
	pt.end = max(pt.end, other.end) // noTime, below every event's time, when other saw none
}

// Result computes the funnel's figures from the partial.
func (pt *funnelPartial) Result() *Result {
	end := pt.end // noTime over no events: the Result's End is then the zero time
	if pt.asOf != noTime {
		end = pt.asOf
	}
	var all *tally
	if len(pt.groups) == 1 {
		for _, t := range pt.groups {
			all = t
		}
	} else {
		all = newTally(pt.n)
		for _, k := range slices.Sorted(maps.Keys(pt.groups)) {
			all.merge(pt.groups[k])
		}
	}
	r := pt.result(all, end)
	if pt.breakdown {
		r.Breakdown = make(map[string]*Result, len(pt.groups))
		for k, t := range pt.groups {
			r.Breakdown[k] = pt.result(t, end)
		}
	}
	return r
}

// resultAndRecycle returns pt's Result, then recycles its duration blocks (see
// blockPool), which the Result copied into sorted lists: for Run, RunSeq and
// RunBatch, whose partial nobody else holds. pt must not be used after. The open
// attempts' blocks are shared with the Result and stay.
func (pt *funnelPartial) resultAndRecycle() *Result {
	r := pt.Result()
	for _, t := range pt.groups {
		for s := range t.fromPrev {
			t.fromPrev[s].recycle()
			t.fromFirst[s].recycle()
		}
	}
	return r
}

// MarshalBinary encodes the partial (see codec.go for the frame), in version
// seenVersion:
//
//	fingerprint | step count | step names | optional steps (4 bytes) | window |
//	AsOf (flag, time) | latest event (flag: any seen, time) | breakdown flag |
//	group count | per group, ascending: key | per step: passes, profiles (roaring),
//	  durations from the previous step, from the first | open attempts' times
//
// Version 1 had no flags: AsOf and the latest event's time were 0 when absent.
func (pt *funnelPartial) MarshalBinary() ([]byte, error) {
	w := newWriterVersion(partialMagic, seenVersion)
	w.str(pt.fp)
	w.uvarint(uint64(pt.n))
	for _, n := range pt.names {
		w.str(n)
	}
	w.u32(pt.optional)
	w.varint(pt.window)
	w.optTime(pt.asOf)
	w.optTime(pt.end)
	w.flag(pt.breakdown)
	w.uvarint(uint64(len(pt.groups)))
	var buf bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(pt.groups)) {
		t := pt.groups[k]
		w.str(k)
		for s := range pt.n {
			w.uvarint(uint64(t.total[s]))
			bm := t.ids[s].bitmap()
			buf.Reset()
			if _, err := bm.WriteTo(&buf); err != nil {
				return nil, errorf("encode partial: %w", err)
			}
			w.bytes(buf.Bytes())
			w.int64s(t.fromPrev[s].all())
			w.int64s(t.timesFromFirst(s).all())
		}
		w.int64s(t.open.all())
	}
	return w.finish(), nil
}

// newState returns the empty state of s (see Spec.NewPartial).
func (s Spec) newState() (*funnelPartial, error) {
	p, err := s.compile()
	if err != nil {
		return nil, err
	}
	return newPartial(p), nil
}

// UnmarshalBinary decodes a partial written by MarshalBinary into pt, made by the same
// Spec, checking it throughout: bytes of another Spec fail with ErrMismatch, damaged
// bytes with ErrCorrupt. Versions 1 and 2 are read (see seenVersion and v1End). On
// error pt is unchanged.
func (pt *funnelPartial) UnmarshalBinary(data []byte) error {
	r, version, err := openFrameUpTo("partial", partialMagic, data, seenVersion)
	if err != nil {
		return err
	}
	q := &funnelPartial{groups: map[string]*tally{}}
	q.fp = r.str()
	if !r.failed() && q.fp != pt.fp {
		return mismatchErr(q.fp, pt.fp)
	}
	q.n = r.count("step", MaxSteps, 1)
	if !r.failed() && q.n == 0 {
		r.fail("no steps")
	}
	for range q.n {
		q.names = append(q.names, r.str())
	}
	q.optional = uint32(r.uvarintFixed32())
	q.window = r.varint()
	if !r.failed() && q.window < 0 {
		r.fail("window %d: negative", q.window)
	}
	if version == 1 {
		q.asOf, q.end = r.varint(), r.varint()
		if !r.failed() && (q.asOf != 0 && (q.asOf < minNano || q.asOf >= maxNano) || q.end < 0 || q.end >= maxNano) {
			r.fail("AsOf %d, end %d: outside 1900-2189, or end before 1970", q.asOf, q.end)
		}
		if q.asOf == 0 && pt.asOf != 0 {
			q.asOf = noTime // 0 was both "no AsOf" and the Unix epoch: pt's Spec says which
		}
	} else {
		q.asOf = r.optTime("AsOf")
		q.end = r.optTime("latest event's time")
		// (Version 1's end, 0 for events before 1970 too, may follow its AsOf.)
		if !r.failed() && q.asOf != noTime && q.end != noTime && q.end > q.asOf {
			r.fail("latest event at %d, after AsOf %d", q.end, q.asOf)
		}
	}
	q.breakdown = r.flag()
	if !r.failed() && q.asOf != pt.asOf {
		// AsOf is part of the Spec: the partial of another would end observation
		// elsewhere, and merged partials would take the receiver's.
		return asOfMismatch(q.asOf, pt.asOf)
	}
	// Every recorded time lies within the window (or the span of representable
	// times), and every open attempt began by the end of observation (none began when
	// there is none: no event and no AsOf).
	longest, last := maxNano-minNano, q.end
	if q.window > 0 {
		longest = q.window
	}
	if q.asOf != noTime {
		last = q.asOf
	}
	// Steps are named in messages as everywhere else in the package: 1-based, with
	// their names.
	steps := make([]string, q.n)
	for s, name := range q.names {
		steps[s] = Step{Name: name}.label(s)
	}
	ng := r.count("group", 1<<31, 1)
	for range ng {
		key := r.str()
		if _, dup := q.groups[key]; dup && !r.failed() {
			r.fail("group %q twice", key)
		}
		t := newTally(q.n)
		for s := range q.n {
			step := steps[s]
			t.total[s] = int64(r.uvarint())
			bm := r.profileSet(step + " profiles")
			if r.failed() {
				break
			}
			t.ids[s].bm = bm
			t.unique[s] = int64(bm.GetCardinality())
			t.fromPrev[s] = chunksOf(r.int64sIn("duration", 0, longest))
			fromFirst := chunksOf(r.int64sIn("duration", 0, longest))
			if s != 1 {
				t.fromFirst[s] = fromFirst
			} else if !r.failed() && fromFirst.n != t.fromPrev[s].n {
				// Both lists hold the time from the first step to the second.
				r.fail("%s: %s from the previous step but %s from the first", step, english.Count(t.fromPrev[s].n, "duration"), english.Count(fromFirst.n, "duration"))
			}
			if !r.failed() && (t.total[s] < t.unique[s] || int64(t.fromPrev[s].n) > t.unique[s] || int64(fromFirst.n) > t.unique[s]) {
				r.fail("%s: counts disagree (%s, %d %s, %s from the previous step and %s from the first)", step, english.Count(t.unique[s], "profile"),
					t.total[s], english.Plural(t.total[s], "pass", "passes"), english.Count(t.fromPrev[s].n, "duration"), english.Count(fromFirst.n, "duration"))
			}
		}
		t.open = chunksOf(r.int64sIn("open attempt's time", minNano, last))
		if !r.failed() && int64(t.open.n) > t.unique[0] {
			r.fail("%s of %d that entered", english.Count(t.open.n, "unconverted profile"), t.unique[0])
		}
		q.groups[key] = t
	}
	entered := false
	for _, t := range q.groups {
		entered = entered || t.unique[0] > 0
	}
	if version == 1 {
		q.end = v1End(q.end, entered)
	} else if !r.failed() && entered && q.end == noTime {
		r.fail("profiles entered, yet no event was seen")
	}
	if err := r.end(); err != nil {
		return err
	}
	*pt = *q
	return nil
}

// uvarintFixed32 reads a fixed 4-byte little-endian word.
func (r *reader) uvarintFixed32() uint32 {
	b := r.take(4)
	if r.failed() {
		return 0
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
