package funnel

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/english"
)

// Batch holds events in columns: the i-th event is profile Profile[i] doing event
// Names[Event[i]] at Time[i] (Unix nanoseconds). Event names are interned, so a Batch
// of a hundred million events is 16 bytes an event and a step is matched once per
// distinct name, not once per event (a Step's Match sees the name only).
//
// Properties, for breakdowns, are optional columns of interned values: Props[key][i] is
// the index in Values of event i's value of the property key, the index of "" where the
// event lacks it; each column is as long as Profile. Append keeps them so.
//
// A Batch must be grouped by profile: each profile's events contiguous (a column store
// ordered by profile, time gives exactly that). Within a profile, events may come in
// any time order. A Batch is not safe for concurrent mutation; reading it from many
// goroutines (as RunBatch does) is safe.
//
// The zero Batch is the empty batch, ready to use. A nil *Batch holds no events: Len
// is 0, and the methods with an error (Append, MarshalBinary, UnmarshalBinary, every
// RunBatch and PartialBatch) fail with ErrInvalid; Intern and InternValue, which have
// nowhere to add a name and no error to return, panic on it, as assigning to a nil map
// does.
type Batch struct {
	Profile []uint32
	Time    []int64
	Event   []uint32
	Names   []string
	Props   map[string][]uint32
	Values  []string

	ids, vals map[string]uint32
}

// Len returns the number of events: 0 for a nil *Batch.
func (b *Batch) Len() int {
	if b == nil {
		return 0
	}
	return len(b.Profile)
}

// Append adds an event, interning its name and its properties' values. A property
// first seen here gets a column in which earlier events hold "".
func (b *Batch) Append(e Event) error {
	if b == nil {
		return errorf("append event (profile %d): %w", e.Profile, errNilBatch)
	}
	t, err := nanos(e.Time)
	if err != nil {
		return errorf("append event %d (profile %d): %w", b.Len(), e.Profile, err)
	}
	n := b.Len()
	for _, key := range slices.Sorted(maps.Keys(e.Props)) { // sorted: Values' order is reproducible
		v := e.Props[key]
		col, ok := b.Props[key]
		if !ok {
			if b.Props == nil {
				b.Props = map[string][]uint32{}
			}
			col = slices.Repeat([]uint32{b.InternValue("")}, n)
		}
		b.Props[key] = append(col, b.InternValue(v))
	}
	for key, col := range b.Props {
		if _, ok := e.Props[key]; !ok {
			b.Props[key] = append(col, b.InternValue(""))
		}
	}
	b.Profile = append(b.Profile, e.Profile)
	b.Time = append(b.Time, t)
	b.Event = append(b.Event, b.Intern(e.Name))
	return nil
}

// Intern returns the id of name in Names, adding it if it is new.
func (b *Batch) Intern(name string) uint32 { return intern(&b.ids, &b.Names, name) }

// InternValue returns the id of a property value in Values, adding it if it is new.
func (b *Batch) InternValue(v string) uint32 { return intern(&b.vals, &b.Values, v) }

// intern returns the index of s in *list, appending it if it is new; *index maps
// strings to their first index and is built from the list on first use.
func intern(index *map[string]uint32, list *[]string, s string) uint32 {
	if *index == nil {
		*index = make(map[string]uint32, len(*list))
		for i, n := range *list {
			if _, dup := (*index)[n]; !dup {
				(*index)[n] = uint32(i)
			}
		}
	}
	if id, ok := (*index)[s]; ok {
		return id
	}
	id := uint32(len(*list))
	*list = append(*list, s)
	(*index)[s] = id
	return id
}

// At returns the i-th event, with its properties whose value is not "". Like indexing a
// slice, it panics if i is outside [0, Len()) (so on the zero or nil Batch, which hold
// no events) or if event i's name or property value ids lie outside Names or Values, a
// batch that Append and UnmarshalBinary never make and RunBatch refuses.
func (b *Batch) At(i int) Event {
	e := Event{Profile: b.Profile[i], Time: time.Unix(0, b.Time[i]).UTC(), Name: b.Names[b.Event[i]]}
	for key, col := range b.Props {
		if v := b.Values[col[i]]; v != "" {
			if e.Props == nil {
				e.Props = map[string]string{}
			}
			e.Props[key] = v
		}
	}
	return e
}

