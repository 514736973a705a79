package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/segment"
	"pgregory.net/rapid"
)

// TestSegmentTagsFollowTiers: two replicas on one shared log, each keeping a real
// segment.Index of tier tags as a host would (the WithOnTier hook moves a member's tag
// as events change its tier, a tick applies TierChanges, the changes time alone
// makes), take earns, refunds and merges in turn. At every tick, on both replicas, the
// members a "tier:NAME" query returns are exactly those the ledger says hold NAME then.
func TestSegmentTagsFollowTiers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		rules := tierRules()
		rules.Window = time.Duration(rapid.IntRange(1, 10).Draw(t, "window days")) * 24 * time.Hour
		rules.Grace = time.Duration(rapid.IntRange(0, 5).Draw(t, "grace days")) * 24 * time.Hour
		log := &sharedLog{}
		type replicaState struct {
			l *loyalty.Ledger
			x *segment.Index
		}
		// The host's clock: the instant of the event being recorded, or of the tick.
		var clock time.Time
		var rs [2]replicaState
		for i := range rs {
			x, err := segment.NewIndex()
			if err != nil {
				t.Fatal(err)
			}
			var l *loyalty.Ledger
			l, err = loyalty.Open(log.replica(), rules, loyalty.WithOnTier(func(c loyalty.TierChange) {
				retag(x, l, rules, c.Member, clock)
			}))
			if err != nil {
				t.Fatal(err)
			}
			rs[i] = replicaState{l, x}
		}
		const members = 4
		var orders []string
		now, lastTick := t0, t0
		// tickUntil runs the host's ticks, every 12 hours, before instant end.
		tickUntil := func(end time.Time) {
			for next := lastTick.Add(12 * time.Hour); next.Before(end); next = next.Add(12 * time.Hour) {
				clock = next
				for _, r := range rs {
					if _, err := r.l.CatchUp(ctx); err != nil {
						t.Fatal(err)
					}
					for c := range r.l.TierChanges(lastTick, next) {
						retag(r.x, r.l, rules, c.Member, next)
					}
				}
				for k, r := range rs {
					for _, tier := range rules.Tiers[1:] {
						q, err := segment.Parse("tier:" + tier.Name)
						if err != nil {
							t.Fatal(err)
						}
						var got []uint32
						switch b, err := r.x.Eval(ctx, next, q, nil); {
						case errors.Is(err, segment.ErrUnknownField): // no member ever held a tier
						case err != nil:
							t.Fatal(err)
						default:
							got = b.ToArray()
						}
						var want []uint32
						for m := uint32(1); m <= members; m++ {
							if r.l.Tier(next, m).Name == tier.Name {
								want = append(want, m)
							}
						}
						if !slices.Equal(got, want) {
							t.Fatalf("replica %d at %v: tier:%s holds %v, the ledger says %v", k, next, tier.Name, got, want)
						}
					}
				}
				lastTick = next
			}
		}
		n := rapid.IntRange(1, 40).Draw(t, "events")
		for i := range n {
			now = now.Add(time.Duration(rapid.IntRange(1, 72).Draw(t, "hours")) * time.Hour)
			tickUntil(now)
			clock = now
			r := rs[i%2]
			m := uint32(rapid.IntRange(1, members).Draw(t, "member"))
			switch rapid.IntRange(0, 5).Draw(t, "kind") {
			case 0:
				a := uint32(rapid.IntRange(1, members).Draw(t, "absorbed"))
				if a != m {
					if err := r.l.ApplyMerge(m, a); err != nil {
						t.Fatal(err)
					}
				}
			case 1:
				if len(orders) > 0 {
					o := rapid.SampledFrom(orders).Draw(t, "order")
					if _, err := r.l.Refund(ctx, now, fmt.Sprint("r", i), o, 0); err != nil && !errors.Is(err, loyalty.ErrRefundExceeds) {
						t.Fatal(err)
					}
				}
			default:
				o := fmt.Sprint("O", i)
				if _, err := r.l.Earn(ctx, now, fmt.Sprint("e", i), m, o, int64(rapid.IntRange(1000, 25000).Draw(t, "amount"))); err != nil {
					t.Fatal(err)
				}
				orders = append(orders, o)
			}
		}
		tickUntil(now.Add(rules.Window + rules.Grace + 24*time.Hour))
	})
}

// retag gives member the tag of the tier it holds at `at` in x, and no other tier tag:
// what a host's WithOnTier hook and tick do.
func retag(x *segment.Index, l *loyalty.Ledger, rules loyalty.Rules, member uint32, at time.Time) {
	for _, t := range rules.Tiers {
		x.Untag("tier:"+t.Name, member)
	}
	x.Tag("tier:"+l.Tier(at, member).Name, member)
}
