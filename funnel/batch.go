package funnel

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// Batch holds events in columns: the i-th event is profile Profile[i] doing event
// Names[Event[i]] at Time[i] (Unix nanoseconds). Event names are interned, so a Batch
// of a hundred million events is 16 bytes an event and a step is matched once per
// distinct name, not once per event. Events carry no properties.
//
// A Batch must be grouped by profile: each profile's events contiguous (a column store
// ordered by profile, time gives exactly that). Within a profile, events may come in
// any time order. A Batch is not safe for concurrent mutation; reading it from many
// goroutines (as RunBatch does) is safe.
type Batch struct {
	Profile []uint32
	Time    []int64
	Event   []uint32
	Names   []string

	ids map[string]uint32
}

// Len returns the number of events.
func (b *Batch) Len() int { return len(b.Profile) }

// Append adds an event, interning its name. Its properties are dropped.
func (b *Batch) Append(e Event) error {
	t, err := nanos(e.Time)
	if err != nil {
		return fmt.Errorf("funnel: append event %d (profile %d): %w", b.Len(), e.Profile, err)
	}
	b.Profile = append(b.Profile, e.Profile)
	b.Time = append(b.Time, t)
	b.Event = append(b.Event, b.Intern(e.Name))
	return nil
}

// Intern returns the id of name in Names, adding it if it is new.
func (b *Batch) Intern(name string) uint32 {
	if b.ids == nil {
		b.ids = make(map[string]uint32, len(b.Names))
		for i, n := range b.Names {
			if _, dup := b.ids[n]; !dup {
				b.ids[n] = uint32(i)
			}
		}
	}
	if id, ok := b.ids[name]; ok {
		return id
	}
	id := uint32(len(b.Names))
	b.Names = append(b.Names, name)
	b.ids[name] = id
	return id
}

// At returns the i-th event (without properties).
func (b *Batch) At(i int) Event {
	return Event{Profile: b.Profile[i], Time: time.Unix(0, b.Time[i]).UTC(), Name: b.Names[b.Event[i]]}
}

// check verifies that the columns have one length and every name id is in range.
func (b *Batch) check() error {
	n := len(b.Profile)
	if len(b.Time) != n || len(b.Event) != n {
		return fmt.Errorf("%w: columns of different lengths (profile %d, time %d, event %d)", ErrSpec, n, len(b.Time), len(b.Event))
	}
	for i, id := range b.Event {
		if int(id) >= len(b.Names) {
			return fmt.Errorf("funnel: batch event %d: name id %d outside the %d names: %w", i, id, len(b.Names), ErrCorrupt)
		}
	}
	for i, t := range b.Time {
		if t < minNano || t >= maxNano {
			return fmt.Errorf("funnel: batch event %d (profile %d): time %d ns outside 1900-2189: %w", i, b.Profile[i], t, ErrTimeRange)
		}
	}
	return nil
}

// runs returns the start of each profile's run of events, plus len as a sentinel. It
// fails with ErrUnsorted when a profile's events are not contiguous.
func (b *Batch) runs() ([]int, error) {
	n := len(b.Profile)
	starts := make([]int, 0, n/8+2)
	ascending := true
	for i := 0; i < n; i++ {
		if i == 0 || b.Profile[i] != b.Profile[i-1] {
			if i > 0 && b.Profile[i] < b.Profile[i-1] {
				ascending = false
			}
			starts = append(starts, i)
		}
	}
	if !ascending {
		// Profiles are not in key order, so a repeat can hide anywhere: remember them.
		seen := make(map[uint32]int, len(starts))
		for _, s := range starts {
			p := b.Profile[s]
			if first, dup := seen[p]; dup {
				return nil, fmt.Errorf("%w: profile %d has events at %d and again at %d after other profiles", ErrUnsorted, p, first, s)
			}
			seen[p] = s
		}
	}
	return append(starts, n), nil
}

// profiles checks the batch (see check), its grouping by profile and that no event lies
// after asOf (the zero time: no limit), and returns the start of each profile's run of
// events (see runs): what every computation over a Batch does first.
func (b *Batch) profiles(asOf time.Time) ([]int, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	starts, err := b.runs()
	if err != nil {
		return nil, err
	}
	if !asOf.IsZero() {
		limit := asOf.UnixNano()
		for i, t := range b.Time {
			if t > limit {
				return nil, fmt.Errorf("funnel: batch event %d (profile %d): %w: after AsOf %s", i, b.Profile[i], ErrTimeRange, asOf)
			}
		}
	}
	return starts, nil
}

// byName returns match of an Event holding only the name, for each name id: how steps
// are matched once per distinct name rather than once per event.
func (b *Batch) byName(match func(Event) uint32) []uint32 {
	out := make([]uint32, len(b.Names))
	for id, name := range b.Names {
		out[id] = match(Event{Name: name})
	}
	return out
}

const batchMagic = "CLTFUNB\x00"

// MarshalBinary encodes the batch: the frame of codec.go around
//
//	names count | names (length-prefixed) | events count |
//	Profile (uint32 LE each) | Time (int64 LE each) | Event (uint32 LE each)
//
// Fixed-width columns decode at memory speed.
func (b *Batch) MarshalBinary() ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	w := newWriter(batchMagic)
	w.uvarint(uint64(len(b.Names)))
	for _, n := range b.Names {
		w.str(n)
	}
	w.uvarint(uint64(b.Len()))
	w.buf = slices.Grow(w.buf, 16*b.Len()+4)
	for _, p := range b.Profile {
		w.u32(p)
	}
	for _, t := range b.Time {
		w.i64(t)
	}
	for _, e := range b.Event {
		w.u32(e)
	}
	return w.finish(), nil
}

// UnmarshalBinary decodes a batch written by MarshalBinary, checking the frame, every
// length and every name id; on error b is unchanged. It does not check the grouping by
// profile, which Run* verify.
func (b *Batch) UnmarshalBinary(data []byte) error {
	r, err := openFrame("batch", batchMagic, data)
	if err != nil {
		return err
	}
	var q Batch
	nn := r.count("name", 1<<32, 1)
	q.Names = make([]string, 0, nn)
	for range nn {
		q.Names = append(q.Names, r.str())
	}
	n := r.count("event", 1<<40, 16)
	cols := r.take(16 * n)
	if err := r.end(); err != nil {
		return err
	}
	q.Profile, q.Time, q.Event = make([]uint32, n), make([]int64, n), make([]uint32, n)
	for i := range n {
		q.Profile[i] = binary.LittleEndian.Uint32(cols[4*i:])
		q.Time[i] = int64(binary.LittleEndian.Uint64(cols[4*n+8*i:]))
		q.Event[i] = binary.LittleEndian.Uint32(cols[12*n+4*i:])
	}
	if err := q.check(); err != nil {
		return err
	}
	*b = q
	return nil
}
