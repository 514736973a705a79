package funnel

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/clientele-go/clientele/internal/english"
)

// stickinessPartial is a Stickiness's state behind Partial[*StickinessResult]: per
// group, the histograms of active days of every period and every cohort, and the
// cohorts' sizes; and the set of profiles counted (about a bit a profile for dense
// ids), by which Merge refuses a profile counted in both partials.
type stickinessPartial struct {
	fp        string
	breakdown bool
	scan      *stickyScan
}

const stickinessMagic = "CLTFUNS\x00"

// newState returns the empty state of sk (see Stickiness.NewPartial).
func (sk Stickiness) newState() (*stickinessPartial, error) {
	sc, err := sk.newScan()
	if err != nil {
		return nil, err
	}
	fp := fmt.Sprintf("stickiness event=%q by=%d loc=%q breakdown=%q", sk.Event.Name, sc.cal.by, sc.cal.loc.String(), sk.Breakdown)
	return &stickinessPartial{fp: fp, breakdown: sk.Breakdown != "", scan: sc}, nil
}

// Merge adds other's profiles to sp. Both must come from the same Stickiness (the
// Event's Match function cannot be compared, so that much is the caller's promise) and
// from disjoint sets of profiles: a profile counted in both (a shard merged twice, a
// partial merged into itself, shards that overlap) would count twice, so it is refused
// with ErrInvalid naming how many, and sp is unchanged. A partial decoded from version
// 1 does not know the profiles it counted (see countedVersion): those merge as before,
// their disjointness the caller's promise.
func (sp *stickinessPartial) Merge(other *stickinessPartial) error {
	if sp.fp != other.fp {
		return mismatchErr(sp.fp, other.fp)
	}
	sp.scan.counted.settle() // the receiver of merges settles once (see idSet.settle)
	if n := overlap([]*idSet{&sp.scan.counted}, []*idSet{&other.scan.counted}); n > 0 {
		return overlapErr(stickinessKind, n)
	}
	sp.scan.merge(other.scan)
	return nil
}

// Result computes the distributions.
func (sp *stickinessPartial) Result() *StickinessResult {
	return sp.scan.result(sp.breakdown)
}

// MarshalBinary encodes the partial (see codec.go for the frame), in version
// countedVersion:
//
//	fingerprint | seen flag | end (varint) | group count | per group, ascending:
//	value | periods | cohorts | per cohort: its size | profiles counted (roaring)
//
// where periods and cohorts are a count and, per index ascending, the index (varint)
// and the histogram (its length, then varints). Version 1 ended before the profiles
// counted. The Event's Match function and the Location are not encoded:
// UnmarshalBinary needs a partial of the same Stickiness.
func (sp *stickinessPartial) MarshalBinary() ([]byte, error) { return sp.marshal(countedVersion) }

// marshal encodes sp in version 1 (without the profiles counted: how tests make what
// earlier releases wrote) or countedVersion.
func (sp *stickinessPartial) marshal(version uint32) ([]byte, error) {
	sc := sp.scan
	w := newWriterVersion(stickinessMagic, version)
	w.str(sp.fp)
	w.flag(sc.seen)
	w.varint(sc.end)
	w.uvarint(uint64(len(sc.groups)))
	hists := func(m map[int64][]int64) {
		w.uvarint(uint64(len(m)))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			w.varint(k)
			w.int64s(m[k])
		}
	}
	for _, key := range slices.Sorted(maps.Keys(sc.groups)) {
		g := sc.groups[key]
		w.str(key)
		hists(g.periods)
		hists(g.cohorts)
		for _, k := range slices.Sorted(maps.Keys(g.cohorts)) {
			w.uvarint(uint64(g.members[k]))
		}
	}
	if version >= countedVersion {
		if err := w.profileSet(sc.counted.bitmap()); err != nil {
			return nil, errorf("encode stickiness partial: %w", err)
		}
	}
	return w.finish(), nil
}

