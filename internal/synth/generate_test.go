package synth

import (
	"fmt"
	"hash/fnv"
	"testing"
	"time"
)

func digest(p Params) (uint64, int) {
	h := fnv.New64a()
	n := 0
	for e := range Generate(p) {
		fmt.Fprintf(h, "%+v\n", e)
		n++
	}
	return h.Sum64(), n
}

func TestDeterministic(t *testing.T) {
	p := Params{People: 3000, Seed: 7}
	a, n := digest(p)
	b, _ := digest(p)
	if a != b || n == 0 {
		t.Fatalf("two runs differ (%x vs %x) or are empty (%d events)", a, b, n)
	}
	if c, _ := digest(Params{People: 3000, Seed: 8}); c == a {
		t.Errorf("a different seed gave the same base")
	}
}

func TestEventInvariants(t *testing.T) {
	p := Params{People: 20000, Seed: 3}.Default()
	last := map[int]time.Time{}
	inviteAt := map[string]time.Time{}
	orders := map[string]time.Time{}
	prev := -1
	done := map[int]bool{}
	for e := range Generate(p) {
		if e.Time.Before(p.Start) || !e.Time.Before(p.End()) {
			t.Fatalf("event outside the period: %+v", e)
		}
		if e.Person != prev {
			if done[e.Person] {
				t.Fatalf("person %d's events are not contiguous", e.Person)
			}
			done[prev] = true
			prev = e.Person
		}
		if e.Time.Before(last[e.Person]) {
			t.Fatalf("person %d: events out of time order at %v", e.Person, e.Time)
		}
		last[e.Person] = e.Time
		if len(e.IDs) == 0 {
			t.Fatalf("event without identifiers: %+v", e)
		}
		switch e.Kind {
		case Invite:
			if _, ok := inviteAt[e.Code]; !ok {
				inviteAt[e.Code] = e.Time
			}
		case Signup:
			if e.Referrer >= 0 {
				at, ok := inviteAt[e.Code]
				if !ok || e.Code != ReferralCode(e.Referrer) || e.Time.Before(at) {
					t.Fatalf("referred signup %+v without an earlier invite from its referrer", e)
				}
			}
		case Purchase:
			if e.Amount <= 0 {
				t.Fatalf("purchase with amount %v", e.Amount)
			}
			orders[e.Order] = e.Time
		case Refund:
			at, ok := orders[e.Order]
			if !ok || e.Time.Before(at) {
				t.Fatalf("refund %+v of an unknown or later order", e)
			}
		}
	}
}

// TestSeedsRatios checks the domain figures DESIGN.md asks the data to respect, with
// tolerances wide enough for 50,000 people.
func TestSeedsRatios(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 people")
	}
	p := Params{People: 50000, Seed: 11}.Default()
	users, referred := 0, 0
	buys := map[int]int{}
	for e := range Generate(p) {
		switch e.Kind {
		case Signup:
			if e.Referrer >= 0 {
				referred++
			} else {
				users++
			}
		case Purchase:
			buys[e.Person]++
		}
	}
	userRate := float64(users) / float64(p.People)
	if userRate < 0.015 || userRate > 0.027 {
		t.Errorf("users are %.2f%% of people reached, want about 2%%", 100*userRate)
	}
	repeat := 0
	for _, n := range buys {
		if n > 1 {
			repeat++
		}
	}
	if share := float64(repeat) / float64(len(buys)); share < 0.24 || share > 0.36 {
		t.Errorf("repeat buyers are %.1f%% of customers, want about 30%%", 100*share)
	}
	if referred == 0 {
		t.Errorf("no referred users")
	}
	high := 0
	for _, r := range PromotionRates(p) {
		if r >= 0.05 {
			high++
		}
	}
	if high == 0 || high > p.Promotions/5 {
		t.Errorf("%d of %d promotions respond at 5%% or more, want about one in ten", high, p.Promotions)
	}
}

func BenchmarkGenerate(b *testing.B) {
	p := Params{People: 10000}
	n := 0
	for b.Loop() {
		for range Generate(p) {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
