package funnel

import (
	"math"

	"github.com/clientele-go/clientele/internal/english"
)

const journeysMagic = "CLTFUNJ\x00"

// MarshalBinary encodes the journeys, so that shards built on different machines can be
// merged on one (see MergeJourneys). The frame is codec.go's around
//
//	lifecycle fingerprint | profiles count | per profile, in ascending profile order:
//	  profile (the first as is, then the gap to the previous minus one) | first seen |
//	  visit, user, customer, repeat (each 0 for never, else 1 + time since first seen) |
//	  referrer (0: none) | streaks count | per streak: its start's distance from first
//	  seen (the first) or from the previous streak's end less DormantAfter, then its
//	  length | periods count | the first period, then each gap to the previous minus one
//
// all as varints. Every field is a distance that cannot be negative, so the decoder
// accepts nothing the builder could not have made there, and what it accepts
// re-encodes to the same bytes. Advocates are not encoded: they follow from the other
// fields of every profile when the journeys are joined. The Lifecycle's functions and
// Location are not encoded: UnmarshalBinary needs Journeys of the same Lifecycle.
func (j *Journeys) MarshalBinary() ([]byte, error) {
	if j == nil || j.r == nil {
		return nil, errZeroJourneys
	}
	w := newWriter(journeysMagic)
	w.str(j.r.fp)
	w.uvarint(uint64(len(j.ids)))
	dormant := uint64(j.r.l.DormantAfter)
	for k, id := range j.ids {
		if k == 0 {
			w.uvarint(uint64(id))
		} else {
			w.uvarint(uint64(id - j.ids[k-1] - 1))
		}
		jr := &j.js[k]
		w.varint(jr.seen)
		for _, m := range [...]int64{jr.visit, jr.user, jr.customer, jr.repeat} {
			if m == never {
				w.uvarint(0)
			} else {
				w.uvarint(uint64(m-jr.seen) + 1) // m >= seen; the difference fits a uint64
			}
		}
		w.uvarint(uint64(jr.referrer))
		w.uvarint(uint64(len(jr.streaks)))
		for i, s := range jr.streaks {
			if i == 0 {
				w.uvarint(uint64(s[0] - jr.seen))
			} else {
				w.uvarint(uint64(s[0]-jr.streaks[i-1][1]) - dormant)
			}
			w.uvarint(uint64(s[1] - s[0]))
		}
		w.uvarint(uint64(len(jr.periods)))
		for i, p := range jr.periods {
			if i == 0 {
				w.varint(p)
			} else {
				w.uvarint(uint64(p-jr.periods[i-1]) - 1)
			}
		}
	}
	return w.finish(), nil
}

// NewJourneys returns the journeys of no profiles under l: the value that
// UnmarshalBinary decodes journeys of l into.
func (l Lifecycle) NewJourneys() (*Journeys, error) {
	r, err := l.compile()
	if err != nil {
		return nil, err
	}
	return &Journeys{r: r}, nil
}

// UnmarshalBinary decodes journeys written by MarshalBinary into j, which must come
// from the same Lifecycle (Lifecycle.NewJourneys or a Run method; ErrMismatch
// otherwise, ErrInvalid for Journeys not made by a Lifecycle), checking the frame,
// every count against the bytes left, and that every field is one the builder could
// have made (ErrCorrupt, naming the profile and the byte offset). On error j is
// unchanged.
func (j *Journeys) UnmarshalBinary(data []byte) error {
	if j == nil || j.r == nil {
		return errZeroJourneys
	}
	q, err := j.r.decode(data)
	if err != nil {
		return err
	}
	*j = *q
	return nil
}

