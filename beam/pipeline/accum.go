package pipeline

import (
	"encoding/binary"
	"fmt"

	"github.com/clientele-go/clientele/funnel"
)

// accum is a combiner's accumulator over whole profiles' events. Profiles are buffered
// and run through the SDK a batch at a time (flushAt events), since one SDK pass over
// many profiles costs far less than one per profile. Decoding a state needs the spec,
// which the coder does not have, so states that arrived as bytes wait in raw until a
// method of the combiner, which has the spec, decodes them.
type accum[P any] struct {
	live P
	has  bool
	raw  [][]byte
	pend []funnel.Event // whole profiles, each one's events together
}

// flushAt is how many buffered events trigger a pass of the SDK, unless a combiner's
// flush field (set by tests, to flush often) says otherwise.
const flushAt = 1 << 15

// kind is what the generic combiner needs to know about a state.
type kind[P any] struct {
	flushAt int                                    // buffered events that trigger a pass
	build   func(events []funnel.Event) (P, error) // the state of whole profiles
	merge   func(a, b P) (P, error)                // the SDK's merge
	encode  func(P) ([]byte, error)
	decode  func([]byte) (P, error)
}

func (k kind[P]) add(a *accum[P], profile []byte) error {
	var err error
	if a.pend, err = decodeProfile(a.pend, profile); err != nil {
		return err
	}
	if len(a.pend) >= k.flushAt {
		return k.flush(a)
	}
	return nil
}

func (k kind[P]) absorb(a *accum[P], p P) error {
	if !a.has {
		a.live, a.has = p, true
		return nil
	}
	m, err := k.merge(a.live, p)
	if err != nil {
		return err
	}
	a.live = m
	return nil
}

// flush decodes the raw states and runs the buffered profiles through the SDK, merging
// everything into live.
func (k kind[P]) flush(a *accum[P]) error {
	for _, r := range a.raw {
		p, err := k.decode(r)
		if err != nil {
			return err
		}
		if err := k.absorb(a, p); err != nil {
			return err
		}
	}
	a.raw = nil
	if len(a.pend) > 0 {
		p, err := k.build(a.pend)
		if err != nil {
			return err
		}
		if err := k.absorb(a, p); err != nil {
			return err
		}
		a.pend = a.pend[:0]
	}
	return nil
}

// mergeAcc is MergeAccumulators: b's states merge into a's with the SDK's merge.
func (k kind[P]) mergeAcc(a, b *accum[P]) (*accum[P], error) {
	if err := k.flush(b); err != nil {
		return nil, err
	}
	if err := k.flush(a); err != nil {
		return nil, err
	}
	if b.has {
		if err := k.absorb(a, b.live); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// output is ExtractOutput: the merged state, encoded.
func (k kind[P]) output(a *accum[P]) ([]byte, error) {
	if err := k.flush(a); err != nil {
		return nil, err
	}
	if !a.has {
		p, err := k.build(nil)
		if err != nil {
			return nil, err
		}
		a.live, a.has = p, true
	}
	return k.encode(a.live)
}

// encodeAccum writes an accumulator for the shuffle: its states (live encoded by
// marshal, then the raw ones) and its buffered events.
func encodeAccum[P any](a *accum[P], marshal func(P) ([]byte, error)) ([]byte, error) {
	states := a.raw
	if a.has {
		b, err := marshal(a.live)
		if err != nil {
			return nil, err
		}
		states = append([][]byte{b}, states...)
	}
	out := binary.AppendUvarint(nil, uint64(len(states)))
	for _, s := range states {
		out = appendString(out, string(s))
	}
	out = binary.AppendUvarint(out, uint64(len(a.pend)))
	for _, e := range a.pend {
		out = appendEvent(out, e)
	}
	return out, nil
}

func decodeAccum[P any](b []byte) (*accum[P], error) {
	d := decoder{b: b}
	a := &accum[P]{}
	for range d.count(1) {
		a.raw = append(a.raw, append([]byte(nil), d.bytes()...))
	}
	n := d.count(3)
	for range n {
		a.pend = append(a.pend, d.event())
	}
	if err := d.done("accumulator"); err != nil {
		return nil, err
	}
	return a, nil
}

func errorf(what string, err error) error {
	return fmt.Errorf("pipeline: %s: %w", what, err)
}