// check verifies that the columns have one length and every name id is in range.
func (b *Batch) check() error {
	n := len(b.Profile)
	if len(b.Time) != n || len(b.Event) != n {
		return fmt.Errorf("%w: columns of different lengths (profile %d, time %d, event %d)", ErrInvalid, n, len(b.Time), len(b.Event))
	}
	for i, id := range b.Event {
		if int(id) >= len(b.Names) {
			return fmt.Errorf("%w: batch event %d: name id %d outside the %s", ErrCorrupt, i, id, english.Count(len(b.Names), "name"))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(b.Props)) {
		col := b.Props[key]
		if len(col) != n {
			return fmt.Errorf("%w: property %q column holds %s for %s", ErrInvalid, key, english.Count(len(col), "value"), english.Count(n, "event"))
		}
		for i, id := range col {
			if int(id) >= len(b.Values) {
				return fmt.Errorf("%w: batch event %d: property %q value id %d outside the %s", ErrCorrupt, i, key, id, english.Count(len(b.Values), "value"))
			}
		}
	}
	for i, t := range b.Time {
		if t < minNano || t >= maxNano {
			return fmt.Errorf("%w: batch event %d (profile %d): time %d ns outside 1900-2189", ErrTimeRange, i, b.Profile[i], t)
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
// events (see runs): what every computation over a Batch does first. A large batch is
// read by one goroutine per core, each checking a range of events and finding the runs
// that start in it: read on one core, these passes were a third of a cohort table's
// time and kept the second core idle. Any problem sends the batch to the one-core
// passes (profilesSerial), which name the first problem exactly as they always have.
func (b *Batch) profiles(asOf time.Time) ([]int, error) {
	n := len(b.Profile)
	workers := workersFor(n)
	if workers == 1 || len(b.Time) != n || len(b.Event) != n {
		return b.profilesSerial(asOf)
	}
	cols := make([][]uint32, 0, len(b.Props))
	for _, col := range b.Props {
		if len(col) != n {
			return b.profilesSerial(asOf)
		}
		cols = append(cols, col)
	}
	limit := int64(math.MaxInt64)
	if !asOf.IsZero() {
		limit = asOf.UnixNano()
	}
	type part struct {
		starts        []int
		ok, ascending bool
	}
	names, values := uint32(len(b.Names)), uint32(len(b.Values))
	parts := split(n, workers, func(lo, hi int) part {
		starts := make([]int, 0, (hi-lo)/8+1)
		ascending := true
		for i := lo; i < hi; i++ {
			if t := b.Time[i]; b.Event[i] >= names || t < minNano || t >= maxNano || t > limit {
				return part{}
			}
			if i == 0 || b.Profile[i] != b.Profile[i-1] {
				if i > 0 && b.Profile[i] < b.Profile[i-1] {
					ascending = false
				}
				starts = append(starts, i)
			}
		}
		for _, col := range cols {
			for _, id := range col[lo:hi] {
				if id >= values {
					return part{}
				}
			}
		}
		return part{starts, true, ascending}
	})
	total, ascending := 1, true
	for _, q := range parts {
		if !q.ok {
			return b.profilesSerial(asOf)
		}
		total += len(q.starts)
		ascending = ascending && q.ascending
	}
	if !ascending {
		// A repeated profile can hide anywhere; the serial passes find and name it.
		return b.profilesSerial(asOf)
	}
	starts := make([]int, 0, total)
	for _, q := range parts {
		starts = append(starts, q.starts...)
	}
	return append(starts, n), nil
}

// profilesSerial is profiles on one core: check, runs and the AsOf pass.
func (b *Batch) profilesSerial(asOf time.Time) ([]int, error) {
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
				return nil, errorf("batch event %d (profile %d): %w: after AsOf %s", i, b.Profile[i], ErrTimeRange, asOf)
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
//	Profile (uint32 LE each) | Time (int64 LE each) | Event (uint32 LE each) |
//	[ values count | values (length-prefixed) | properties count |
//	  per property, by name: name (length-prefixed) | ids (uint32 LE each) ]
//
// the bracketed part only when the batch has property columns. Fixed-width columns
// decode at memory speed.
func (b *Batch) MarshalBinary() ([]byte, error) {
	if b == nil {
		return nil, errorf("encode batch: %w", errNilBatch)
	}
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
	// Property columns, only when there are any: a batch without them encodes as it
	// did before they existed.
	if len(b.Props) > 0 {
		w.uvarint(uint64(len(b.Values)))
		for _, v := range b.Values {
			w.str(v)
		}
		w.uvarint(uint64(len(b.Props)))
		for _, key := range slices.Sorted(maps.Keys(b.Props)) {
			w.str(key)
			for _, id := range b.Props[key] {
				w.u32(id)
			}
		}
	}
	return w.finish(), nil
}

// UnmarshalBinary decodes a batch written by MarshalBinary, checking the frame, every
// length and every name id; on error b is unchanged. It does not check the grouping by
// profile, which Run* verify. A nil b is ErrInvalid: there is no batch to decode into.
func (b *Batch) UnmarshalBinary(data []byte) error {
	if b == nil {
		return errorf("decode batch: %w", errNilBatch)
	}
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
	if r.Remaining() > 0 && !r.failed() {
		nv := r.count("property value", 1<<32, 1)
		q.Values = make([]string, 0, nv)
		for range nv {
			q.Values = append(q.Values, r.str())
		}
		start := r.Offset()
		np := r.count("property", 1<<32, 1+4*n)
		if !r.failed() && np == 0 {
			r.FailAt(start, "a property section with no property")
		}
		q.Props = make(map[string][]uint32, np)
		prev := ""
		for k := range np {
			at := r.Offset()
			key := r.str()
			if !r.failed() && k > 0 && key <= prev {
				r.FailAt(at, "property %q out of order after %q", key, prev)
			}
			prev = key
			raw := r.take(4 * n)
			if r.failed() {
				break
			}
			col := make([]uint32, n)
			for i := range col {
				col[i] = binary.LittleEndian.Uint32(raw[4*i:])
			}
			q.Props[key] = col
		}
	}
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