// decode decodes journeys of the rules r.
func (r *rules) decode(data []byte) (*Journeys, error) {
	rd, err := openFrame("journeys", journeysMagic, data)
	if err != nil {
		return nil, err
	}
	if fp := rd.str(); !rd.failed() && fp != r.fp {
		return nil, mismatchErr(fp, r.fp)
	}
	// Nine bytes is the least a profile takes: nine varints of one byte each.
	n := rd.count("profile", math.MaxUint32+1, 9)
	c := &climber{r: r}
	j := &Journeys{r: r, ids: make([]uint32, 0, n), js: make([]journey, 0, n)}
	dormant := uint64(r.l.DormantAfter)
	var prev uint64
	for k := range n {
		id := rd.uvarint()
		if k > 0 {
			id += prev + 1 // a sum that wraps comes out at most prev and fails below
		}
		if !rd.failed() && (id > math.MaxUint32 || k > 0 && id <= prev) {
			// Named by its place: an id past 32 bits (or a sum that wrapped) names no profile,
			// and "profile k" elsewhere is the profile whose id is k.
			rd.fail("profile id beyond 32 bits, entry %d of %d", k+1, n)
		}
		prev = id
		jr := journey{seen: rd.varint(), advocate: never}
		for _, m := range [...]*int64{&jr.visit, &jr.user, &jr.customer, &jr.repeat} {
			*m = never
			if v := rd.uvarint(); v > 0 {
				*m = rd.later(jr.seen, v-1, "milestone")
				if *m == never {
					rd.fail("profile %d: a milestone at the largest instant, which means never", id)
				}
			}
		}
		ref := rd.uvarint()
		streaks := c.sbuf[:0]
		for i := range rd.count("streak", math.MaxInt32, 2) {
			var start int64
			if i == 0 {
				start = rd.later(jr.seen, rd.uvarint(), "streak")
			} else {
				gap := rd.uvarint()
				if gap > math.MaxUint64-dormant {
					rd.fail("profile %d: streak %d beyond the largest instant", id, i)
				}
				start = rd.later(streaks[i-1][1], gap+dormant, "streak")
			}
			streaks = append(streaks, [2]int64{start, rd.later(start, rd.uvarint(), "streak")})
		}
		periods := c.pbuf[:0]
		for i := range rd.count("period", math.MaxInt32, 1) {
			if i == 0 {
				periods = append(periods, rd.varint())
			} else {
				gap := rd.uvarint()
				if gap == math.MaxUint64 {
					rd.fail("profile %d: period %d beyond the largest", id, i)
				}
				periods = append(periods, rd.later(periods[i-1], gap+1, "period"))
			}
		}
		if rd.failed() {
			break
		}
		switch {
		case ref > math.MaxUint32 || ref == id:
			rd.fail("profile %d: referrer %d", id, ref)
		case jr.user != never && (jr.visit == never || jr.user < jr.visit):
			rd.fail("profile %d: a user before its first visit", id)
		case jr.repeat != never && (jr.customer == never || jr.repeat < jr.customer):
			rd.fail("profile %d: a repeat customer before its first purchase", id)
		case (len(streaks) == 0) != (len(periods) == 0):
			rd.fail("profile %d: %s of activity but %s", id, english.Count(len(streaks), "streak"), english.Count(len(periods), "active period"))
		}
		if rd.failed() {
			break
		}
		jr.referrer = uint32(ref)
		jr.streaks, jr.periods = c.streaks.copy(streaks), c.periods.copy(periods)
		c.sbuf, c.pbuf = streaks, periods
		j.ids = append(j.ids, uint32(id))
		j.js = append(j.js, jr)
	}
	if err := rd.end(); err != nil {
		return nil, err
	}
	return j, j.settle()
}

// later returns base + off, failing when the sum passes the largest int64.
func (r *reader) later(base int64, off uint64, what string) int64 {
	if r.failed() {
		return 0
	}
	// The room above base, in wrapping arithmetic: exact for negative bases too.
	if off > uint64(math.MaxInt64)-uint64(base) {
		r.fail("%s beyond the largest instant", what)
		return 0
	}
	return base + int64(off)
}
