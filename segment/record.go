package segment

import (
	"fmt"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/radix"
)

// pendingLimit is how many Record calls are buffered before they are applied.
const pendingLimit = 1 << 18

// rec is one buffered event: 12 bytes, the event as an index into its buffer's names.
type rec struct {
	ev  uint32
	day int32
	p   uint32
}

// recBuf collects events compactly before they are grouped and applied.
type recBuf struct {
	names []string
	ids   map[string]uint32
	last  uint32 // index of the last event name, a cheap cache for runs of one event
	recs  []rec
}

func (b *recBuf) add(event string, p uint32, day int32) {
	if len(b.names) == 0 || b.names[b.last] != event {
		id, ok := b.ids[event]
		if !ok {
			if b.ids == nil {
				b.ids = map[string]uint32{}
			}
			id = uint32(len(b.names))
			b.ids[event] = id
			b.names = append(b.names, event)
		}
		b.last = id
	}
	b.recs = append(b.recs, rec{ev: b.last, day: day, p: p})
}

// reset empties the buffer, keeping its memory.
func (b *recBuf) reset() {
	b.names, b.recs, b.last = b.names[:0], b.recs[:0], 0
	clear(b.ids)
}

// Record notes that at the given time profile did event. Calls are buffered and applied
// in sorted batches (adding one element at a time to a roaring bitmap is slow), so a
// Record costs about as much as an append; queries apply the buffer first. Activity on
// a day already expired by retention only marks the profile as having done the event
// before (see WithRetention).
//
// The empty event changes nothing, as with Tag's empty key: Record has no error to
// report it with, and no query can name it (Parse refuses did("")), so it could only
// hold activity nothing selects. RecordBatch, which returns an error, refuses it.
func (x *Index) Record(at time.Time, profile uint32, event string) {
	if x.zero() || event == "" {
		return
	}
	day := dayOf(at, x.loc)
	x.pendMu.Lock()
	x.pending.add(event, profile, day)
	n := len(x.pending.recs)
	x.npend.Store(int64(n))
	x.pendMu.Unlock()
	x.changed()
	if n >= pendingLimit {
		x.lock()
		x.mu.Unlock()
	}
}

// RecordBatch records many events at once, the fast way to load activity: the batch is
// bucketed by event and day and sorted before the index is locked. A row with an empty
// event name, which no query can name (see Record), is ErrInvalid naming the row, and
// nothing of the batch is recorded: a batch is loaded whole or not at all, as
// SetNumbers's slices are, so that a host can fix the data and load it again without
// recording the good rows twice.
func (x *Index) RecordBatch(batch []Activity) error {
	if x.zero() {
		return errZeroIndex
	}
	if len(batch) == 0 {
		return nil
	}
	var b recBuf
	b.recs = make([]rec, 0, len(batch))
	var days dayCache
	for i, a := range batch {
		if a.Event == "" {
			return fmt.Errorf("%w: RecordBatch row %d (profile %d at %s): empty event name, which no query can name; nothing recorded",
				ErrInvalid, i, a.Profile, a.At.Format(time.RFC3339))
		}
		b.add(a.Event, a.Profile, days.day(a.At, x.loc))
	}
	groups := group(&b)
	x.lock()
	defer x.mu.Unlock()
	x.applyGroups(groups)
	x.changed()
	return nil
}

// applyPending applies the Record buffer. The caller holds mu for writing. The buffer
// is swapped with a spare so that Record calls go on while it is applied, and its
// memory is reused.
func (x *Index) applyPending() {
	if x.npend.Load() == 0 {
		return
	}
	x.pendMu.Lock()
	b := x.pending
	x.pending, x.spare = x.spare, nil
	if x.pending == nil {
		x.pending = &recBuf{}
	}
	x.npend.Store(0)
	x.pendMu.Unlock()
	x.applyGroups(group(b))
	b.reset()
	x.pendMu.Lock()
	x.spare = b
	x.pendMu.Unlock()
}

