package identity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/identity"
)

// batchID draws identifiers that exercise every rule: declared and undeclared kinds,
// values the normalisers rewrite or reject, blocked values, duplicates, and now and then
// a malformed identifier.
func batchID() *rapid.Generator[identity.ID] {
	return rapid.Custom(func(t *rapid.T) identity.ID {
		switch rapid.IntRange(0, 9).Draw(t, "which") {
		case 0:
			return identity.ID{Kind: "email", Value: rapid.SampledFrom([]string{"Ann@X.io", " ann@x.io", "bo@x.io", "nope", "null"}).Draw(t, "email")}
		case 1:
			return identity.ID{Kind: "phone", Value: rapid.SampledFrom([]string{"+44 7700 900123", "+447700900123", "+1 555 0100", "abc"}).Draw(t, "phone")}
		case 2:
			return identity.ID{Kind: "user_id", Value: rapid.SampledFrom([]string{"u1", "u2", "u3"}).Draw(t, "user")}
		case 3:
			return identity.ID{Kind: "device_id", Value: rapid.SampledFrom([]string{"d1", "d2", "00000000-0000-0000-0000-000000000000"}).Draw(t, "device")}
		case 4:
			if rapid.IntRange(0, 30).Draw(t, "bad") == 0 {
				return identity.ID{Kind: "", Value: "x"}
			}
		case 5, 6:
			// Many anonymous ids make many profiles, so that a device or an e-mail
			// shared between them grows hot and is quarantined.
			return identity.ID{Kind: "anonymous_id", Value: fmt.Sprint("an", rapid.IntRange(0, 11).Draw(t, "anon"))}
		}
		return genID().Draw(t, "small")
	})
}

type batchRun struct {
	r       *identity.Resolver
	log     *identity.MemStore // the resolver's own copy of the starting log, if any
	merges  []identity.Merge
	splits  []identity.Split
	results []uint32
	err     error
}

