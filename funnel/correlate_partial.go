package funnel

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/english"
)

// correlationPartial is a Correlate's state behind Partial[*Correlations]: the
// converters and non-converters, and per candidate event name and property value how
// many of each had it; a word or so per profile that entered the funnel and a few per
// candidate.
type correlationPartial struct {
	fp     string
	keys   []string  // the Props, sorted, without repeats
	opts   Correlate // with its defaults
	conv   *roaring.Bitmap
	non    *roaring.Bitmap
	events map[string][2]int64    // event name -> converters, non-converters with it
	props  map[[2]string][2]int64 // key, value -> the same
}

const correlationMagic = "CLTFUNR\x00"

// newState returns the empty state of c (see Correlate.NewPartial). Segments, Level
// and MinProfiles apply when Result runs and are not part of the encoding; Props are.
func (c Correlate) newState() (*correlationPartial, error) {
	cp, _, err := c.compile()
	return cp, err
}

// compile returns the empty state of c and the plan of its Spec.
func (c Correlate) compile() (*correlationPartial, *plan, error) {
	o, err := c.defaults()
	if err != nil {
		return nil, nil, err
	}
	p, err := c.Spec.compile()
	if err != nil {
		return nil, nil, err
	}
	keys := slices.Compact(slices.Sorted(slices.Values(o.Props)))
	var fp strings.Builder
	fmt.Fprintf(&fp, "%s props=%q", newPartial(p).fp, keys)
	return &correlationPartial{fp: fp.String(), keys: keys, opts: o, conv: roaring.New(), non: roaring.New(),
		events: map[string][2]int64{}, props: map[[2]string][2]int64{}}, p, nil
}

// fold adds the tally's counts, whose ids index names and, for key k, values[k] (in
// which 0 is "", not a candidate), to cp.
func (c *corrTally) fold(cp *correlationPartial, names, keys []string, values [][]string) {
	cp.conv.AddMany(c.conv)
	cp.non.AddMany(c.non)
	for id, name := range names {
		if a, b := c.ev[0][id], c.ev[1][id]; a+b > 0 {
			n := cp.events[name]
			cp.events[name] = [2]int64{n[0] + a, n[1] + b}
		}
	}
	for k, key := range keys {
		for id, v := range values[k] {
			if id == 0 {
				continue
			}
			if a, b := c.prop[k][0][id], c.prop[k][1][id]; a+b > 0 {
				kv := [2]string{key, v}
				n := cp.props[kv]
				cp.props[kv] = [2]int64{n[0] + a, n[1] + b}
			}
		}
	}
}

// Merge adds other's profiles to cp. The two must come from the same Spec and Props
// (the Match functions cannot be compared, so that much is the caller's promise) and
// from disjoint sets of profiles; a profile in both is refused, and cp is then
// unchanged.
func (cp *correlationPartial) Merge(other *correlationPartial) error {
	if cp.fp != other.fp {
		return mismatchErr(cp.fp, other.fp)
	}
	// Intersects of the four pairs copies nothing, where a union of each side's two
	// sets copied both partials on every merge.
	if n := overlapBitmaps([]*roaring.Bitmap{cp.conv, cp.non}, []*roaring.Bitmap{other.conv, other.non}); n > 0 {
		return overlapErr(correlationKind, n)
	}
	cp.conv.Or(other.conv)
	cp.non.Or(other.non)
	for name, o := range other.events {
		n := cp.events[name]
		cp.events[name] = [2]int64{n[0] + o[0], n[1] + o[1]}
	}
	for kv, o := range other.props {
		n := cp.props[kv]
		cp.props[kv] = [2]int64{n[0] + o[0], n[1] + o[1]}
	}
	return nil
}

func comparePair(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }

