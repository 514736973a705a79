package identity

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// prepareAhead: the decisions start as soon as the first part is prepared, and the rest
// is prepared beside them. When false, every core prepares the whole batch first and the
// decisions follow (the benchmarks compare the two: on a machine whose two cores share
// one physical core the overlap gains little).
var prepareAhead = true

// preparer validates, normalises and hashes the events of a batch (the work of Link that
// does not depend on earlier events) ahead of the decisions, in parts of prepPart
// events. A helper goroutine prepares parts in order while the caller decides the parts
// already prepared; when the caller reaches a part the helper has not begun (the helper
// was descheduled, or there is one core), the caller prepares it itself rather than wait.
// The preparation takes no lock (it reads the kinds through kindsSnap, and the table's
// seed, which a resolver without a shared store never replaces), so the two cores work
// at once.
type preparer struct {
	r       *Resolver
	events  []Event
	prep    []prepared
	all     []normed
	offsets []int
	tags    *table // nil: no tags computed ahead (a shared store's rebuild replaces the table)

	parts []chan struct{} // closed when the part is prepared
	next  atomic.Int32    // the next part not yet claimed
	ready int             // parts the caller has seen prepared
	quit  atomic.Bool
	wg    sync.WaitGroup
}

// startPrepare starts preparing events.
func (r *Resolver) startPrepare(events []Event) *preparer {
	p := &preparer{r: r, events: events, prep: make([]prepared, len(events)), offsets: make([]int, len(events)+1)}
	for i, e := range events {
		p.offsets[i+1] = p.offsets[i] + len(e.IDs)
	}
	p.all = make([]normed, p.offsets[len(events)])
	if r.shared == nil {
		p.tags = r.t
	}
	p.parts = make([]chan struct{}, (len(events)+prepPart-1)/prepPart)
	for i := range p.parts {
		p.parts[i] = make(chan struct{})
	}
	if len(p.parts) > 1 && runtime.GOMAXPROCS(0) > 1 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for !p.quit.Load() && p.claim() {
			}
		}()
	}
	if !prepareAhead {
		for p.claim() {
		}
		p.wait(len(events))
	}
	return p
}

// claim prepares the next part nobody has claimed, if any, and reports whether it did.
func (p *preparer) claim() bool {
	j := int(p.next.Add(1)) - 1
	if j >= len(p.parts) {
		return false
	}
	p.run(j*prepPart, min((j+1)*prepPart, len(p.events)))
	close(p.parts[j])
	return true
}

// wait returns once events [0, hi) are prepared, preparing parts itself that the helper
// has not claimed.
func (p *preparer) wait(hi int) {
	for p.ready*prepPart < hi {
		if int(p.next.Load()) <= p.ready {
			p.claim() // the part the caller needs is unclaimed (or another one is: fine)
		}
		<-p.parts[p.ready]
		p.ready++
	}
}

// stop ends the preparation and waits for it, so that the caller may reuse events.
func (p *preparer) stop() {
	p.quit.Store(true)
	p.wg.Wait()
}

// run prepares events [lo, hi).
func (p *preparer) run(lo, hi int) {
	r := p.r
	snap := r.kindsSnap.Load()
	for i := lo; i < hi; i++ {
		e := &p.events[i]
		pr := &p.prep[i]
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
