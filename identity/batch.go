package identity

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// Event is one event for LinkBatch and LinkSeq: identifiers seen together at one time
// from one source, the arguments of one Link call.
type Event struct {
	At     time.Time
	Source string
	IDs    []ID
	// Match, when not nil, makes the event a probabilistic match, linked as LinkMatch
	// links it.
	Match *Match
}

// normed is an identifier normalised ahead of linking: its stored form, or the reason
// it is dropped, and, when its kind was registered (known), the kind's code and the
// value's hash tag in the identifier table.
type normed struct {
	value string
	tag   uint32
	code  uint8
	known bool
	why   uint8
	// warmed: warmBatch looked the identifier up and found node (0: absent) when the
	// table had interned since values since the chunk began (table.track).
	warmed bool
	node   uint32
	since  uint32
}

// prepared is an event of a batch after the parallel phase.
type prepared struct {
	nanos int64
	pre   []normed
	err   error
}

// The sizes of a batch's steps are variables so that the tests can shrink them, to
// cross every boundary with a few events.
var (
	// batchChunk is how many events a batch links under one hold of the lock when the
	// decisions look identifiers up themselves (aheadChunk otherwise): enough to make
	// locking free, few enough that readers wait at most some hundred microseconds.
	batchChunk = 512
	// warmGroup is how many events' lookups are started together, ahead of their
	// decisions, so that their cache misses overlap (see Resolver.warmBatch).
	warmGroup = 16
	// prepPart is how many events the preparation hands to the decisions at a time.
	prepPart = 512
	// prepSlice is how many events of a part the helper prepares before it looks for
	// events to intern (preparer.prepareNext).
	prepSlice = 32
)

const (
	warmIDs = 64 // identifiers warmed at most per group
	// seqBatch is how many events LinkSeq gathers from its input per LinkBatch: several
	// holds of the lock, so that the second core, which prepares ahead across them,
	// rarely starts (or waits) at a gathering's edge.
	seqBatch = 16384
)

// LinkBatch links events in order and appends each event's profile to dst, with exactly
// the effect of calling Link (LinkMatch, for an event with a Match) on each in turn: the
// same profiles, merges, quarantines, history records and OnMerge/OnSplit callbacks in
// the same order. It stops at the first event Link would fail, having linked the events
// before it, and returns their profiles and that error with the event's index.
//
// It is faster than a loop of Link calls, in four ways. The work that does not depend
// on earlier events (validation, normalisation, HMAC digests and the hashing of every
// identifier) runs on a second core, a few hundred events ahead of the decisions. The
// work is also split by data: while the batch holds the lock (a few thousand events at
// a time), the second core owns the identifier table, looking up each event's
// identifiers and interning the new ones a few dozen events ahead, and the decisions,
// which do depend on earlier events and run one event after another, own the profiles
// and the history and probe no hash table (with a shared store, or after an event the
// second core leaves to them, the decisions look identifiers up themselves, starting
// the lookups of a group of events together so that their cache misses overlap, as
// LookupMany does). An event that merges, refuses and quarantines nothing (most of them)
// is decided and applied without the general machinery. And the store is synced once,
// at the end of the batch, rather than after every event: records are appended event by
// event as Link appends them, and the batch returns, and delivers its callbacks, only
// after the sync. So a crash during a batch can lose any suffix of its events (never
// a record in the middle), and a failed sync fails the whole batch, leaving the
// resolver ahead of its store as a failed Sync does for Link. With a SharedStore the
// batch leads the log once per few hundred events, applying what other writers
// appended, decides them on the log as it then stands, and settles them in one flush
// (one INSERT on identity/pgstore), so a bulk load costs a round trip per group rather
// than per event; other writers wait for the group. A failed flush fails the batch
// (its group may or may not be in the log, as for Link), the groups before it stay.
//
// Callbacks run after the batch, in order; while a batch runs, other goroutines' Link
// calls proceed between its groups of events (readers wait at most a few milliseconds)
// but return only after its callbacks ran.
func (r *Resolver) LinkBatch(ctx context.Context, dst []uint32, events []Event) ([]uint32, error) {
	if r.zero() {
		return dst, errZeroResolver
	}
	bufs := getBufs()
	defer putBufs(bufs, len(events))
	return r.linkBatch(ctx, dst, events, 0, bufs)
}

