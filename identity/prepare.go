package identity

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// prepareAhead: the decisions start as soon as the first part is prepared, and the rest
// is prepared beside them. When false, every core prepares the whole batch first and the
// decisions follow (the benchmarks compare the two: on a machine whose two cores share
// one physical core the overlap gains little).
var prepareAhead = true

// internAhead: with prepareAhead, the second core also owns the identifier table while
// a batch holds the lock: it looks up the batch's identifiers and interns the new ones
// ahead of the decisions (ahead.go), so that the decisions probe no hash table. When
// false, the decisions look the identifiers up themselves (warmBatch).
var internAhead = true

// helperCPU, when set (by the benchmarks), reads the calling thread's CPU time when
// given 0, and is given the CPU time each helper used, to add up.
var helperCPU func(add time.Duration) time.Duration

// preparer validates, normalises and hashes the events of a batch (the work of Link that
// does not depend on earlier events) ahead of the decisions, in parts of prepPart
// events. A helper goroutine prepares parts in order while the caller decides the parts
// already prepared; when the caller reaches a part nobody has begun (the helper was
// descheduled, or there is one core), or waits for the helper, it prepares a part itself
// rather than wait idle. The preparation takes no lock (it reads the kinds through
// kindsSnap, and the table's seed, which a resolver without a shared store never
// replaces), so the two cores work at once.
//
// With ahead, the helper also looks up the identifiers of the events the caller has
// opened (the caller holds the resolver's lock over them) and interns the new ones, a
// step of events at a time, before the caller decides them (see internAhead).
type preparer struct {
	r       *Resolver
	events  []Event
	prep    []prepared
	all     []normed
	offsets []int
	tags    *table // nil: no tags computed ahead (a shared store's rebuild replaces the table)
	parts   int

	mu      sync.Mutex
	cond    sync.Cond
	claimed int    // parts claimed for preparation, in order
	done    []bool // part j is prepared
	ready   int    // the caller's count of parts it has seen prepared
	quit    bool
	wg      sync.WaitGroup

	// The intern-ahead stage; ahead is fixed at the start, the rest guarded by mu. The
	// stage's steps run in order, each on whichever goroutine claims it (busy).
	ahead    bool
	open     int  // events [0, open) may be interned: the caller holds the lock over them
	interned int  // events [0, interned) are looked up, their new identifiers interned
	stopped  bool // the stage interns nothing more until resumed (it met an event it leaves to the decisions) or at all (halted)
	busy     bool // a step is being interned: the table is its goroutine's

	// The helper's view of the kinds (internAhead), rebuilt when kindsSnap changes.
	snap  *kindSnap
	prio  [256]int
	names [256]string
	sink  byte
}

// prepBufs are a preparer's buffers, which LinkSeq reuses from one gathering to the
// next instead of allocating (and clearing) them again.
type prepBufs struct {
	prep    []prepared
	all     []normed
	offsets []int
	done    []bool
}

// spareBufs keeps the buffers of finished batches for the next (of any resolver): a
// caller of LinkBatch with a few thousand events a call allocated and zeroed half a MB
// of them a call, 6% of the deciding thread's CPU in BenchmarkLinkBatch at 1M events
// (perf, 2026-12-04 afternoon), and made the collector run more often.
var spareBufs sync.Pool

// keptEvents is the most events whose buffers spareBufs keeps: one LinkSeq gathering,
// so that a batch of millions does not keep its hundreds of MB after it.
const keptEvents = seqBatch

func getBufs() *prepBufs {
	if b, ok := spareBufs.Get().(*prepBufs); ok {
		return b
	}
	return &prepBufs{}
}

// putBufs gives back buffers that prepared events events. The normalised values and
// the errors are cleared first: they may point into the caller's events, which the
// pool must not keep.
func putBufs(b *prepBufs, events int) {
	if events > keptEvents || cap(b.prep) > keptEvents || cap(b.all) > aheadIDs*keptEvents {
		return
	}
	clear(b.prep[:cap(b.prep)])
	clear(b.all[:cap(b.all)])
	spareBufs.Put(b)
}

// startPrepare starts preparing events, in bufs (nil: fresh buffers).
func (r *Resolver) startPrepare(events []Event, bufs *prepBufs) *preparer {
	if bufs == nil {
		bufs = &prepBufs{}
	}
	p := &preparer{r: r, events: events}
	p.cond.L = &p.mu
	p.prep = grown(bufs.prep, len(events))
	p.offsets = grown(bufs.offsets, len(events)+1)
	p.offsets[0] = 0
	for i, e := range events {
		p.offsets[i+1] = p.offsets[i] + len(e.IDs)
	}
	p.all = grown(bufs.all, p.offsets[len(events)])
	if r.shared == nil {
		p.tags = r.t
	}
	p.parts = (len(events) + prepPart - 1) / prepPart
	p.done = grown(bufs.done, p.parts)
	clear(p.done)
	bufs.prep, bufs.all, bufs.offsets, bufs.done = p.prep, p.all, p.offsets, p.done
	if p.parts > 1 && runtime.GOMAXPROCS(0) > 1 {
		p.ahead = prepareAhead && internAhead && r.shared == nil
		p.wg.Add(1)
		go p.help()
	}
	if !prepareAhead {
		p.wait(len(events))
	}
	return p
}