// actGroup is the activity of one event on one day: profiles sorted, repeated once per
// event.
type actGroup struct {
	event    string
	day      int32
	profiles []uint32
}

// group splits buffered events by event and day and sorts each group's profiles. It
// counts first and fills exactly sized slices second, so nothing grows by appending.
func group(b *recBuf) []actGroup {
	idx := map[uint64]int32{}
	which := make([]int32, len(b.recs))
	var sizes []int
	var groups []actGroup
	lastKey, last := uint64(0), int32(-1)
	for i, r := range b.recs {
		key := uint64(r.ev)<<32 | uint64(uint32(r.day))
		if last < 0 || key != lastKey {
			g, ok := idx[key]
			if !ok {
				g = int32(len(groups))
				idx[key] = g
				groups = append(groups, actGroup{event: b.names[r.ev], day: r.day})
				sizes = append(sizes, 0)
			}
			lastKey, last = key, g
		}
		which[i] = last
		sizes[last]++
	}
	for g := range groups {
		groups[g].profiles = make([]uint32, 0, sizes[g])
	}
	for i, r := range b.recs {
		g := &groups[which[i]]
		g.profiles = append(g.profiles, r.p)
	}
	var scratch []uint32
	for g := range groups {
		scratch = sortProfiles(groups[g].profiles, scratch)
	}
	return groups
}

// applyGroups merges grouped activity into the index. The caller holds mu for writing.
func (x *Index) applyGroups(groups []actGroup) {
	for _, g := range groups {
		uniq, counts := runs(g.profiles)
		set := roaring.New()
		set.AddMany(uniq)
		x.known.Or(set)
		ev := x.event(g.event)
		if g.day < x.horizon {
			ev.older.Or(set)
			continue
		}
		d := ev.at(g.day)
		d.add(uniq, counts, set)
	}
}

// add counts profiles uniq[i] as active counts[i] more times; set holds uniq.
func (d *dayBits) add(uniq []uint32, counts []uint32, set *roaring.Bitmap) {
	// Each profile's extra grows by its count, less one if this is its first time today.
	var already *roaring.Bitmap
	if !d.present.IsEmpty() {
		already = roaring.And(d.present, set)
	}
	var cols []uint32
	var vals []int64
	var it roaring.IntPeekable
	if already != nil && !already.IsEmpty() {
		it = already.Iterator()
	}
	for i, p := range uniq {
		inc := int64(counts[i]) - 1
		if it != nil {
			it.AdvanceIfNeeded(p)
			if it.HasNext() && it.PeekNext() == p {
				inc++
			}
		}
		if inc > 0 {
			cols = append(cols, p)
			vals = append(vals, inc)
		}
	}
	if len(cols) > 0 {
		add := newBSI(false)
		add.setMany(cols, vals)
		if d.extra == nil {
			d.extra = newBSI(false)
		}
		d.extra.add(add, nil)
	}
	d.present.Or(set)
}

// runs collapses a sorted slice into its distinct values and their multiplicities.
func runs(sorted []uint32) (uniq []uint32, counts []uint32) {
	uniq = make([]uint32, 0, len(sorted))
	var multi bool
	for i, p := range sorted {
		if i > 0 && p == sorted[i-1] {
			multi = true
			continue
		}
		uniq = append(uniq, p)
	}
	counts = make([]uint32, len(uniq))
	if !multi {
		for i := range counts {
			counts[i] = 1
		}
		return uniq, counts
	}
	j := -1
	for i, p := range sorted {
		if i == 0 || p != sorted[i-1] {
			j++
		}
		counts[j]++
	}
	return uniq, counts
}

// sortProfiles sorts a in place with the SDK's radix sort (linear, several times faster
// than comparison sorting at millions of keys), after a check that spares lists that
// arrive in order. It returns scratch memory for reuse.
func sortProfiles(a, scratch []uint32) []uint32 {
	if slices.IsSorted(a) {
		return scratch
	}
	return radix.Sort(a, scratch, 0)
}
