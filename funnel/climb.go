package funnel

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"sync/atomic"
	"time"

	"github.com/clientele-go/clientele/internal/radix"
)

// Run places the profiles of events (any order) on the ladder. It works on the
// profiles in parallel (GOMAXPROCS goroutines), after matching the steps and reading
// referrers on the calling goroutine, and fails for a bad Lifecycle or an
// unrepresentable timestamp, naming the event.
func (l Lifecycle) Run(events []Event) (*Journeys, error) {
	return l.build(events, workersFor(len(events)))
}

func (l Lifecycle) build(events []Event, workers int) (*Journeys, error) {
	r, err := l.compile()
	if err != nil {
		return nil, err
	}
	rows := make([]row, len(events))
	var refs map[int32]uint32 // event index -> referrer; few events name one
	for i, e := range events {
		t, err := instant(i, e, time.Time{})
		if err != nil {
			return nil, err
		}
		rows[i] = row{t: t, steps: r.flags(e), idx: int32(i)}
		if ref, ok := r.l.Referrer(e); ok && ref != 0 {
			if refs == nil {
				refs = map[int32]uint32{}
			}
			refs[int32(i)] = ref
		}
	}
	// Group by profile: sort (profile, index) pairs packed in one word, which keeps
	// each profile's events in input order; each run is then put in time order
	// stably, so that ties stay in input order.
	keys := make([]uint64, len(events))
	for i, e := range events {
		keys[i] = uint64(e.Profile)<<32 | uint64(i)
	}
	slices.Sort(keys)
	starts := []int{0}
	for i := 1; i < len(keys); i++ {
		if keys[i]>>32 != keys[i-1]>>32 {
			starts = append(starts, i)
		}
	}
	starts = append(starts, len(keys))
	if len(keys) == 0 {
		starts = starts[:1]
	}
	return r.climb(len(starts)-1, workers, func(c *climber, k int, jr *journey) uint32 {
		run := c.rows[:0]
		for _, key := range keys[starts[k]:starts[k+1]] {
			run = append(run, rows[uint32(key)])
		}
		sortRows(run)
		c.rows = run
		id := uint32(keys[starts[k]] >> 32)
		c.profile(jr, id, run, firstReferrer(run, func(x row) uint32 { return refs[x.idx] }, id))
		return id
	})
}

// firstReferrer returns the referrer named by the earliest of a profile's rows (in
// time order) that names one other than the profile itself; 0 if none does.
func firstReferrer(rows []row, of func(row) uint32, self uint32) uint32 {
	for _, x := range rows {
		if ref := of(x); ref != 0 && ref != self {
			return ref
		}
	}
	return 0
}

// RunSeq places on the ladder the profiles of a stream that comes grouped by profile
// (each profile's events together, in any time order), as Spec.RunSeq reads it. Memory
// is one profile's events plus the journeys. A profile that reappears after another
// profile's events is an error wrapping ErrUnsorted.
func (l Lifecycle) RunSeq(events iter.Seq[Event]) (*Journeys, error) {
	r, err := l.compile()
	if err != nil {
		return nil, err
	}
	c := &climber{r: r}
	j := &Journeys{r: r}
	var (
		rows []row
		refs []uint32 // per row index: the referrer its event names, or 0
	)
	add := func(e Event, t int64) {
		var ref uint32
		if v, ok := r.l.Referrer(e); ok {
			ref = v
		}
		rows = append(rows, row{t: t, steps: r.flags(e), idx: int32(len(rows))})
		refs = append(refs, ref)
	}
	end := func(profile uint32) {
		sortRows(rows)
		j.ids = append(j.ids, profile)
		j.js = append(j.js, journey{})
		c.profile(&j.js[len(j.js)-1], profile, rows, firstReferrer(rows, func(x row) uint32 { return refs[x.idx] }, profile))
		rows, refs = rows[:0], refs[:0]
	}
	if err := grouped(events, time.Time{}, add, end); err != nil {
		return nil, err
	}
	return j, j.settle()
}