func newBatchRun(t *rapid.T, rules identity.Rules, hmac bool, log *identity.MemStore, extra ...identity.Option) *batchRun {
	b := &batchRun{}
	opts := []identity.Option{
		identity.OnMerge(func(m identity.Merge) { b.merges = append(b.merges, m) }),
		identity.OnSplit(func(s identity.Split) { b.splits = append(b.splits, s) }),
	}
	opts = append(opts, extra...)
	if hmac {
		opts = append(opts, identity.WithHMAC([]byte("key")))
	}
	if log != nil {
		// A copy of the log, so that each resolver appends to its own.
		s := &identity.MemStore{}
		for rec, err := range log.Records() {
			if err != nil {
				t.Fatal(err)
			}
			s.Append(rec)
		}
		opts = append(opts, identity.WithStore(s))
		b.log = s
	}
	r, err := identity.New(rules, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b.r = r
	return b
}

// batchPrefix draws a history for the resolvers to start from: events linked, profiles
// unmerged and forgotten, under rules that may differ from the ones the batch runs
// under (a log stays valid when the rules change), so that a batch meets quarantined
// identifiers, erased ones, split profiles and profiles over a limit. It returns nil for
// an empty start.
func batchPrefix(t *rapid.T, rules []func() identity.Rules, hmac bool) *identity.MemStore {
	if !rapid.Bool().Draw(t, "prefix") {
		return nil
	}
	log := &identity.MemStore{}
	opts := []identity.Option{identity.WithStore(log)}
	if hmac {
		opts = append(opts, identity.WithHMAC([]byte("key")))
	}
	r, err := identity.New(rapid.SampledFrom(rules).Draw(t, "prefix rules")(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	var seen []identity.ID
	for i := range rapid.IntRange(0, 40).Draw(t, "prefix ops") {
		at := t0.Add(time.Duration(i) * time.Minute)
		switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
		case op < 8 || len(seen) == 0:
			ids := batchIDs().Draw(t, "prefix ids")
			if _, err := r.Link(ctx, at, "web", ids...); err == nil {
				seen = append(seen, ids...)
			}
		case op == 8:
			r.Unmerge(ctx, at, rapid.SampledFrom(seen).Draw(t, "unmerge"))
		default:
			if p, ok := r.Lookup(rapid.SampledFrom(seen).Draw(t, "forget")); ok {
				if err := r.Forget(ctx, at, p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return log
}

// batchIDs draws an event's identifiers: any mix of batchID's, or one person's
// anonymous id alone or with one of a few identifiers that many people share (a family
// device, an unlimited kind), which join their profiles until they grow hot and are
// quarantined.
func batchIDs() *rapid.Generator[[]identity.ID] {
	return rapid.Custom(func(t *rapid.T) []identity.ID {
		switch rapid.IntRange(0, 3).Draw(t, "shape") {
		case 0:
			return []identity.ID{{Kind: "anonymous_id", Value: fmt.Sprint("an", rapid.IntRange(0, 11).Draw(t, "anon"))}}
		case 1:
			return []identity.ID{{Kind: rapid.SampledFrom([]string{"anonymous_id", "a"}).Draw(t, "own kind"), Value: fmt.Sprint(rapid.IntRange(0, 11).Draw(t, "own"))},
				rapid.SampledFrom([]identity.ID{{Kind: "device_id", Value: "d1"}, {Kind: "c", Value: "1"}, {Kind: "email", Value: "bo@x.io"}}).Draw(t, "shared")}
		}
		return rapid.SliceOfN(batchID(), 0, 4).Draw(t, "ids")
	})
}

// LinkBatch has exactly the effect of Link on each event: the same profiles, the same
// callbacks in the same order, the same history, the same lookups, and it stops at the
// same event with the same kind of error; under every rule set, with and without HMAC,
// in batches of any size.
func TestPropLinkBatchEqualsLink(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Small steps, so that a few events cross the boundaries of the lock's holds,
		// the warmed groups and the prepared parts; now and then the preparation is done
		// before the decisions rather than beside them.
		defer identity.SetBatchSizes(rapid.IntRange(1, 9).Draw(t, "chunk"), rapid.IntRange(1, 5).Draw(t, "group"), rapid.IntRange(1, 7).Draw(t, "part"))()
		defer identity.SetPrepareAhead(identity.SetPrepareAhead(rapid.IntRange(0, 3).Draw(t, "prepare first") != 0))
		// Mostly with the identifiers interned ahead on the other core, in holds and
		// steps of a few events.
		defer identity.SetAhead(rapid.IntRange(0, 3).Draw(t, "intern ahead") != 0, rapid.IntRange(1, 12).Draw(t, "ahead chunk"), rapid.IntRange(1, 6).Draw(t, "ahead step"))()
		ruleSets := []func() identity.Rules{
			func() identity.Rules { return identity.Rules{} }, smallRules, identity.DefaultRules,
		}
		rules := rapid.SampledFrom(ruleSets).Draw(t, "rules")
		hmac := rapid.Bool().Draw(t, "hmac")
		log := batchPrefix(t, ruleSets, hmac)
		n := rapid.IntRange(0, 60).Draw(t, "events")
		events := make([]identity.Event, n)
		for i := range events {
			events[i] = identity.Event{
				At:     t0.Add(time.Duration(rapid.IntRange(0, 100).Draw(t, "at")) * time.Minute),
				Source: rapid.SampledFrom([]string{"web", "store"}).Draw(t, "source"),
				IDs:    batchIDs().Draw(t, "ids"),
			}
			if rapid.IntRange(0, 4).Draw(t, "matched") == 0 {
				events[i].Match = &identity.Match{Weight: rapid.Float64Range(-30, 30).Draw(t, "weight")}
			}
		}
		seq := newBatchRun(t, rules(), hmac, log)
		for _, e := range events {
			var p uint32
			var err error
			if e.Match != nil {
				p, err = seq.r.LinkMatch(ctx, e.At, e.Source, *e.Match, e.IDs...)
			} else {
				p, err = seq.r.Link(ctx, e.At, e.Source, e.IDs...)
			}
			if err != nil {
				seq.err = err
				break
			}
			seq.results = append(seq.results, p)
		}
		// The bulk paths' resolvers are sized up front now and then (WithCapacity, from
		// fewer identifiers than the events hold to many more), the reference never:
		// the capacity changes no outcome.
		var sized []identity.Option
		if c := rapid.IntRange(0, 200).Draw(t, "capacity"); c > 0 {
			sized = append(sized, identity.WithCapacity(c))
		}
		bat := newBatchRun(t, rules(), hmac, log, sized...)
		for rest := events; len(rest) > 0 && bat.err == nil; {
			k := rapid.IntRange(1, len(rest)).Draw(t, "batch")
			bat.results, bat.err = bat.r.LinkBatch(ctx, bat.results, rest[:k])
			rest = rest[k:]
		}
		// LinkSeq from an input that reuses its IDs slice, as a decoder would.
		str := newBatchRun(t, rules(), hmac, log, sized...)
		var reused []identity.ID
		linked, strErr := str.r.LinkSeq(ctx, func(yield func(identity.Event) bool) {
			for _, e := range events {
				reused = append(reused[:0], e.IDs...)
				e.IDs = reused
				if !yield(e) {
					return
				}
			}
		})
		if linked != len(seq.results) || (strErr == nil) != (seq.err == nil) {
			t.Fatalf("LinkSeq linked %d (%v), Link %d (%v)", linked, strErr, len(seq.results), seq.err)
		}
		if diff := cmp.Diff(fmt.Sprint(seq.merges, seq.splits), fmt.Sprint(str.merges, str.splits)); diff != "" {
			t.Fatalf("callbacks (-Link +LinkSeq):\n%s", diff)
		}
		for _, e := range events {
			for _, id := range e.IDs {
				ps, _ := seq.r.Lookup(id)
				pl, _ := str.r.Lookup(id)
				if ps != pl {
					t.Fatalf("Lookup(%v): Link %d, LinkSeq %d", id, ps, pl)
				}
			}
		}
		if (seq.err == nil) != (bat.err == nil) || (seq.err != nil && !errors.Is(bat.err, identity.ErrInvalid) && errors.Is(seq.err, identity.ErrInvalid)) {
			t.Fatalf("Link error %v, LinkBatch error %v", seq.err, bat.err)
		}
		if diff := cmp.Diff(seq.results, bat.results); diff != "" {
			t.Fatalf("profiles (-Link +LinkBatch):\n%s", diff)
		}
		if diff := cmp.Diff(fmt.Sprint(seq.merges, seq.splits), fmt.Sprint(bat.merges, bat.splits)); diff != "" {
			t.Fatalf("callbacks (-Link +LinkBatch):\n%s", diff)
		}
		var hs, hb []string
		for e := range seq.r.History() {
			hs = append(hs, fmt.Sprintf("%+v", e))
		}
		for e := range bat.r.History() {
			hb = append(hb, fmt.Sprintf("%+v", e))
		}
		if diff := cmp.Diff(hs, hb); diff != "" {
			t.Fatalf("history (-Link +LinkBatch):\n%s", diff)
		}
		if log != nil {
			// The records appended are byte for byte Link's.
			var ls, lb [][]byte
			for rec := range seq.log.Records() {
				ls = append(ls, rec)
			}
			for rec := range bat.log.Records() {
				lb = append(lb, rec)
			}
			if diff := cmp.Diff(ls, lb); diff != "" {
				t.Fatalf("log (-Link +LinkBatch):\n%s", diff)
			}
		}
		if s, b := seq.r.Stats(), bat.r.Stats(); s.Identifiers != b.Identifiers || s.Profiles != b.Profiles || s.Records != b.Records {
			t.Fatalf("stats: Link %+v, LinkBatch %+v", s, b)
		}
		for _, e := range events {
			for _, id := range e.IDs {
				ps, oks := seq.r.Lookup(id)
				pb, okb := bat.r.Lookup(id)
				if ps != pb || oks != okb {
					t.Fatalf("Lookup(%v): Link %d %v, LinkBatch %d %v", id, ps, oks, pb, okb)
				}
			}
		}
	})
}

// syncCounter is a Syncer store that counts its syncs.
type syncCounter struct {
	identity.MemStore
	syncs int
}

func (s *syncCounter) Sync() error { s.syncs++; return nil }

// A batch syncs its store once, where Link syncs after every event, and what it wrote
// replays to the same profiles.
func TestLinkBatchSyncsOnce(t *testing.T) {
	s := &syncCounter{}
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	before := s.syncs
	events := make([]identity.Event, 2000)
	for i := range events {
		events[i] = identity.Event{At: t0, Source: "web", IDs: []identity.ID{
			{Kind: "anonymous_id", Value: fmt.Sprintf("a%d", i)}, {Kind: "device_id", Value: fmt.Sprintf("d%d", i/3)}}}
	}
	got, err := r.LinkBatch(ctx, nil, events)
	if err != nil || len(got) != len(events) {
		t.Fatalf("LinkBatch: %d profiles, %v", len(got), err)
	}
	if n := s.syncs - before; n != 1 {
		t.Fatalf("a batch of %d events synced %d times, want 1", len(events), n)
	}
	r2, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		if p, _ := r2.Lookup(e.IDs[0]); p != got[i] {
			t.Fatalf("event %d: replayed profile %d, linked %d", i, p, got[i])
		}
	}
}

// LinkSeq names a failing event by its index in the whole input, past its first
// gathering, and has linked every event before it.
func TestLinkSeqStopsAtTheFailingEvent(t *testing.T) {
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	const bad = 5000
	n, err := r.LinkSeq(ctx, func(yield func(identity.Event) bool) {
		for i := range 6000 {
			ids := []identity.ID{{Kind: "anonymous_id", Value: fmt.Sprintf("a%d", i)}}
			if i == bad {
				ids = nil
			}
			if !yield(identity.Event{At: t0, Source: "web", IDs: ids}) {
				return
			}
		}
	})
	if n != bad || !errors.Is(err, identity.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("event %d ", bad)) {
		t.Fatalf("LinkSeq = %d, %v; want %d and event %d named", n, err, bad, bad)
	}
	if st := r.Stats(); st.Identifiers != bad {
		t.Fatalf("%d identifiers held, want %d", st.Identifiers, bad)
	}
}

// A batch runs beside other goroutines' Link and Lookup calls, and callbacks that read
// the resolver, without a race or a deadlock; each merge is reported once.
func TestLinkBatchConcurrent(t *testing.T) {
	var mu sync.Mutex
	merges := 0
	var r *identity.Resolver
	r, err := identity.New(identity.Rules{}, identity.OnMerge(func(m identity.Merge) {
		r.Current(m.Survivor)
		mu.Lock()
		merges++
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			events := make([]identity.Event, 1500)
			for i := range events {
				events[i] = identity.Event{At: t0, Source: "web", IDs: []identity.ID{
					{Kind: "anonymous_id", Value: fmt.Sprintf("w%d-a%d", w, i)}, {Kind: "device_id", Value: fmt.Sprintf("d%d", i%400)}}}
			}
			if w == 0 {
				for _, e := range events {
					if _, err := r.Link(ctx, e.At, e.Source, e.IDs...); err != nil {
						t.Error(err)
					}
					r.Lookup(e.IDs[1])
				}
				return
			}
			if _, err := r.LinkBatch(ctx, nil, events); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if st := r.Stats(); st.Identifiers != 3*1500+400 || st.Profiles != 400 {
		t.Fatalf("stats %+v, want 4,900 identifiers in 400 profiles", st)
	}
}

// failingStore fails its append number failAt (counting from 1), once, or cancels a
// context there instead.
type failingStore struct {
	identity.MemStore
	appends, failAt int
	cancel          func()
}

func (s *failingStore) Append(recs ...[]byte) error {
	s.appends++
	if s.appends == s.failAt {
		if s.cancel == nil {
			return errors.New("disk full")
		}
		s.cancel()
	}
	return s.MemStore.Append(recs...)
}

// An event whose decision fails in the middle of a batch (its record cannot be appended,
// or the context is cancelled) leaves the resolver as Link leaves it, though the other
// core had already interned the identifiers of that event and later ones: the batch
// resumed from the failing event ends where Link does, record for record.
func TestLinkBatchFailsMidwayAsLink(t *testing.T) {
	defer identity.SetAhead(true, 700, 50)()
	events := make([]identity.Event, 3000)
	for i := range events {
		ids := []identity.ID{{Kind: "anonymous_id", Value: fmt.Sprintf("a%d", i)}, {Kind: "device_id", Value: fmt.Sprintf("d%d", i/4)}}
		if i%7 == 0 {
			ids = append(ids, identity.ID{Kind: "email", Value: fmt.Sprintf("e%d@x.io", i%300)}) // merges
		}
		events[i] = identity.Event{At: t0.Add(time.Duration(i) * time.Second), Source: "web", IDs: ids}
	}
	for _, cancel := range []bool{false, true} {
		for _, failAt := range []int{2, 1234, 2990} {
			run := func(batch bool) ([]uint32, *failingStore, *identity.Resolver) {
				cctx, stop := context.WithCancel(ctx)
				defer stop()
				s := &failingStore{failAt: failAt}
				if cancel {
					s.cancel = stop
				}
				r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
				if err != nil {
					t.Fatal(err)
				}
				var got []uint32
				if batch {
					got, err = r.LinkBatch(cctx, nil, events)
				} else {
					for _, e := range events {
						p, lerr := r.Link(cctx, e.At, e.Source, e.IDs...)
						if lerr != nil {
							err = lerr
							break
						}
						got = append(got, p)
					}
				}
				if err == nil {
					t.Fatalf("cancel %v, fail at %d, batch %v: no error", cancel, failAt, batch)
				}
				// Resume from the failing event with a context that holds.
				err = nil
				if batch {
					got, err = r.LinkBatch(ctx, got, events[len(got):])
				} else {
					for _, e := range events[len(got):] {
						p, lerr := r.Link(ctx, e.At, e.Source, e.IDs...)
						if lerr != nil {
							err = lerr
							break
						}
						got = append(got, p)
					}
				}
				if err != nil {
					t.Fatalf("cancel %v, fail at %d, batch %v: resumed: %v", cancel, failAt, batch, err)
				}
				return got, s, r
			}
			want, ws, wr := run(false)
			got, gs, gr := run(true)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("cancel %v, fail at %d: profiles (-Link +LinkBatch):\n%s", cancel, failAt, diff)
			}
			var ls, lb [][]byte
			for rec := range ws.Records() {
				ls = append(ls, rec)
			}
			for rec := range gs.Records() {
				lb = append(lb, rec)
			}
			if diff := cmp.Diff(ls, lb); diff != "" {
				t.Fatalf("cancel %v, fail at %d: log (-Link +LinkBatch):\n%s", cancel, failAt, diff)
			}
			if w, g := wr.Stats(), gr.Stats(); w.Identifiers != g.Identifiers || w.Profiles != g.Profiles {
				t.Fatalf("cancel %v, fail at %d: stats: Link %+v, LinkBatch %+v", cancel, failAt, w, g)
			}
			for _, e := range events {
				for _, id := range e.IDs {
					if pw, _ := wr.Lookup(id); pw != mustLookup(gr, id) {
						t.Fatalf("cancel %v, fail at %d: Lookup(%v): Link %d, LinkBatch %d", cancel, failAt, id, pw, mustLookup(gr, id))
					}
				}
			}
		}
	}
}

func mustLookup(r *identity.Resolver, id identity.ID) uint32 {
	p, _ := r.Lookup(id)
	return p
}

// Events with many identifiers (beyond the fast path's 8, and beyond the 16 the second
// core interns ahead, which hands the rest of the batch to the decisions) and events of
// kinds no rule names (registered by the decisions) link as Link links them.
func TestLinkBatchWideEventsAsLink(t *testing.T) {
	defer identity.SetAhead(true, 500, 40)()
	events := make([]identity.Event, 2500)
	for i := range events {
		ids := []identity.ID{{Kind: "anonymous_id", Value: fmt.Sprintf("a%d", i)}, {Kind: "device_id", Value: fmt.Sprintf("d%d", i/3)}}
		switch {
		case i%250 == 7:
			for k := range 12 {
				ids = append(ids, identity.ID{Kind: "user_id", Value: fmt.Sprintf("u%d", (i+k)%90)})
			}
		case i%900 == 450:
			for k := range 20 {
				ids = append(ids, identity.ID{Kind: "email", Value: fmt.Sprintf("e%d@x.io", (i+k)%60)})
			}
		case i%1100 == 600:
			ids = append(ids, identity.ID{Kind: fmt.Sprintf("crm%d", i), Value: "c1"})
		}
		events[i] = identity.Event{At: t0.Add(time.Duration(i) * time.Second), Source: "web", IDs: ids}
	}
	type run struct {
		got    []uint32
		merges []identity.Merge
		r      *identity.Resolver
	}
	link := func(batch bool) *run {
		out := &run{}
		r, err := identity.New(identity.DefaultRules(), identity.OnMerge(func(m identity.Merge) { out.merges = append(out.merges, m) }))
		if err != nil {
			t.Fatal(err)
		}
		out.r = r
		if batch {
			if out.got, err = r.LinkBatch(ctx, nil, events); err != nil {
				t.Fatal(err)
			}
			return out
		}
		for _, e := range events {
			p, err := r.Link(ctx, e.At, e.Source, e.IDs...)
			if err != nil {
				t.Fatal(err)
			}
			out.got = append(out.got, p)
		}
		return out
	}
	want, got := link(false), link(true)
	if diff := cmp.Diff(want.got, got.got); diff != "" {
		t.Fatalf("profiles (-Link +LinkBatch):\n%s", diff)
	}
	if diff := cmp.Diff(fmt.Sprint(want.merges), fmt.Sprint(got.merges)); diff != "" {
		t.Fatalf("merges (-Link +LinkBatch):\n%s", diff)
	}
	var hw, hg []string
	for e := range want.r.History() {
		hw = append(hw, fmt.Sprintf("%+v", e))
	}
	for e := range got.r.History() {
		hg = append(hg, fmt.Sprintf("%+v", e))
	}
	if diff := cmp.Diff(hw, hg); diff != "" {
		t.Fatalf("history (-Link +LinkBatch):\n%s", diff)
	}
	if w, g := want.r.Stats(), got.r.Stats(); w.Identifiers != g.Identifiers || w.Profiles != g.Profiles {
		t.Fatalf("stats: Link %+v, LinkBatch %+v", w, g)
	}
}
