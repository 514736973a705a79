package identity_test

import (
	"errors"
	"fmt"
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
		}
		return genID().Draw(t, "small")
	})
}

type batchRun struct {
	r       *identity.Resolver
	merges  []identity.Merge
	splits  []identity.Split
	results []uint32
	err     error
}

func newBatchRun(t *rapid.T, rules identity.Rules, hmac bool) *batchRun {
	b := &batchRun{}
	opts := []identity.Option{
		identity.OnMerge(func(m identity.Merge) { b.merges = append(b.merges, m) }),
		identity.OnSplit(func(s identity.Split) { b.splits = append(b.splits, s) }),
	}
	if hmac {
		opts = append(opts, identity.WithHMAC([]byte("key")))
	}
	r, err := identity.New(rules, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b.r = r
	return b
}

// LinkBatch has exactly the effect of Link on each event: the same profiles, the same
// callbacks in the same order, the same history, the same lookups, and it stops at the
// same event with the same kind of error; under every rule set, with and without HMAC,
// in batches of any size.
func TestPropLinkBatchEqualsLink(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rules := rapid.SampledFrom([]func() identity.Rules{
			func() identity.Rules { return identity.Rules{} }, smallRules, identity.DefaultRules,
		}).Draw(t, "rules")
		hmac := rapid.Bool().Draw(t, "hmac")
		n := rapid.IntRange(0, 60).Draw(t, "events")
		events := make([]identity.Event, n)
		for i := range events {
			events[i] = identity.Event{
				At:     t0.Add(time.Duration(rapid.IntRange(0, 100).Draw(t, "at")) * time.Minute),
				Source: rapid.SampledFrom([]string{"web", "store"}).Draw(t, "source"),
				IDs:    rapid.SliceOfN(batchID(), 0, 4).Draw(t, "ids"),
			}
			if rapid.IntRange(0, 4).Draw(t, "matched") == 0 {
				events[i].Match = &identity.Match{Weight: rapid.Float64Range(-30, 30).Draw(t, "weight")}
			}
		}
		seq := newBatchRun(t, rules(), hmac)
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
		bat := newBatchRun(t, rules(), hmac)
		for rest := events; len(rest) > 0 && bat.err == nil; {
			k := rapid.IntRange(1, len(rest)).Draw(t, "batch")
			bat.results, bat.err = bat.r.LinkBatch(ctx, bat.results, rest[:k])
			rest = rest[k:]
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