// RunBatch places the profiles of a columnar batch (grouped by profile; see Batch) on
// the ladder, working on ranges of profiles in parallel. The steps are matched once per
// distinct event name. Referrals come from referrers, which maps a referred profile to
// the profile that brought it, as a referral ledger holds them; it may name profiles
// the batch does not hold, so every shard of a sharded computation can be given the
// whole map, and it is only read, from several goroutines. With referrers nil and the
// default Referrer, they come from the batch's "referrer" property column instead, read
// as Run reads the property. Self-referrals are ignored.
func (l Lifecycle) RunBatch(b *Batch, referrers map[uint32]uint32) (*Journeys, error) {
	if b == nil {
		return nil, errNilBatch
	}
	return l.buildBatch(b, referrers, workersFor(b.Len()))
}

func (l Lifecycle) buildBatch(b *Batch, referrers map[uint32]uint32, workers int) (*Journeys, error) {
	r, err := l.compile()
	if err != nil {
		return nil, err
	}
	starts, err := b.profiles(time.Time{})
	if err != nil {
		return nil, err
	}
	flags := b.byName(r.flags)
	// The referrer column, parsed once per distinct value (0: names none).
	var col, named []uint32
	if referrers == nil && l.Referrer == nil && b.Props["referrer"] != nil {
		col = b.Props["referrer"]
		named = make([]uint32, len(b.Values))
		for id, v := range b.Values {
			if ref, ok := r.l.Referrer(Event{Props: map[string]string{"referrer": v}}); ok {
				named[id] = ref
			}
		}
	}
	refs := newRefTable(referrers, len(starts)-1)
	return r.climb(len(starts)-1, workers, func(c *climber, k int, jr *journey) uint32 {
		if c.refs.t == nil {
			c.refs.t = &refs
		}
		rows := c.rows[:0]
		for i := starts[k]; i < starts[k+1]; i++ {
			rows = append(rows, row{t: b.Time[i], steps: flags[b.Event[i]], idx: int32(i - starts[k])})
		}
		sortRows(rows)
		c.rows = rows
		id := b.Profile[starts[k]]
		ref := c.refs.get(id)
		if col != nil {
			ref = firstReferrer(rows, func(x row) uint32 { return named[col[starts[k]+int(x.idx)]] }, id)
		}
		c.profile(jr, id, rows, ref)
		return id
	})
}

// MergeJourneys puts together journeys built by the same Lifecycle from disjoint shards
// of profiles (every event of a profile in one shard), in this process or decoded from
// other machines' bytes. The result equals the journeys of one pass over all the
// events, advocates included, although a referrer and the profiles it brought may sit
// in different shards. The parts are not modified. Parts of different Lifecycles fail
// with ErrMismatch (their functions cannot be compared, so agreeing on those is the
// caller's promise); a profile found in two parts fails with ErrUnsorted.
func MergeJourneys(parts ...*Journeys) (*Journeys, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no journeys to merge", ErrInvalid)
	}
	for i, p := range parts {
		if p == nil {
			return nil, fmt.Errorf("%w: journeys %d of %d are nil", ErrInvalid, i, len(parts))
		}
		if p.r.fp != parts[0].r.fp {
			return nil, fmt.Errorf("%w: journeys %d: %s versus %s", ErrMismatch, i, shownFingerprint(p.r.fp), shownFingerprint(parts[0].r.fp))
		}
	}
	return join(parts[0].r, parts)
}

// climber places profiles on the ladder, one profile's time-ordered rows at a time;
// each goroutine has its own. Its journeys' lists of streaks and periods are cut from
// shared chunks, so that millions of short lists cost a few large allocations.
type climber struct {
	r       *rules
	streaks arena[[2]int64]
	periods arena[int64]
	refs    refCursor // RunBatch's referrers
	// scratch, reused from profile to profile
	rows   []row
	visits []int64
	sbuf   [][2]int64
	pbuf   []int64
}

