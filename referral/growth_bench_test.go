package referral

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/benchsize"
)

// BenchmarkViralGrowth: 100,000 sign-ups over 5,000 daily periods (2,000 sign-ups under
// -short, CI's benchmark smoke). ViralGrowth places
// each sign-up in its period once, by a binary search over the bounds; the naive
// baseline compares each sign-up with every period, as ViralGrowth did before (its
// users per period only: the least of what the old loop did).
func BenchmarkViralGrowth(b *testing.B) {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	const periods = 5000
	signups := make([]Signup, benchsize.Of(100_000, 2_000))
	for i := range signups {
		signups[i] = Signup{Profile: uint32(i + 1), At: start.Add(time.Duration(i) * 71 * time.Minute)}
		if i > 0 {
			signups[i].Referrer = uint32(i / 2)
		}
	}
	b.Run("ViralGrowth", func(b *testing.B) {
		for b.Loop() {
			if _, err := ViralGrowth(signups, nil, start, 24*time.Hour, periods, 0.95); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("naive", func(b *testing.B) {
		users := make([]int, periods)
		for b.Loop() {
			clear(users)
			for i := range periods {
				lo := start.Add(time.Duration(i) * 24 * time.Hour)
				hi := lo.Add(24 * time.Hour)
				for _, s := range signups {
					if !s.At.Before(lo) && s.At.Before(hi) {
						users[i]++
					}
				}
			}
		}
	})
}

// BenchmarkNewTree builds the tree of a million sign-ups (10,000 under -short), three
// in ten referred by someone who signed up before: profiles 1 to n as identity issues
// them (dense), and the same spread over all of uint32 (spread), which NewTree finds
// in buckets rather than a table. The naive baseline is NewTree as it was, five maps
// keyed by profile and a slice of children per referrer.
func BenchmarkNewTree(b *testing.B) {
	for _, c := range []struct {
		name   string
		spread bool
	}{{"dense", false}, {"spread", true}} {
		signups := treeSignups(benchsize.Of(1_000_000, 10_000), c.spread)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := NewTree(signups); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	signups := treeSignups(benchsize.Of(1_000_000, 10_000), false)
	b.Run("naive", func(b *testing.B) {
		for b.Loop() {
			if err := naiveTree(signups); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// naiveTree is NewTree as it was before it numbered the profiles: the same answers,
// kept in maps.
func naiveTree(signups []Signup) error {
	parent, children := map[uint32]uint32{}, map[uint32][]uint32{}
	gen, seed := map[uint32]int{}, map[uint32]uint32{}
	nodes := map[uint32]bool{}
	for _, s := range signups {
		nodes[s.Profile] = true
		if s.Referrer != 0 {
			nodes[s.Referrer] = true
			if s.Referrer == s.Profile {
				return fmt.Errorf("%w: tree: profile %d refers itself", ErrCycle, s.Profile)
			}
			if q, ok := parent[s.Profile]; ok && q != s.Referrer {
				return fmt.Errorf("%w: tree: profile %d has two referrers, %d and %d", ErrInvalid, s.Profile, q, s.Referrer)
			}
			parent[s.Profile] = s.Referrer
		}
	}
	for _, n := range slices.Sorted(maps.Keys(nodes)) {
		if q, ok := parent[n]; ok {
			children[q] = append(children[q], n)
		}
	}
	var queue []uint32
	for _, n := range slices.Sorted(maps.Keys(nodes)) {
		if _, ok := parent[n]; !ok {
			gen[n], seed[n] = 0, n
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, c := range children[n] {
			gen[c], seed[c] = gen[n]+1, seed[n]
			queue = append(queue, c)
		}
	}
	if len(gen) < len(nodes) {
		for _, n := range slices.Sorted(maps.Keys(nodes)) {
			if _, ok := gen[n]; !ok {
				return fmt.Errorf("%w: tree: profile %d is on a loop of referrals", ErrCycle, n)
			}
		}
	}
	return nil
}

// BenchmarkSignups: Signups of 1,000,000 sign-ups (10,000 under -short), without
// referrals (the walk reads a referrer either way). The naive baseline is the same
// walk with its set and list grown entry by entry, as Signups did before.
func BenchmarkSignups(b *testing.B) {
	ctx := context.Background()
	p, err := Open(&MemStore{}, Rules{})
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := benchsize.Of(1_000_000, 10_000)
	for i := 1; i <= n; i++ {
		if _, err := p.SignUp(ctx, at.Add(time.Duration(i)*time.Second), fmt.Sprint("s", i), uint32(i), "", Signals{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Signups", func(b *testing.B) {
		for b.Loop() {
			if len(p.Signups()) != n {
				b.Fatal("sign-ups lost")
			}
		}
	})
	b.Run("naive", func(b *testing.B) {
		for b.Loop() {
			p.mu.Lock()
			s := p.st
			seen := map[uint32]bool{}
			var out []Signup
			for _, raw := range s.signups {
				c := s.canon(raw)
				if seen[c] {
					continue
				}
				seen[c] = true
				t, _ := s.signedUp(c)
				ref, _ := s.referrerOf(c)
				out = append(out, Signup{Profile: c, Referrer: ref, At: t})
			}
			p.mu.Unlock()
			slices.SortStableFunc(out, func(a, b Signup) int { return a.At.Compare(b.At) })
			openLoops(out)
		}
	})
}
