package funnel

import (
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// scanBatch computes the partial of a funnel over a batch, profile ranges in parallel.
// It checks the batch as it reads it rather than in passes of its own: at a hundred
// million events, reading the columns once more costs as much as matching them. A
// worker stops at the first event Batch.profiles would refuse, and that check then
// runs in full to name it; a batch whose profiles are not in ascending order is checked
// for grouping (Batch.runs) after the scan.
func scanBatch(p *plan, b *Batch, asOf time.Time) (*funnelPartial, error) {
	n := len(b.Profile)
	var by *Breakdown
	var col []uint32 // the breakdown property's column, if the batch has it
	if by = p.spec.Breakdown; by != nil {
		col = b.Props[by.Prop]
	}
	if len(b.Time) != n || len(b.Event) != n || col != nil && len(col) != n {
		return nil, b.check()
	}
	limit := int64(math.MaxInt64)
	if !asOf.IsZero() {
		limit = asOf.UnixNano()
	}
	steps := b.byName(func(e Event) uint32 { m, _ := p.masks(e); return m })
	excl := b.byName(func(e Event) uint32 { _, m := p.masks(e); return m })
	slots := make([]uint8, len(steps))
	for id, m := range steps {
		slots[id] = slotOf(m)
	}
	type worker struct {
		sc batchScan
		pt *funnelPartial
	}
	ws, bad, unascending := scanRanges(b, n, func() *worker {
		return &worker{batchScan{p: p, b: b, steps: steps, excl: excl, slots: slots, limit: limit, m: newMatcher(p), by: by, col: col}, newPartial(p)}
	}, func(w *worker, lo, hi int) (ok, ascending bool) { return w.sc.scan(w.pt, lo, hi) })
	if bad {
		if _, err := b.profiles(asOf); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: batch: an event failed the scan's check but not the full one", ErrCorrupt)
	}
	pts := make([]*funnelPartial, len(ws))
	for i, w := range ws {
		// A worker that got no range (the others had taken them all) has no "" group.
		if g := w.pt.groups[""]; by != nil && g != nil && g.unique[0] == 0 {
			delete(w.pt.groups, "") // no profile fell in it: an artefact of the start
		}
		pts[i] = w.pt
	}
	if unascending {
		if _, err := b.runs(); err != nil {
			return nil, err
		}
	}
	return mergeParts(pts)
}

// batchScan matches the profiles of one range of a batch.
type batchScan struct {
	p           *plan
	b           *Batch
	steps, excl []uint32 // per name id: the steps and exclusions it matches
	limit       int64    // AsOf in nanoseconds, or MaxInt64
	m           *matcher
	rows        []row
	slots       []uint8    // per name id: the kernel's slot for it (kernel.matchColumns)
	by          *Breakdown // nil: no breakdown
	col         []uint32   // the breakdown property's value ids; nil: every value ""
}

// rangesPerWorker is how many ranges of profiles each worker takes on average. The
// last range to finish runs alone, so a range is kept to about a hundredth of the scan
// on two cores: with 8 a worker, a sixteenth of the matching (6 to 13 ms at 10 M events)
// was left to one core at the end of every scan, while a range's own cost is one atomic
// add and a map lookup.
const rangesPerWorker = 64

// scanRanges scans the rows [0, n) of a batch in parallel, in ranges of whole
// profiles: more ranges than workers, taken in turn by whichever worker is free, so
// that a worker whose core is busy with something else (another process, the garbage
// collector) does not hold the others up at the end. Each worker makes its state with
// start and scans each range it takes with scan, which reports whether every event
// was good (a worker stops at its first bad range) and whether the range's profiles
// ascend. It returns the workers' states, whether a range was bad, and whether the
// profiles fail to ascend, within a range or across a cut between two.
func scanRanges[T any](b *Batch, n int, start func() T, scan func(s T, lo, hi int) (ok, ascending bool)) (states []T, bad, unascending bool) {
	workers := workersFor(n)
	ranges := workers
	if workers > 1 {
		ranges = workers * rangesPerWorker
	}
	cuts := profileCuts(n, ranges, func(i int) uint32 { return b.Profile[i] })
	type part struct {
		s                T
		bad, unascending bool
	}
	var next atomic.Int64
	parts := split(workers, workers, func(int, int) part {
		q := part{s: start()}
		for {
			r := int(next.Add(1)) - 1
			if r >= len(cuts)-1 {
				return q
			}
			ok, asc := scan(q.s, cuts[r], cuts[r+1])
			if !ok {
				q.bad = true
				return q
			}
			q.unascending = q.unascending || !asc
		}
	})
	states = make([]T, len(parts))
	for w, q := range parts {
		states[w] = q.s
		bad = bad || q.bad
		unascending = unascending || q.unascending
	}
	for _, c := range cuts {
		unascending = unascending || c > 0 && c < n && b.Profile[c] < b.Profile[c-1]
	}
	return states, bad, unascending
}

// scan adds the profiles [lo, hi) to pt; ok is false when an event is out of
// range (name id, time, AsOf, the breakdown property's value id), ascending whether
// profiles came in ascending order.
func (sc *batchScan) scan(pt *funnelPartial, lo, hi int) (ok, ascending bool) {
	p, b := sc.p, sc.b
	t := pt.group("")
	names, values := uint32(len(b.Names)), uint32(len(b.Values))
	// The kernel's entries are the events themselves when times strictly increase and
	// each event matches at most one step (no ties for ClickHouse's order to settle):
	// then a profile goes from the columns to the kernel with no rows in between.
	direct := p.simple && p.mode&AnyOrder == 0
	if direct && p.mode&(StrictOrder|StrictDeduplication) == 0 {
		return sc.scanPlain(pt, lo, hi)
	}
	strict := p.mode&StrictOrder != 0
	var out outcome
	ascending = true
	for i := lo; i < hi; {
		prof := b.Profile[i]
		if i > lo && prof < b.Profile[i-1] {
			ascending = false
		}
		ents := sc.m.k.ents[:0]
		inOrder := direct
		last := int64(math.MinInt64)
		j := i
		for ; j < hi && b.Profile[j] == prof; j++ {
			id, ts := b.Event[j], b.Time[j]
			if id >= names || ts < minNano || ts >= maxNano || ts > sc.limit || sc.col != nil && sc.col[j] >= values {
				return false, ascending
			}
			if !inOrder {
				continue
			}
			s := sc.steps[id]
			if ts <= last || s&(s-1) != 0 {
				inOrder = false
				continue
			}
			last = ts
			switch {
			case s != 0:
				ents = append(ents, entry{ts, int8(bits.TrailingZeros32(s)), int32(j - i)})
			case strict:
				ents = append(ents, entry{ts, -1, int32(j - i)})
			}
		}
		sc.m.k.ents = ents
		var rows []row
		if inOrder {
			out.reset()
			sc.m.k.match(&out)
			sc.stampDirect(&out, i)
			pt.end = max(pt.end, last)
		} else {
			rows = sc.rowPath(pt, &out, i, j)
		}
		if sc.by != nil && out.level > 0 {
			t = pt.group(sc.key(&out, rows, i))
		}
		t.add(prof, &out, p.n)
		i = j
	}
	return true, ascending
}

// stampDirect sets o.at from the columns, o.path being offsets from i.
func (sc *batchScan) stampDirect(o *outcome, i int) {
	for s, r := range o.path[:o.level] {
		if r >= 0 {
			o.at[s] = sc.b.Time[i+int(r)]
		}
	}
}

// rowPath matches the profile of rows [i, j) the general way, for a profile the kernel
// cannot take straight from the columns: its rows, sorted, to the plan's matcher. It
// returns the rows, which o.path indexes.
func (sc *batchScan) rowPath(pt *funnelPartial, o *outcome, i, j int) []row {
	b := sc.b
	rows := sc.rows[:0]
	for k := i; k < j; k++ {
		id := b.Event[k]
		rows = append(rows, row{t: b.Time[k], steps: sc.steps[id], excl: sc.excl[id], idx: int32(k - i)})
	}
	sortRows(rows)
	sc.rows = rows
	sc.m.profile(rows, o)
	o.stamp(rows)
	pt.end = max(pt.end, rows[len(rows)-1].t)
	return rows
}

// scanPlain is scan for a funnel kernel.passPlain can match: a profile whose times
// strictly increase and whose events match at most one step each goes from the columns
// to the kernel (kernel.matchColumns) with no entries in between; any other profile is
// matched from its rows (rowPath), as in scan. Writing and reading the entries cost
// about as much as matching them.
func (sc *batchScan) scanPlain(pt *funnelPartial, lo, hi int) (ok, ascending bool) {
	p, b := sc.p, sc.b
	t := pt.group("")
	names, values := uint32(len(b.Names)), uint32(len(b.Values))
	profile, times, events := b.Profile[:hi], b.Time[:hi], b.Event[:hi]
	steps, col, limit := sc.steps, sc.col, sc.limit
	k := &sc.m.k
	var out outcome
	ascending = true
	for i := lo; i < hi; {
		prof := profile[i]
		if i > lo && prof < profile[i-1] {
			ascending = false
		}
		inOrder := true
		last := int64(math.MinInt64)
		j := i
		for ; j < hi && profile[j] == prof; j++ {
			id, ts := events[j], times[j]
			if id >= names || ts < minNano || ts >= maxNano || ts > limit || col != nil && col[j] >= values {
				return false, ascending
			}
			m := steps[id]
			if ts <= last || m&(m-1) != 0 {
				inOrder = false
			}
			last = ts
		}
		var rows []row
		if inOrder {
			out.reset()
			k.matchColumns(&out, times[i:j], events[i:j], sc.slots)
			sc.stampDirect(&out, i)
			pt.end = max(pt.end, last)
		} else {
			rows = sc.rowPath(pt, &out, i, j)
		}
		if sc.by != nil && out.level > 0 {
			t = pt.group(sc.key(&out, rows, i))
		}
		t.add(prof, &out, p.n)
		i = j
	}
	return true, ascending
}

// key returns the breakdown value of the profile whose events start at i: the value on
// its attributed event, an offset from i in the kernel's entries or, when the profile
// took the row path, rows[r].idx.
func (sc *batchScan) key(o *outcome, rows []row, i int) string {
	r := attributedRow(sc.by, o)
	if r < 0 || sc.col == nil {
		return ""
	}
	off := int(r)
	if rows != nil {
		off = int(rows[r].idx)
	}
	return sc.b.Values[sc.col[i+off]]
}