// profile sets jr to the journey of one profile from its rows, in time order (ties in
// input order), whose steps hold the lifecycle flags.
func (c *climber) profile(jr *journey, id uint32, rows []row, referrer uint32) {
	l := &c.r.l
	*jr = journey{seen: rows[0].t, visit: never, user: never, customer: never, repeat: never, advocate: never}
	if referrer != id {
		jr.referrer = referrer
	}
	visits, streaks, periods := c.visits[:0], c.sbuf[:0], c.pbuf[:0]
	purchases := 0
	for _, e := range rows {
		if e.steps&flagVisit != 0 {
			visits = append(visits, e.t)
			jr.visit = min(jr.visit, e.t)
			n := l.UserVisits
			if jr.user == never && len(visits) >= n && e.t-visits[len(visits)-n] <= int64(l.UserSpan) {
				jr.user = e.t
			}
		}
		if e.steps&flagPurchase != 0 {
			purchases++
			if purchases == 1 {
				jr.customer = e.t
			} else if purchases == 2 {
				jr.repeat = e.t
			}
		}
		if e.steps&flagActive != 0 {
			if n := len(streaks); n > 0 && e.t-streaks[n-1][1] < int64(l.DormantAfter) {
				streaks[n-1][1] = e.t
			} else {
				streaks = append(streaks, [2]int64{e.t, e.t})
			}
			if p := c.r.cal.index(e.t); len(periods) == 0 || periods[len(periods)-1] != p {
				periods = append(periods, p)
			}
		}
	}
	jr.streaks, jr.periods = c.streaks.copy(streaks), c.periods.copy(periods)
	c.visits, c.sbuf, c.pbuf = visits, streaks, periods
}

// climb places nruns profiles on the ladder on workers goroutines; run sets the k-th
// profile's journey in place and returns its key. The profiles are cut into ranges
// taken in turn by whichever worker is free (as scanRanges does), in ascending order,
// so that each worker's profiles still ascend (refCursor walks forward): with one
// consecutive range a worker, a worker whose core was busy held the other up at the end.
func (r *rules) climb(nruns, workers int, run func(c *climber, k int, jr *journey) uint32) (*Journeys, error) {
	j := &Journeys{r: r, ids: make([]uint32, nruns), js: make([]journey, nruns)}
	ranges := max(workers, 1)
	if workers > 1 {
		ranges = workers * rangesPerWorker
	}
	var next atomic.Int64
	split(workers, workers, func(int, int) struct{} {
		c := &climber{r: r}
		for g := int(next.Add(1)) - 1; g < ranges; g = int(next.Add(1)) - 1 {
			for k := nruns * g / ranges; k < nruns*(g+1)/ranges; k++ {
				j.ids[k] = run(c, k, &j.js[k])
			}
		}
		return struct{}{}
	})
	return j, j.settle()
}

// join puts the journeys of disjoint sets of profiles together (see settle). The parts
// are not modified.
func join(r *rules, parts []*Journeys) (*Journeys, error) {
	n := 0
	for _, p := range parts {
		n += len(p.ids)
	}
	j := &Journeys{r: r, ids: make([]uint32, 0, n), js: make([]journey, 0, n)}
	for _, p := range parts {
		j.ids = append(j.ids, p.ids...)
		j.js = append(j.js, p.js...)
	}
	return j, j.settle()
}

// settle puts freshly gathered journeys in profile order, refuses a profile met twice,
// and works out who is an advocate, which needs every profile: a referrer's events and
// those of the profiles it brought may have come from different parts.
func (j *Journeys) settle() error {
	n := len(j.ids)
	if !slices.IsSorted(j.ids) {
		// Sort (profile, position) pairs packed in one word: no comparison function.
		keys := make([]uint64, n)
		for i, id := range j.ids {
			keys[i] = uint64(id)<<32 | uint64(i)
		}
		slices.Sort(keys)
		ids, js := make([]uint32, n), make([]journey, n)
		for k, key := range keys {
			ids[k], js[k] = uint32(key>>32), j.js[uint32(key)]
		}
		j.ids, j.js = ids, js
	}
	for k := 1; k < n; k++ {
		if j.ids[k] == j.ids[k-1] {
			return fmt.Errorf("%w: profile %d is in two of the journeys joined (each profile's events must all be in one shard)", ErrUnsorted, j.ids[k])
		}
	}
	j.advocates()
	return nil
}