// LinkSeq links the events of seq in order, as LinkBatch does a slice, gathering 16,384
// at a time (a few MB); it holds at most one gathering in memory, so it suits a backfill
// of any length. It copies each event's IDs slice, so seq may reuse it between events.
// It returns how many events it linked; on error the events before the failing one are
// linked, and the error names the failing event's index in seq. A host that knows about
// how many distinct identifiers its history holds saves the identifier index's doublings
// by saying so to New (WithCapacity).
func (r *Resolver) LinkSeq(ctx context.Context, seq iter.Seq[Event]) (int, error) {
	if r.zero() {
		return 0, errZeroResolver
	}
	buf := make([]Event, 0, seqBatch)
	ids := make([]ID, 0, 4*seqBatch)
	var dst []uint32
	bufs := getBufs()
	defer putBufs(bufs, seqBatch)
	linked := 0
	var err error
	flush := func() bool {
		dst, err = r.linkBatch(ctx, dst[:0], buf, linked, bufs)
		linked += len(dst)
		// Not cleared: the next gathering overwrites them, and what it does not (a
		// shorter last one) dies with LinkSeq; clearing 2 MB a gathering was 2% of the
		// deciding thread's CPU (perf, BenchmarkLinkSeq at 1M events).
		buf, ids = buf[:0], ids[:0]
		return err == nil
	}
	for e := range seq {
		if len(ids)+len(e.IDs) > cap(ids) && len(buf) > 0 && !flush() {
			return linked, err
		}
		start := len(ids)
		ids = append(ids, e.IDs...)
		e.IDs = ids[start:len(ids):len(ids)]
		buf = append(buf, e)
		if len(buf) == cap(buf) && !flush() {
			return linked, err
		}
	}
	if len(buf) > 0 {
		flush()
	}
	return linked, err
}

// linkBatch is LinkBatch; base is the index of events[0] in the caller's input, for
// error messages; bufs, when not nil, are buffers to reuse.
func (r *Resolver) linkBatch(ctx context.Context, dst []uint32, events []Event, base int, bufs *prepBufs) ([]uint32, error) {
	pp := r.startPrepare(events, bufs)
	defer pp.stop()
	prep := pp.prep
	batchErr := func(err error, i int) error {
		return fmt.Errorf("%w (event %d of the batch)", err, base+i)
	}
	// A shared store is led once per chunk and settled after it: the chunk's records go
	// in one flush. Other stores are synced once, at the end.
	chunk := batchChunk
	if pp.ahead {
		chunk = aheadChunk
	}
	type delivery struct {
		tk  uint64
		rep *changes
	}
	var pending []delivery
	resume := -1 // the event after one the stage left to the decisions
	for lo := 0; lo < len(events); lo += chunk {
		hi := min(lo+chunk, len(events))
		rep := &changes{}
		var failed error
		at := hi
		r.mu.Lock()
		if r.shared != nil {
			pp.wait(hi)
			if err := r.lead(ctx); err != nil {
				r.mu.Unlock()
				return dst, batchErr(errorf("link: %w", err), lo)
			}
			r.led = true
		}
		// The other core interns this chunk's identifiers ahead (ahead.go), unless the
		// resolver failed (every event fails) or the stage stopped.
		ahead := pp.ahead && r.failed == nil
		if ahead && resume == lo {
			pp.resume(lo) // the stage stopped at the previous hold's last event
		}
		resume = -1
		if ahead {
			r.t.ahead, r.t.visible = true, r.t.held() // before the helper may intern
			if ahead = pp.openTo(hi); !ahead {
				r.t.ahead = false
			}
		}
		upTo, warmed := lo, lo // events interned ahead, and warmed
		if !ahead {
			pp.wait(hi)
			// After the lead: a shared store's rebuild replaces the table.
			r.t.tracking, r.t.track = r.shared == nil, r.t.track[:0]
			r.warmBatch(prep, lo, min(lo+warmGroup, hi))
		}
		for i := lo; i < hi; i++ {
			if i == resume {
				r.t.ahead, r.t.visible, r.t.tracking = true, r.t.held(), false
				pp.resume(i)
				ahead, upTo, warmed, resume = true, i, i, -1
			}
			switch {
			case ahead && i >= upTo:
				if upTo = pp.waitInterned(i); upTo > i {
					break
				}
				// The stage stopped at this event: the decisions own the table again
				// to decide it, and the stage resumes after it.
				ahead, resume = false, i+1
				r.endAhead()
				pp.wait(i + 1)
				r.t.tracking, r.t.track = true, r.t.track[:0]
			case !ahead && resume < 0 && (i-lo)%warmGroup == 0 && i+warmGroup < hi:
				r.warmBatch(prep, i+warmGroup, min(i+2*warmGroup, hi))
			}
			if ahead && warmed < min(i+2*warmGroup, upTo) && (i >= warmed || (i-lo)%warmGroup == 0) {
				end := min(i+2*warmGroup, upTo)
				r.warmNodes(prep, warmed, end)
				warmed = end
			}
			if err := checkCtx(ctx); err != nil {
				failed, at = errorf("link: %w", err), i
				break
			}
			p := &prep[i]
			if p.err != nil {
				failed, at = p.err, i
				break
			}
			e := &events[i]
			if r.failed == nil && r.shared == nil {
				profile, ok, err := r.linkSimple(p.nanos, e.Source, e.Match, p.pre)
				if err != nil {
					failed, at = err, i
					break
				}
				if ok {
					dst = append(dst, profile)
					continue
				}
			}
			profile, _, err := r.linkLocked(ctx, p.nanos, e.At, e.Source, e.Match, e.IDs, p.pre, nil, rep)
			if err != nil {
				failed, at = err, i
				break
			}
			dst = append(dst, profile)
		}
		if ahead {
			// The helper leaves the table before the lock is released; what it interned
			// for the failing event and after it is undone.
			pp.settle(failed != nil)
			if failed != nil {
				r.t.truncate(r.t.visible)
			}
			r.endAhead()
		}
		r.led = false
		tk := r.ticket(rep)
		r.t.tracking = false
		r.mu.Unlock()
		pending = append(pending, delivery{tk, rep})
		if failed == nil && hi < len(events) && r.shared == nil {
			continue // sync and report at the end of the batch
		}
		// A failing event changed nothing; the events before it are synced and reported.
		var serr error
		if at > lo || len(pending) > 1 || r.shared != nil {
			serr = r.sync()
		}
		for _, d := range pending {
			r.deliver(d.tk, true, func() { d.rep.run(serr == nil) })
		}
		pending = pending[:0]
		if failed != nil {
			return dst, batchErr(failed, at)
		}
		if serr != nil {
			return dst, serr
		}
	}
	return dst, nil
}

