package segment

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// Activity is one behavioural event for RecordBatch: Profile did Event at At. It is a
// plain value.
type Activity struct {
	Event   string
	Profile uint32
	At      time.Time
}

// eventLog is the behaviour of one event: a bitmap of the profiles active on each day,
// and for the days expired by retention only the union of who was active.
type eventLog struct {
	days  []*dayBits      // sorted by day
	older *roaring.Bitmap // profiles active on any day before the index's horizon
}

// dayBits is one event on one day. present holds the profiles that did the event; extra
// holds, for each of them, the number of times minus one, so that the common case of
// once a day costs nothing beyond present.
type dayBits struct {
	day     int32
	present *roaring.Bitmap
	extra   *bsi // unsigned; nil until some profile does the event twice in the day
}

func (x *Index) event(name string) *eventLog {
	ev := x.events[name]
	if ev == nil {
		ev = &eventLog{older: roaring.New()}
		x.events[name] = ev
	}
	return ev
}

// at returns the dayBits of day, creating it in order if needed.
func (ev *eventLog) at(day int32) *dayBits {
	i := sort.Search(len(ev.days), func(i int) bool { return ev.days[i].day >= day })
	if i < len(ev.days) && ev.days[i].day == day {
		return ev.days[i]
	}
	d := &dayBits{day: day, present: roaring.New()}
	ev.days = slices.Insert(ev.days, i, d)
	return d
}

// span returns the days in [lo, hi].
func (ev *eventLog) span(lo, hi int32) []*dayBits {
	i := sort.Search(len(ev.days), func(i int) bool { return ev.days[i].day >= lo })
	j := sort.Search(len(ev.days), func(i int) bool { return ev.days[i].day > hi })
	if i >= j {
		return nil
	}
	return ev.days[i:j]
}

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

// Record notes that profile did event at the given time. Calls are buffered and applied
// in sorted batches (adding one element at a time to a roaring bitmap is slow), so a
// Record costs about as much as an append; queries apply the buffer first. Activity on
// a day already expired by retention only marks the profile as having done the event
// before (see WithRetention).
func (x *Index) Record(event string, profile uint32, at time.Time) {
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
// bucketed by event and day and sorted before the index is locked.
func (x *Index) RecordBatch(batch []Activity) {
	if len(batch) == 0 {
		return
	}
	var b recBuf
	b.recs = make([]rec, 0, len(batch))
	var days dayCache
	for _, a := range batch {
		b.add(a.Event, a.Profile, days.day(a.At, x.loc))
	}
	groups := group(&b)
	x.lock()
	defer x.mu.Unlock()
	x.applyGroups(groups)
	x.changed()
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

// sortProfiles sorts a in place: an LSD radix sort in three passes of 11, 11 and 10
// bits for large slices (linear, several times faster than comparison sorting at
// millions of keys), pdqsort for small ones. It returns scratch memory for reuse.
func sortProfiles(a, scratch []uint32) []uint32 {
	if len(a) < 512 {
		slices.Sort(a)
		return scratch
	}
	if slices.IsSorted(a) {
		return scratch
	}
	if cap(scratch) < len(a) {
		scratch = make([]uint32, len(a))
	}
	src, dst := a, scratch[:len(a)]
	var count [1 << 11]int
	for _, shift := range [...]uint{0, 11, 22} {
		clear(count[:])
		for _, v := range src {
			count[v>>shift&0x7ff]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, v := range src {
			k := v >> shift & 0x7ff
			dst[count[k]] = v
			count[k]++
		}
		src, dst = dst, src
	}
	copy(a, src) // after an odd number of passes the result is in the scratch slice
	return scratch
}

// dayCache turns instants into day numbers, remembering the last day's bounds so that a
// batch of events from the same day costs one time-zone lookup.
type dayCache struct {
	start, end int64 // Unix seconds of the cached day's [start, end)
	d          int32
	ok         bool
}

func (c *dayCache) day(t time.Time, loc *time.Location) int32 {
	s := t.Unix()
	if c.ok && s >= c.start && s < c.end {
		return c.d
	}
	if loc == time.UTC {
		d := floorDiv(s, 86400)
		c.d, c.start, c.end, c.ok = clampDay(d), d*86400, d*86400+86400, d == int64(clampDay(d))
		return c.d
	}
	y, m, dd := t.In(loc).Date()
	c.d = dayNumber(y, m, dd)
	start := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	end := time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
	c.start, c.end, c.ok = start.Unix(), end.Unix(), true
	return c.d
}

// dayOf returns the day number of t in loc: days since 1970-01-01 in loc's calendar.
func dayOf(t time.Time, loc *time.Location) int32 {
	if loc == time.UTC {
		return clampDay(floorDiv(t.Unix(), 86400))
	}
	y, m, d := t.In(loc).Date()
	return dayNumber(y, m, d)
}

// dayNumber returns the days from 1970-01-01 to the civil date y-m-d.
func dayNumber(y int, m time.Month, d int) int32 {
	return clampDay(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400))
}

// dayTime returns the start of day d in loc.
func dayTime(d int32, loc *time.Location) time.Time {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// clampDay keeps day numbers inside int32, a range of ±5.8 million years; instants
// beyond it land on its ends.
func clampDay(d int64) int32 {
	return int32(min(max(d, math.MinInt32+1), math.MaxInt32))
}

// Expire applies the retention (WithRetention) at now: behaviour of days before the
// retained window (the retention days ending with now's day) is dropped, keeping only
// who was active (for did(e), first and lapsed). It returns the number of day bitmaps
// dropped. Without retention it does nothing.
func (x *Index) Expire(now time.Time) int {
	if x.retention == 0 {
		return 0
	}
	h := clampDay(int64(dayOf(now, x.loc)) - int64(x.retention) + 1)
	x.lock()
	defer x.mu.Unlock()
	if h <= x.horizon {
		return 0
	}
	x.horizon = h
	dropped := 0
	for _, ev := range x.events {
		old := ev.span(math.MinInt32, h-1)
		if len(old) == 0 {
			continue
		}
		bms := make([]*roaring.Bitmap, 0, len(old)+1)
		bms = append(bms, ev.older)
		for _, d := range old {
			bms = append(bms, d.present)
		}
		ev.older = roaring.FastOr(bms...)
		ev.days = slices.Delete(ev.days, 0, len(old))
		dropped += len(old)
	}
	// No version bump: no query that can still be asked answers differently.
	return dropped
}