// MarshalBinary encodes the partial (see codec.go for the frame):
//
//	fingerprint | converters (roaring) | non-converters (roaring) |
//	event count | per event name, ascending: name | converters | non-converters |
//	value count | per property key and value, ascending: key | value | the two counts
//
// The Spec's Match functions and the result options are not encoded: UnmarshalBinary
// needs a partial of a Correlate of the same Spec and Props.
func (cp *correlationPartial) MarshalBinary() ([]byte, error) {
	w := newWriter(correlationMagic)
	w.str(cp.fp)
	for _, bm := range []*roaring.Bitmap{cp.conv, cp.non} {
		raw, err := bm.ToBytes()
		if err != nil {
			return nil, errorf("encode correlation partial: %w", err)
		}
		w.bytes(raw)
	}
	w.uvarint(uint64(len(cp.events)))
	for _, name := range slices.Sorted(maps.Keys(cp.events)) {
		n := cp.events[name]
		w.str(name)
		w.uvarint(uint64(n[0]))
		w.uvarint(uint64(n[1]))
	}
	w.uvarint(uint64(len(cp.props)))
	for _, kv := range slices.SortedFunc(maps.Keys(cp.props), comparePair) {
		n := cp.props[kv]
		w.str(kv[0])
		w.str(kv[1])
		w.uvarint(uint64(n[0]))
		w.uvarint(uint64(n[1]))
	}
	return w.finish(), nil
}

// UnmarshalBinary decodes a partial written by MarshalBinary into cp, which must come
// from a Correlate of the same Spec and Props (ErrMismatch otherwise),
// checking that the groups are disjoint, that no candidate is counted for more
// profiles than its group has, that names come in ascending order without repeats and
// that property keys are among the Props. Damaged bytes fail with ErrCorrupt naming
// the offset; on error cp is unchanged.
func (cp *correlationPartial) UnmarshalBinary(data []byte) error {
	r, err := openFrame("correlation partial", correlationMagic, data)
	if err != nil {
		return err
	}
	if fp := r.str(); !r.failed() && fp != cp.fp {
		return mismatchErr(fp, cp.fp)
	}
	conv := r.profileSet("converters")
	non := r.profileSet("non-converters")
	if !r.failed() && conv.Intersects(non) {
		r.fail("%s both converted and did not", english.Count(conv.AndCardinality(non), "profile"))
	}
	if r.failed() {
		return r.end()
	}
	nc, nn := conv.GetCardinality(), non.GetCardinality()
	counts := func(what string) [2]int64 {
		at := r.Offset()
		a, b := r.uvarint(), r.uvarint()
		if !r.failed() && (a > nc || b > nn || a+b == 0) {
			r.FailAt(at, "%s: %s of %d and %s of %d", what, english.Count(a, "converter"), nc, english.Count(b, "other"), nn)
		}
		return [2]int64{int64(a), int64(b)}
	}
	events := map[string][2]int64{}
	prev := ""
	for i := range r.count("event", 1<<31, 3) {
		at := r.Offset()
		name := r.str()
		if !r.failed() && i > 0 && name <= prev {
			r.FailAt(at, "event %q after %q", name, prev)
		}
		prev = name
		n := counts(fmt.Sprintf("event %q", name))
		if r.failed() {
			break
		}
		events[name] = n
	}
	props := map[[2]string][2]int64{}
	var last [2]string
	for i := range r.count("property value", 1<<31, 4) {
		at := r.Offset()
		kv := [2]string{r.str(), r.str()}
		switch {
		case r.failed():
		case i > 0 && comparePair(kv, last) <= 0:
			r.FailAt(at, "property %q=%q after %q=%q", kv[0], kv[1], last[0], last[1])
		case kv[1] == "" || !slices.Contains(cp.keys, kv[0]):
			r.FailAt(at, "property %q=%q: not a candidate", kv[0], kv[1])
		}
		last = kv
		n := counts(fmt.Sprintf("property %q=%q", kv[0], kv[1]))
		if r.failed() {
			break
		}
		props[kv] = n
	}
	if err := r.end(); err != nil {
		return err
	}
	cp.conv, cp.non, cp.events, cp.props = conv, non, events, props
	return nil
}