// maxStickyCount bounds each decoded histogram cell, so that sums over a histogram and
// over the groups cannot overflow.
const maxStickyCount = 1 << 50

// UnmarshalBinary decodes a partial written by MarshalBinary into sp, which must come
// from the same Stickiness (ErrMismatch otherwise), checking every
// histogram's length, every index's order, that no period lies after the last event,
// and that each cohort's active periods are at least its size and at most its size
// times the periods it was followed for, and that no more profiles are counted than
// the cohorts have. Versions 1 and 2 are read (see countedVersion). Damaged bytes fail
// with ErrCorrupt naming the offset; on error sp is unchanged.
func (sp *stickinessPartial) UnmarshalBinary(data []byte) error {
	r, version, err := openFrameUpTo("stickiness partial", stickinessMagic, data, countedVersion)
	if err != nil {
		return err
	}
	if fp := r.str(); !r.failed() && fp != sp.fp {
		return mismatchErr(fp, sp.fp)
	}
	base := sp.scan
	sc := &stickyScan{cal: base.cal, slots: base.slots, groups: map[string]*stickyTally{}}
	sc.seen = r.flag()
	sc.end = r.varint()
	if !r.failed() && (sc.end < minNano || sc.end > maxNano) {
		r.fail("end %d outside the representable times", sc.end)
	}
	last := sc.cal.index(sc.end)
	hists := func(what string) map[int64][]int64 {
		m := map[int64][]int64{}
		prev := int64(math.MinInt64)
		for i := range r.count(what, 1<<31, 2) {
			at := r.Offset()
			k := r.varint()
			h := r.int64sIn("day count", 0, maxStickyCount)
			switch {
			case r.failed():
				return m
			case i > 0 && k <= prev, k > last:
				r.FailAt(at, "%s %d after %d or after the last event's %d", what, k, prev, last)
			case len(h) != sc.slots || h[0] != 0:
				r.FailAt(at, "%s %d: %s, want %d with none at 0 days", what, k, english.Count(len(h), "slot"), sc.slots)
			}
			prev = k
			m[k] = h
		}
		return m
	}
	ng := r.count("group", 1<<31, 3)
	if !r.failed() && ng > 0 && !sc.seen {
		r.fail("%s without an event", english.Count(ng, "group"))
	}
	prev := ""
	var members uint64 // the cohorts' sizes, saturating at 2^63 (each is at most maxStickyCount)
	for i := range ng {
		at := r.Offset()
		key := r.str()
		if !r.failed() && (i > 0 && key <= prev || key != "" && !sp.breakdown) {
			r.FailAt(at, "group %q after %q, or a group without a breakdown", key, prev)
		}
		prev = key
		g := &stickyTally{periods: hists("period"), cohorts: hists("cohort"), members: map[int64]int64{}}
		for _, k := range slices.Sorted(maps.Keys(g.cohorts)) {
			at := r.Offset()
			n := r.uvarint()
			if r.failed() {
				break
			}
			var active uint64
			for _, v := range g.cohorts[k] {
				active += uint64(v)
			}
			span := uint64(last - k + 1)
			if n == 0 || n > maxStickyCount || active < n || active > n*span && n <= math.MaxUint64/span {
				r.FailAt(at, "cohort %d: %s active in %s over %s", k, english.Count(n, "profile"), english.Count(active, "period"), english.Count(span, "period"))
				break
			}
			g.members[k] = int64(n)
			members = min(members+n, 1<<63)
		}
		if r.failed() {
			break
		}
		sc.groups[key] = g
	}
	if version >= countedVersion {
		at := r.Offset()
		bm := r.profileSet("profiles counted")
		if !r.failed() && bm.GetCardinality() > members {
			r.FailAt(at, "%s counted, more than the %s of the cohorts", english.Count(bm.GetCardinality(), "profile"), english.Count(members, "member"))
		}
		sc.counted.bm = bm
	}
	if err := r.end(); err != nil {
		return err
	}
	sp.scan = sc
	return nil
}