// advocates sets when each customer became an advocate: once it was a customer and a
// profile it brought had become a user. The passes over every journey run on every
// core: on one, they were most of what RunBatch left the second core idle for.
func (j *Journeys) advocates() {
	workers := workersFor(len(j.js))
	// First the time each referred profile became a user, beside its referrer's
	// index, clearing the advocates of the range as it goes...
	type brought struct {
		referrer int
		user     int64
	}
	parts := split(len(j.js), workers, func(lo, hi int) []brought {
		var out []brought
		for k := lo; k < hi; k++ {
			jr := &j.js[k]
			jr.advocate = never
			if jr.referrer == 0 || jr.user == never {
				continue
			}
			if i, ok := slices.BinarySearch(j.ids, jr.referrer); ok {
				out = append(out, brought{i, jr.user})
			}
		}
		return out
	})
	// ... the earliest per referrer (few profiles are referred: one pass, here) ...
	for _, part := range parts {
		for _, b := range part {
			j.js[b.referrer].advocate = min(j.js[b.referrer].advocate, b.user)
		}
	}
	// ... then no earlier than the referrer's first purchase.
	split(len(j.js), workers, func(lo, hi int) struct{} {
		for k := lo; k < hi; k++ {
			jr := &j.js[k]
			switch {
			case jr.advocate == never:
			case jr.customer == never:
				jr.advocate = never
			default:
				jr.advocate = max(jr.advocate, jr.customer)
			}
		}
		return struct{}{}
	})
}

// arena hands out copies of short slices cut from large shared chunks. The copies are
// full (cap == len), so appending to one never writes into another.
type arena[T any] struct{ chunk []T }

const arenaChunk = 4096

func (a *arena[T]) copy(s []T) []T {
	if len(s) == 0 {
		return nil
	}
	if cap(a.chunk)-len(a.chunk) < len(s) {
		a.chunk = make([]T, 0, max(arenaChunk, len(s)))
	}
	lo := len(a.chunk)
	a.chunk = append(a.chunk, s...)
	return a.chunk[lo:len(a.chunk):len(a.chunk)]
}

// refTable answers RunBatch's referrers[id] for the batch's profiles. A map lookup per
// profile was a fifth of RunBatch's CPU (a hash and a cache miss each, the map
// holding a tenth as many entries as the batch profiles); the same pairs sorted by
// profile are read by walking forward as a worker's profiles ascend. A map much larger
// than the batch (a shard given every referral) is read as a map.
type refTable struct {
	m     map[uint32]uint32
	pairs []uint64 // profile<<32 | referrer, ascending; nil: read m
}

func newRefTable(m map[uint32]uint32, profiles int) refTable {
	if len(m) == 0 || len(m) > 2*profiles {
		return refTable{m: m}
	}
	pairs := make([]uint64, 0, len(m))
	for id, ref := range m {
		pairs = append(pairs, uint64(id)<<32|uint64(ref))
	}
	radix.Sort(pairs, nil, 32) // profiles are distinct keys of a map
	return refTable{m: m, pairs: pairs}
}

// refCursor is one worker's place in a refTable.
type refCursor struct {
	t    *refTable
	i    int    // pairs[:i] are of profiles before last
	last uint32 // the profile asked for last
	used bool
}

// get returns the referrer of profile id, 0 for none.
func (c *refCursor) get(id uint32) uint32 {
	pairs := c.t.pairs
	if pairs == nil {
		return c.t.m[id]
	}
	if !c.used || id < c.last {
		// The first profile, or profiles not in ascending order: search.
		c.i, _ = slices.BinarySearchFunc(pairs, id, func(p uint64, id uint32) int { return cmp.Compare(uint32(p>>32), id) })
		c.used = true
	}
	c.last = id
	for c.i < len(pairs) && uint32(pairs[c.i]>>32) < id {
		c.i++
	}
	if c.i < len(pairs) && uint32(pairs[c.i]>>32) == id {
		return uint32(pairs[c.i])
	}
	return 0
}
