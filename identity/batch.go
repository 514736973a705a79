package identity

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Event is one event for LinkBatch: identifiers seen together at one time from one
// source, the arguments of one Link call.
type Event struct {
	At     time.Time
	Source string
	IDs    []ID
	// Match, when not nil, makes the event a probabilistic match, linked as LinkMatch
	// links it.
	Match *Match
}

// normed is an identifier normalised ahead of linking: its stored form, or the reason
// it is dropped.
type normed struct {
	value string
	why   uint8
}

// LinkBatch links events in order and appends each event's profile to dst, with exactly
// the effect of calling Link on each in turn: the same profiles, merges, quarantines,
// history records and OnMerge/OnSplit callbacks in the same order. The work that does
// not depend on earlier events (validation, normalisation and HMAC digests of every
// identifier) runs first on every core; the decisions, which do, then run one
// event after another. It stops at the first event Link would fail, having linked the
// events before it, and returns their profiles and that error with the event's index.
func (r *Resolver) LinkBatch(ctx context.Context, dst []uint32, events []Event) ([]uint32, error) {
	type prepared struct {
		nanos int64
		pre   []normed
		err   error
	}
	prep := make([]prepared, len(events))
	offsets := make([]int, len(events)+1)
	for i, e := range events {
		offsets[i+1] = offsets[i] + len(e.IDs)
	}
	all := make([]normed, offsets[len(events)])
	work := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			e := &events[i]
			p := &prep[i]
			p.nanos, p.err = r.checkEvent(context.Background(), e.At, e.Source, e.IDs)
			if p.err == nil {
				p.err = checkMatch(e.Match)
			}
			if p.err != nil {
				continue
			}
			p.pre = all[offsets[i]:offsets[i+1]]
			for k, id := range e.IDs {
				v, why, _ := r.canonical(r.rules.rule(id.Kind), id.Kind, id.Value, false)
				p.pre[k] = normed{value: v, why: why}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(events)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(w*len(events)/workers, (w+1)*len(events)/workers)
		}()
	}
	wg.Wait()
	for i := range events {
		if err := checkCtx(ctx); err != nil {
			return dst, fmt.Errorf("%w (event %d of the batch)", errorf("link: %w", err), i)
		}
		p := &prep[i]
		if p.err != nil {
			return dst, fmt.Errorf("%w (event %d of the batch)", p.err, i)
		}
		e := &events[i]
		profile, err := r.linkChecked(ctx, p.nanos, e.At, e.Source, e.Match, e.IDs, p.pre, nil)
		if err != nil {
			return dst, fmt.Errorf("%w (event %d of the batch)", err, i)
		}
		dst = append(dst, profile)
	}
	return dst, nil
}
