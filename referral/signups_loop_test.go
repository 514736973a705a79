package referral

import (
	"context"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// A guard set to Flag (or Ignore) accepts a referral that loops: a person's own code,
// or one closing a loop of referrals. Signups reports such a referral as organic (no
// one else brought the person), so that the Program's own sign-ups build a tree, as
// they do after the merges that void such referrals.
func TestSignupsOmitLoopingReferrals(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, g := range []Guards{{SelfReferral: Flag, Cycle: Flag}, {SelfReferral: Ignore, Cycle: Ignore}} {
		p, err := Open(&MemStore{}, Rules{ReferrerReward: 100, Guards: g})
		if err != nil {
			t.Fatal(err)
		}
		code := func(key string, profile uint32) string {
			c, err := p.IssueCode(ctx, d0, key, profile, Signals{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return string(c)
		}
		signup := func(key string, profile uint32, c string, h int) {
			if _, err := p.SignUp(ctx, d0.Add(time.Duration(h)*time.Hour), key, profile, c, Signals{}); err != nil {
				t.Fatal(err)
			}
		}
		ann, bob := code("code:ann", 1), code("code:bob", 2)
		signup("su:ann", 1, ann, 1)                 // Ann enters her own code
		signup("su:cat", 3, bob, 2)                 // Bob (not signed up yet) brings Cat
		signup("su:bob", 2, code("code:cat", 3), 3) // Cat's code closes 2 -> 3 -> 2
		signup("su:dan", 4, ann, 4)                 // Ann brings Dan
		if r, _ := p.Referrer(1); r != 1 {
			t.Fatalf("%+v: Ann's referrer %d: the guard should have accepted her own code", g, r)
		}
		want := []Signup{{1, 0, d0.Add(time.Hour)}, {3, 2, d0.Add(2 * time.Hour)}, {2, 0, d0.Add(3 * time.Hour)}, {4, 1, d0.Add(4 * time.Hour)}}
		got := p.Signups()
		if len(got) != len(want) {
			t.Fatalf("%+v: Signups %v, want %v", g, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%+v: Signups %v, want %v", g, got, want)
				break
			}
		}
		tree, err := NewTree(got)
		if err != nil {
			t.Fatalf("%+v: NewTree(Signups()): %v", g, err)
		}
		if s, _ := tree.Seed(3); s != 2 {
			t.Errorf("%+v: Cat's seed %d, want Bob", g, s)
		}
	}
}

// openLoops equals the naive rule, taking referrals in sign-up order and leaving out
// one that would close a loop with those kept, and leaves a tree.
func TestOpenLoopsMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		perm := rapid.SliceOfN(rapid.Uint32Range(1, 20), n, n).Draw(t, "profiles")
		var out []Signup
		seen := map[uint32]bool{}
		for _, p := range perm {
			if seen[p] {
				continue
			}
			seen[p] = true
			ref := uint32(0)
			if rapid.Bool().Draw(t, "referred") {
				ref = perm[rapid.IntRange(0, len(perm)-1).Draw(t, "referrer")]
			}
			out = append(out, Signup{Profile: p, Referrer: ref})
		}
		want := append([]Signup(nil), out...)
		parent := map[uint32]uint32{}
		for i, s := range want {
			for cur := s.Referrer; cur != 0; cur = parent[cur] {
				if cur == s.Profile {
					want[i].Referrer = 0
					break
				}
			}
			if want[i].Referrer != 0 {
				parent[s.Profile] = s.Referrer
			}
		}
		openLoops(out)
		for i := range out {
			if out[i] != want[i] {
				t.Fatalf("openLoops %v, want %v", out, want)
			}
		}
		if _, err := NewTree(out); err != nil {
			t.Fatal(err)
		}
	})
}
