package pipeline

import (
	"encoding/binary"
	"iter"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/funnel"
)

func init() {
	register.DoFn2x0[funnel.Event, func(uint32, []byte)](&batchFn{})
	register.DoFn3x1[uint32, func(*[]byte) bool, func([]byte), error](&gatherFn{})
	register.Emitter2[uint32, []byte]()
}

// profileRangeBits sets the profiles of one element of Profiles: the 2^8 consecutive
// profile keys with the same key >> profileRangeBits. Profile keys that
// identity.Resolver issues are dense from 1, so a range is full: at 4 to 5 events a
// profile, an element holds about a thousand events (40 KB), and 10^8 profiles make
// 390,625 shuffle keys.
const profileRangeBits = 8

// Batch thresholds of batchFn: a range's batch goes out at batchBytes, and every batch
// when a bundle has buffered bundleBytes, so that a worker's buffer stays bounded
// whatever the bundle.
const (
	batchBytes  = 64 << 10
	bundleBytes = 16 << 20
)

// Profiles groups a PCollection of funnel.Event by profile: one shuffle, after which
// every profile's events are on one worker. It returns a PCollection of []byte in
// which each element holds whole profiles, those of one range of 256 consecutive
// profile keys, grouped by profile in increasing order, each profile's events in the
// canonical order (time, then name, then properties). Funnel, Cohorts and Lifecycle
// read it; ProfileEvents iterates over an element's profiles for a host's own
// per-profile DoFns. Computing several tables from one Profiles costs one shuffle.
// Events must be in the global window (the batches below are emitted in it).
//
// Events travel the shuffle in batches, not one element each: before the shuffle a
// worker gathers its bundle's events into a batch per range, and after it a range's
// batches become one element. A runner pays a fixed cost for every element it
// shuffles and keeps (Prism, which keeps them in memory, paid about 1.4 KB, 35 times
// the 40-byte event), so that cost is paid per batch and per range instead.
func Profiles(s beam.Scope, events beam.PCollection) beam.PCollection {
	s = s.Scope("clientele.Profiles")
	batches := beam.ParDo(s, &batchFn{}, events)
	return beam.ParDo(s, &gatherFn{}, beam.GroupByKey(s, batches))
}

// batchFn appends each event to its range's batch (events encoded back to back) and
// emits a batch when it is full, every batch when the bundle's buffer is, and the
// rest when the bundle ends.
type batchFn struct {
	buf        map[uint32][]byte
	size       int
	batch, all int // thresholds; 0 means batchBytes, bundleBytes (tests set them)
}

// StartBundle takes the emitter only because Beam wants a DoFn's bundle methods to
// declare the emitters ProcessElement has.
func (f *batchFn) StartBundle(func(uint32, []byte)) { f.buf, f.size = map[uint32][]byte{}, 0 }

func (f *batchFn) ProcessElement(e funnel.Event, emit func(uint32, []byte)) {
	if f.buf == nil {
		f.buf = map[uint32][]byte{}
	}
	r := e.Profile >> profileRangeBits
	old := len(f.buf[r])
	b := appendEvent(f.buf[r], e)
	f.size += len(b) - old
	f.buf[r] = b
	switch {
	case len(b) >= orDefault(f.batch, batchBytes):
		emit(r, b)
		delete(f.buf, r)
		f.size -= len(b)
	case f.size >= orDefault(f.all, bundleBytes):
		f.FinishBundle(emit)
	}
}

func (f *batchFn) FinishBundle(emit func(uint32, []byte)) {
	for r, b := range f.buf {
		emit(r, b)
	}
	f.buf, f.size = map[uint32][]byte{}, 0
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// gatherFn turns one range's batches into one element: its events sorted by profile,
// then canonically (SortCanonical), as a count and the events.
type gatherFn struct{ es []funnel.Event }

func (f *gatherFn) ProcessElement(_ uint32, batches func(*[]byte) bool, emit func([]byte)) error {
	f.es = f.es[:0]
	var b []byte
	for batches(&b) {
		d := decoder{b: b}
		for d.err == nil && d.off < len(b) {
			f.es = append(f.es, d.event())
		}
		if err := d.done("batch of events"); err != nil {
			return err
		}
	}
	SortCanonical(f.es)
	out := binary.AppendUvarint(nil, uint64(len(f.es)))
	for _, e := range f.es {
		out = appendEvent(out, e)
	}
	clear(f.es) // drop the property maps
	emit(out)
	return nil
}

// decodeProfile appends the events of one element of Profiles to dst.
func decodeProfile(dst []funnel.Event, b []byte) ([]funnel.Event, error) {
	d := decoder{b: b}
	n := d.count(3)
	for range n {
		dst = append(dst, d.event())
	}
	if err := d.done("profiles' events"); err != nil {
		return nil, err
	}
	return dst, nil
}

// ProfileEvents iterates over the profiles of one element of Profiles: each profile's
// events in the canonical order, one profile after another. An element that does not
// decode yields an error wrapping ErrInvalid, once, and nothing else.
func ProfileEvents(element []byte) iter.Seq2[[]funnel.Event, error] {
	return func(yield func([]funnel.Event, error) bool) {
		es, err := decodeProfile(nil, element)
		if err != nil {
			yield(nil, err)
			return
		}
		for len(es) > 0 {
			n := 1
			for n < len(es) && es[n].Profile == es[0].Profile {
				n++
			}
			if !yield(es[:n:n], nil) {
				return
			}
			es = es[n:]
		}
	}
}
