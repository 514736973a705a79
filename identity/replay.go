package identity

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/sharedlog"
)

// replay rebuilds the resolver from its store. Records are decoded on a second goroutine,
// a few batches ahead of the one that applies them: decoding does not depend on the
// graph, and replay is what a restart waits for. The first record must be the
// configuration record; an empty store gets one.
//
// ctx (WithReplayContext) stops the replay when it is done: both goroutines look at it
// once a batch, a few hundred records, which costs nothing beside decoding and applying
// them, and a SharedStore with SinceContext is read through it (see sharedlog.Whole),
// so that ctx ends a wait for the store as well. A ctx that never ends (New without the
// option, and rebuild, which must not be interrupted) reads Records as ever.
func (r *Resolver) replay(ctx context.Context) error {
	const batchSize, batches = 512, 6
	type batch struct {
		recs   []record
		chunks [][]byte // the values of recs
		n      int
		err    error
	}
	if err := ctx.Err(); err != nil {
		return errorf("replay stopped after 0 records: %w", err)
	}
	var recs iter.Seq2[[]byte, error]
	if ctx.Done() != nil {
		recs = sharedlog.Whole(ctx, r.store, ErrDiverged) // Records, for a store without SinceContext
	} else {
		recs = r.store.Records()
	}
	stopped := ctx.Err // looked at once a batch
	full := make(chan *batch, batches)
	free := make(chan *batch, batches)
	done := make(chan struct{})
	defer close(done)
	for range batches {
		free <- &batch{recs: make([]record, batchSize)}
	}
	go func() {
		defer close(full)
		d := decoder{seed: r.t.seed, hashes: true}
		b, i := <-free, 0
		d.use(&b.chunks)
		send := func() bool {
			select {
			case full <- b:
			case <-done:
				return false
			}
			select {
			case b = <-free:
				b.n, b.err = 0, nil
				d.use(&b.chunks)
				return true
			case <-done:
				return false
			}
		}
		for data, err := range recs {
			if err != nil {
				if cerr := stopped(); cerr != nil && errors.Is(err, cerr) {
					// The store's wait ended with ctx (SinceContext).
					b.err = errorf("replay stopped after %s: %w", english.Count(i, "record"), err)
					break
				}
				// Where a decode error says "replay record i", so does a failed read.
				b.err = errorf("replay record %d: read: %w", i, err)
				break
			}
			if i == 0 && (len(data) == 0 || data[0] != opConfig) {
				// Decoding another package's record (a referral ledger shares the wal
				// format) as a link would report a byte deep inside it, and send the host
				// to repair a store that is not damaged but not an identity store at all.
				b.err = fmt.Errorf("%w: replay record 0: %s", ErrCorrupt, notIdentity(data))
				break
			}
			if err := d.decode(data, &b.recs[b.n]); err != nil {
				b.err = fmt.Errorf("%w: replay record %d: %v", ErrCorrupt, i, err)
				break
			}
			b.n++
			i++
			if b.n == batchSize {
				if err := stopped(); err != nil {
					// Read no more of the store: the applying goroutine stops at the
					// end of this batch, or before, when it looks at ctx itself.
					b.err = errorf("replay stopped after %s: %w", english.Count(i, "record"), err)
					break
				}
				if !send() {
					return
				}
			}
		}
		select {
		case full <- b:
		case <-done:
		}
	}()
	i := 0
	for b := range full {
		if err := stopped(); err != nil {
			return errorf("replay stopped after %s: %w", english.Count(i, "record"), err)
		}
		for k := range b.n {
			rec := &b.recs[k]
			if i == 0 {
				if rec.hashed != (r.mac != nil) || rec.check != r.check {
					return fmt.Errorf("%w: %s", ErrKeyMismatch, r.keyMismatch(rec))
				}
			} else if err := r.applyReplayed(rec); err != nil {
				return errorf("replay record %d: %w", i, err)
			}
			i++
			r.pos = uint64(i)
		}
		if b.err != nil {
			return b.err
		}
		free <- b
	}
	if i == 0 {
		return r.writeConfig(ctx)
	}
	return nil
}