// endAhead gives the table back to the decisions once the helper has left it: every
// node interned ahead has been issued (or truncated), and the reports that read the
// table are completed. The caller holds mu.
func (r *Resolver) endAhead() {
	if r.t.visible != r.t.held() {
		panic(fmt.Sprintf("identity: %d nodes interned ahead, %d decided", r.t.held(), r.t.visible)) // checked: unreachable
	}
	r.t.ahead = false
	for _, f := range r.fixups {
		f()
	}
	clear(r.fixups)
	r.fixups = r.fixups[:0]
}

// warmBatch starts the lookups of the identifiers of events [lo, hi) in phases, each touching
// one kind of memory for all of them, as LookupMany does: the identifiers' home slots,
// the records they point at, their nodes, their roots and their profiles' counts. Nothing
// it reads is kept (an event before them may change what they find); it only brings the
// memory into the cache while the loads of different identifiers overlap. The caller
// holds mu.
func (r *Resolver) warmBatch(prep []prepared, lo, hi int) {
	var (
		tag  [warmIDs]uint32
		code [warmIDs]uint8
		val  [warmIDs]string
		slot [warmIDs]uint64
		node [warmIDs]uint32
		ref  [warmIDs]*normed
	)
	n := 0
	for i := lo; i < hi && n < warmIDs; i++ {
		for j := range prep[i].pre {
			if x := &prep[i].pre[j]; x.known && x.why == 0 && n < warmIDs {
				tag[n], code[n], val[n], ref[n] = x.tag, x.code, x.value, x
				n++
			}
		}
	}
	t, g := r.t, r.g
	for k := range n {
		slot[k] = t.probe(tag[k])
	}
	var sink uint32
	for k := range n {
		if s := slot[k]; s != 0 && uint32(s>>32) == tag[k] {
			sink += uint32(t.peek(s))
		}
	}
	since := uint32(len(t.track))
	for k := range n {
		node[k] = t.findTag(code[k], val[k], tag[k])
		if t.tracking {
			// Kept for the decisions (linkSimple): a node found stays valid while the
			// lock is held (only Forget removes identifiers), and an absent value can
			// only have been interned since by an event of this chunk (table.track).
			ref[k].warmed, ref[k].node, ref[k].since = true, node[k], since
		}
	}
	for k := range n {
		if v := node[k]; v != 0 && v < g.nodes.len() {
			node[k] = g.nodes.ref(v).uf
		} else {
			node[k] = 0
		}
	}
	for k := range n {
		if v := node[k]; v != 0 && v&rootBit == 0 && v < g.nodes.len() {
			node[k] = g.nodes.ref(v).uf
		}
	}
	// The profile's size and counts, which an identifier joining it updates.
	sink += g.warmCounts(node[:n])
	r.sink ^= byte(sink)
}

// warmCounts reads the size and counts of the profile of each node that is a root
// (warmBatch and warmNodes resolve their nodes to roots first) and returns their sum,
// for the caller's sink: only the loads matter.
func (g *graph) warmCounts(node []uint32) uint32 {
	var sink uint32
	for _, v := range node {
		if v&rootBit != 0 {
			if key := v & keyMask; key != 0 && key <= g.keys {
				sink += g.size.at(key)
				if g.width > 0 {
					sink += uint32(g.counts.at(key * g.width))
				}
			}
		}
	}
	return sink
}