// grown returns s resliced to n elements, reallocated if its capacity is short.
func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// help is the helper goroutine: it interns ahead what the caller has opened, and
// otherwise prepares the next part nobody has claimed.
func (p *preparer) help() {
	defer p.wg.Done()
	if helperCPU != nil {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t0 := helperCPU(0)
		defer func() { helperCPU(helperCPU(0) - t0) }()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.quit {
		if p.internNext() {
			continue
		}
		if p.claimed < p.parts {
			p.prepareNext(true)
			continue
		}
		if !p.ahead || p.interned >= len(p.events) {
			return // nothing more will come
		}
		p.cond.Wait()
	}
}

// internNext interns the next step of events ahead, if there is one that may be
// interned and nobody is interning, and reports whether it did. Either goroutine may:
// the helper does when it can, and the caller does when it waits for the helper (which
// may be descheduled, on a loaded machine). The caller holds p.mu, which internNext
// releases while it works.
func (p *preparer) internNext() bool {
	if !p.ahead || p.stopped || p.busy || p.interned >= p.open {
		return false
	}
	lo := p.interned
	j := lo / prepPart
	if !p.done[j] {
		return false
	}
	hi := min(p.open, (j+1)*prepPart, lo+aheadStep)
	p.busy = true
	p.mu.Unlock()
	n := p.r.internAhead(p, lo, hi)
	p.mu.Lock()
	p.busy = false
	p.interned = lo + n
	if n < hi-lo {
		p.stopped = true
	}
	p.cond.Broadcast()
	return true
}

// prepareNext prepares the next part nobody has claimed. The caller holds p.mu, which
// prepareNext releases while it works.
//
// The helper (yield) interns between slices of prepSlice events whatever the decisions
// have opened since it began: preparing runs ahead by whole gatherings, interning only
// within the hold the decisions opened, so a helper that finished a part before it
// looked again left the decisions to intern the start of each hold themselves (a quarter
// of the deciding thread's CPU in LinkSeq at 1M events, perf, 2026-12-04 afternoon).
func (p *preparer) prepareNext(yield bool) {
	j := p.claimed
	p.claimed++
	lo, hi := j*prepPart, min((j+1)*prepPart, len(p.events))
	for lo < hi {
		end := hi
		if yield {
			end = min(hi, lo+prepSlice)
		}
		p.mu.Unlock()
		p.run(lo, end)
		p.mu.Lock()
		lo = end
		for yield && lo < hi && p.internNext() {
		}
	}
	p.done[j] = true
	p.cond.Broadcast()
}

// wait returns once events [0, hi) are prepared, preparing parts itself that nobody has
// claimed.
func (p *preparer) wait(hi int) {
	if p.ready*prepPart >= hi || p.ready == p.parts {
		return
	}
	p.mu.Lock()
	for p.ready*prepPart < hi && p.ready < p.parts {
		switch {
		case p.done[p.ready]:
			p.ready++
		case p.claimed <= p.ready:
			p.prepareNext(false) // the part the caller needs is unclaimed (or another one is: fine)
		default:
			p.cond.Wait()
		}
	}
	p.mu.Unlock()
}

// openTo lets the helper intern events up to hi, the end of the events the caller now
// holds the lock over, and reports whether the stage still runs.
func (p *preparer) openTo(hi int) bool {
	if !p.ahead {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	p.open = hi
	p.cond.Broadcast()
	return true
}

// waitInterned returns once event i is interned ahead, with the count of events
// interned (> i), or, when the stage stopped before event i, that count (<= i) once the
// helper has left the table. Rather than wait idle the caller interns the next step
// itself if the helper is not interning it, or else prepares a part nobody claimed.
func (p *preparer) waitInterned(i int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.interned > i {
			return p.interned
		}
		if p.stopped && !p.busy {
			return p.interned
		}
		if p.internNext() {
			continue
		}
		if p.claimed < p.parts {
			p.prepareNext(false)
			continue
		}
		p.cond.Wait()
	}
}

// resume restarts the stage at event i, after the decisions decided the event it
// stopped at. The caller holds the resolver's lock; the stage is stopped and idle.
func (p *preparer) resume(i int) {
	p.mu.Lock()
	p.stopped, p.interned = false, i
	p.cond.Broadcast()
	p.mu.Unlock()
}

// settle returns once the helper has left the table; halt stops the stage for the rest
// of the batch. The caller holds the resolver's lock and is about to release it, or to
// undo what was interned ahead.
func (p *preparer) settle(halt bool) {
	p.mu.Lock()
	if halt {
		p.stopped = true
	}
	for p.busy {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

// stop ends the preparation and waits for it, so that the caller may reuse events.
func (p *preparer) stop() {
	p.mu.Lock()
	p.quit = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}

// run prepares events [lo, hi).
func (p *preparer) run(lo, hi int) {
	r := p.r
	snap := r.kindsSnap.Load()
	for i := lo; i < hi; i++ {
		e := &p.events[i]
		pr := &p.prep[i]
		pr.pre = nil
		pr.nanos, pr.err = r.checkEvent(context.Background(), e.At, e.Source, e.IDs)
		if pr.err == nil {
			pr.err = checkMatch(e.Match)
		}
		if pr.err != nil {
			continue
		}
		pr.pre = p.all[p.offsets[i]:p.offsets[i+1]]
		for k, id := range e.IDs {
			code, rule := snap.lookup(id.Kind)
			known := rule != nil
			if !known {
				rule = r.rules.rule(id.Kind) // registered by the decisions
			}
			v, why, _ := r.canonical(rule, id.Kind, id.Value, false)
			n := normed{value: v, why: why}
			if p.tags != nil && known {
				n.code, n.known = code, true
				if why == 0 {
					n.tag = p.tags.tag(code, v)
				}
			}
			pr.pre[k] = n
		}
	}
}