// keyMismatch says how the HMAC configuration of a store's first record differs from the
// resolver's, in the terms of the options a host passed to New.
func (r *Resolver) keyMismatch(cfg *record) string {
	switch {
	case cfg.hashed && r.mac == nil:
		return "the store was written with WithHMAC and New was given no key: pass the key it was written with"
	case !cfg.hashed && r.mac != nil:
		return "the store was written without WithHMAC and New was given a key: its values are stored in the clear, so open it without one"
	}
	return "the store was written with another WithHMAC key: pass the key it was written with"
}

// notIdentity says why a first record shows that a store does not hold an identity
// history, which always opens with its configuration record.
func notIdentity(first []byte) string {
	typ := "empty"
	if len(first) > 0 {
		typ = fmt.Sprintf("of type %d", first[0])
	}
	return fmt.Sprintf("%s, not the configuration record an identity store begins with: the store holds another log (a referral ledger?) or its start is damaged", typ)
}

func (r *Resolver) applyReplayed(rec *record) error { return r.applyRecord(rec, false) }

// applyRecord applies a record read from the store; with report, it also queues for the
// callbacks the changes it made (a record another writer appended to a shared store).
func (r *Resolver) applyRecord(rec *record, report bool) error {
	// Kinds are registered first, so that check and apply find them by code.
	if rec.op == opLink {
		for i := range rec.news {
			code, _, err := r.kindInfo(rec.news[i].kind, true)
			if err != nil {
				return err
			}
			rec.news[i].code = code
		}
		for _, d := range rec.drops {
			if _, _, err := r.kindInfo(d.kind, true); err != nil {
				return err
			}
		}
	}
	if err := r.g.check(rec); err != nil {
		if errors.Is(err, ErrFull) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	at := time.Unix(0, rec.at).UTC()
	on := r.on
	if !report {
		on = callbacks{}
	}
	splits := func(ss []splitResult) {
		if on.split == nil {
			return
		}
		for _, x := range ss {
			sp := Split{Profile: x.from, Into: slices.Clone(x.into), ID: r.storedID(x.node), At: at}
			r.tail = append(r.tail, func() { on.split(sp) })
		}
	}
	switch rec.op {
	case opLink:
		res := r.g.applyLink(rec)
		if on.merge != nil && len(res.absorbed) > 0 {
			m := Merge{Survivor: res.survivor, Absorbed: slices.Sorted(slices.Values(res.absorbed)), At: at, Cause: rec.source}
			if rec.matched {
				m.Match = &Match{Weight: rec.weight}
			}
			r.tail = append(r.tail, func() { on.merge(m) })
		}
		splits(res.splits)
	case opUnmerge:
		from, into := r.g.applyUnmerge(rec)
		if on.split != nil && len(into) > 1 {
			sp := Split{Profile: from, Into: slices.Sorted(slices.Values(into)), ID: r.storedID(rec.members[0].node), At: at}
			r.tail = append(r.tail, func() { on.split(sp) })
		}
	case opForget:
		for _, m := range rec.members {
			if r.g.has(m.node) && !r.g.forgotten(m.node) {
				if _, v := r.t.record(m.node); len(v) > 0 {
					r.unerased = true // the log holds the value this record erases
					if !report {
						r.erasing = append(r.erasing, slices.Clone(v))
					}
				}
			}
		}
		retired := r.g.applyForget(rec)
		if on.forget != nil {
			f := Forgotten{Profiles: slices.Sorted(slices.Values(retired)), At: at}
			r.tail = append(r.tail, func() { on.forget(f) })
		}
	case opQuarantine:
		splits(r.g.applyQuarantine(rec))
	}
	return nil
}
