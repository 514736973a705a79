package referral

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// treeModel is what NewTree answers, computed the plainest way: every profile walks up
// its referrers to the top of its chain, counting the steps. A walk longer than there
// are profiles went round a loop, named by its least profile.
type treeModel struct {
	gen      map[uint32]int
	seed     map[uint32]uint32
	children map[uint32][]uint32
	below    map[uint32]int
	gens     []int
	err      string
}

func newTreeModel(signups []Signup) treeModel {
	parent := map[uint32]uint32{}
	nodes := map[uint32]bool{}
	for _, s := range signups {
		nodes[s.Profile] = true
		if s.Referrer == 0 {
			continue
		}
		nodes[s.Referrer] = true
		if s.Referrer == s.Profile {
			return treeModel{err: fmt.Sprintf("%v: tree: profile %d refers itself", ErrCycle, s.Profile)}
		}
		if q, ok := parent[s.Profile]; ok && q != s.Referrer {
			return treeModel{err: fmt.Sprintf("%v: tree: profile %d has two referrers, %d and %d", ErrInvalid, s.Profile, q, s.Referrer)}
		}
		parent[s.Profile] = s.Referrer
	}
	m := treeModel{gen: map[uint32]int{}, seed: map[uint32]uint32{}, children: map[uint32][]uint32{}, below: map[uint32]int{}}
	for _, p := range slices.Sorted(maps.Keys(nodes)) {
		steps, top := 0, p
		for q, ok := parent[top]; ok; q, ok = parent[top] {
			if steps++; steps > len(nodes) {
				// top is on the loop: the least profile met going round it once more.
				least := top
				for q := parent[top]; q != top; q = parent[q] {
					least = min(least, q)
				}
				return treeModel{err: fmt.Sprintf("%v: tree: profile %d is on a loop of referrals", ErrCycle, least)}
			}
			top = q
			m.below[q]++
		}
		m.gen[p], m.seed[p] = steps, top
		if q, ok := parent[p]; ok {
			m.children[q] = append(m.children[q], p)
		}
		for len(m.gens) <= steps {
			m.gens = append(m.gens, 0)
		}
		m.gens[steps]++
	}
	return m
}

// checkTree fails t unless NewTree's answer to signups is the model's, asking the tree
// about every profile in probe.
func checkTree(t tb, signups []Signup, probe []uint32) {
	t.Helper()
	want := newTreeModel(signups)
	tr, err := NewTree(signups)
	if want.err != "" || err != nil {
		if err == nil || err.Error() != want.err || tr != nil {
			t.Fatalf("NewTree(%v) = %v, %v; want the error %q", signups, tr, err, want.err)
		}
		return
	}
	if got := tr.Generations(); !slices.Equal(got, want.gens) {
		t.Fatalf("NewTree(%v): generations %v, want %v", signups, got, want.gens)
	}
	for _, p := range probe {
		g, gok := tr.Generation(p)
		s, sok := tr.Seed(p)
		wg, wok := want.gen[p]
		if g != wg || s != want.seed[p] || gok != wok || sok != wok {
			t.Fatalf("NewTree(%v): profile %d generation %d %v, seed %d %v; want %d %d %v", signups, p, g, gok, s, sok, wg, want.seed[p], wok)
		}
		if got := tr.Children(p); !slices.Equal(got, want.children[p]) || (got == nil) != (want.children[p] == nil) {
			t.Fatalf("NewTree(%v): children of %d %v, want %v", signups, p, got, want.children[p])
		}
		if got := tr.Descendants(p); got != want.below[p] {
			t.Fatalf("NewTree(%v): %d descendants of %d, want %d", signups, got, p, want.below[p])
		}
	}
}

// TestTreeMatchesModel: on random sign-ups, with loops, self-referrals, two referrers,
// sign-ups listed twice, profile 0, and profiles small (looked up in a table), spread
// over all of uint32 or close together far from 0 (looked up in buckets), NewTree
// answers what the model answers.
// Half the cases first open their loops as Program.Signups does, so that they build.
func TestTreeMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		signups, pool := treeDraw(t)
		if rapid.Bool().Draw(t, "open loops") {
			// As Program.Signups: one sign-up per person, its looping referrals opened.
			seen := map[uint32]bool{}
			signups = slices.DeleteFunc(signups, func(s Signup) bool {
				dup := seen[s.Profile]
				seen[s.Profile] = true
				return dup
			})
			openLoops(signups)
			if m := newTreeModel(signups); m.err != "" {
				t.Fatalf("opened loops %v: the model says %s", signups, m.err)
			}
		}
		checkTree(t, signups, append(pool, 41, 1<<31, slices.Max(pool)+1, math.MaxUint32))
	})
}

// treeDraw draws sign-ups of the profiles of pool, some of them, in an order of their
// own: most are referred by someone earlier (a forest), some by anyone in pool (which
// may close a loop, or be a referrer who never signed up), a few by themselves; some
// sign-ups are listed twice, the same or with another referrer.
func treeDraw(t *rapid.T) (signups []Signup, pool []uint32) {
	n := rapid.IntRange(1, 30).Draw(t, "people")
	pool = rapid.SliceOfNDistinct(rapid.Uint32Range(0, 40), n, n, rapid.ID).Draw(t, "pool")
	switch rapid.IntRange(0, 2).Draw(t, "shape") {
	case 1:
		for i := range pool {
			pool[i] *= 2654435761 // distinct, and spread over all of uint32
		}
	case 2:
		// Close together but far from 0, as the few sign-ups of many profiles.
		at := rapid.Uint32Range(1000, math.MaxUint32-40).Draw(t, "offset")
		for i := range pool {
			pool[i] += at
		}
	}
	pick := rapid.SampledFrom(pool)
	order := rapid.Permutation(pool).Draw(t, "order")
	for i, p := range order[:rapid.IntRange(1, len(order)).Draw(t, "signed up")] {
		s := Signup{Profile: p}
		// rapid draws the ends of a range more often than its middle: self-referrals,
		// which fail the whole set, sit in the middle.
		switch k := rapid.IntRange(0, 59).Draw(t, "referral"); {
		case k < 18 || i == 0: // organic
		case k == 30:
			s.Referrer = p
		case k < 45:
			s.Referrer = signups[rapid.IntRange(0, i-1).Draw(t, "earlier")].Profile
		default:
			if s.Referrer = pick.Draw(t, "anyone"); s.Referrer == p {
				s.Referrer = 0 // self-referrals come above, and rarely
			}
		}
		signups = append(signups, s)
	}
	if rapid.Bool().Draw(t, "close a loop") {
		// The person at the top of someone's chain is brought by that someone.
		at := map[uint32]int{}
		for i, s := range signups {
			at[s.Profile] = i
		}
		b := rapid.IntRange(0, len(signups)-1).Draw(t, "bottom")
		top := b
		for range signups {
			if j, ok := at[signups[top].Referrer]; ok && signups[top].Referrer != 0 {
				top = j
			}
		}
		if top != b {
			signups[top].Referrer = signups[b].Profile
		}
	}
	for range rapid.IntRange(0, 3).Draw(t, "listed twice") {
		s := signups[rapid.IntRange(0, len(signups)-1).Draw(t, "twice")]
		if q := pick.Draw(t, "other"); q != s.Profile && rapid.Bool().Draw(t, "other referrer") {
			s.Referrer = q
		}
		signups = slices.Insert(signups, rapid.IntRange(0, len(signups)).Draw(t, "where"), s)
	}
	return signups, pool
}

// TestTreeOfGuardedProgramMatchesModel: the sign-ups of a Program whose guards accept
// looping referrals (Flag or Ignore), after random codes, sign-ups and merges, build the
// tree the model builds.
func TestTreeOfGuardedProgramMatchesModel(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		g := rapid.SampledFrom([]Response{Flag, Ignore}).Draw(t, "guard")
		p, _ := openMem(t, Rules{ReferrerReward: 100, Guards: Guards{SelfReferral: g, Cycle: g}})
		rnd := newSeeded(3)
		codes := map[uint32]Code{}
		for i := range rapid.IntRange(1, 40).Draw(t, "steps") {
			prof := uint32(rapid.IntRange(1, 12).Draw(t, "profile"))
			at := day(float64(i))
			switch rapid.IntRange(0, 2).Draw(t, "action") {
			case 0:
				by := uint32(rapid.IntRange(1, 12).Draw(t, "code owner"))
				if _, ok := codes[by]; !ok {
					c, err := p.IssueCode(ctx, at, fmt.Sprint("c", by), by, Signals{}, rnd)
					if err != nil {
						t.Fatal(err)
					}
					codes[by] = c
				}
				if _, err := p.SignUp(ctx, at, fmt.Sprint("s", i), prof, string(codes[by]), Signals{}); err != nil && !errors.Is(err, ErrConflict) {
					t.Fatal(err)
				}
			case 1:
				if _, err := p.SignUp(ctx, at, fmt.Sprint("s", i), prof, "", Signals{}); err != nil && !errors.Is(err, ErrConflict) {
					t.Fatal(err)
				}
			case 2:
				if other := uint32(rapid.IntRange(1, 12).Draw(t, "absorbed")); other != prof {
					if err := p.ApplyMerge(prof, other); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		signups := p.Signups()
		if m := newTreeModel(signups); m.err != "" {
			t.Fatalf("Signups %v: the model says %s", signups, m.err)
		}
		probe := make([]uint32, 14)
		for i := range probe {
			probe[i] = uint32(i)
		}
		checkTree(t, signups, probe)
	})
}

// TestTreeNamesAProfileOnTheLoop: the ErrCycle of NewTree names a profile on the loop,
// as its doc says, not one brought (at any depth) by someone on it. Profile 1, brought
// by 2 of the loop 2 -> 3 -> 2, was named, the least of the profiles never reached.
func TestTreeNamesAProfileOnTheLoop(t *testing.T) {
	for _, c := range []struct {
		signups []Signup
		want    uint32
	}{
		{[]Signup{{Profile: 1, Referrer: 2}, {Profile: 2, Referrer: 3}, {Profile: 3, Referrer: 2}}, 2},
		{[]Signup{{Profile: 1, Referrer: 5}, {Profile: 5, Referrer: 9}, {Profile: 9, Referrer: 7}, {Profile: 7, Referrer: 9}, {Profile: 4}}, 7},
		{[]Signup{{Profile: 6, Referrer: 8}, {Profile: 8, Referrer: 6}, {Profile: 2, Referrer: 3}, {Profile: 3, Referrer: 2}}, 2},
	} {
		_, err := NewTree(c.signups)
		want := fmt.Sprintf("%v: tree: profile %d is on a loop of referrals", ErrCycle, c.want)
		if !errors.Is(err, ErrCycle) || err.Error() != want {
			t.Errorf("NewTree(%v): %v, want %s", c.signups, err, want)
		}
	}
}

// TestNewTreeAllocations: NewTree's work does not take a map entry and a slice for
// each profile. It kept five maps, one entry for each profile, and a slice of children
// for each referrer: 10,000 sign-ups cost 2,768 allocations, a million 3-7 s, nearly
// all of it in the maps. Its slices indexed by node take a fixed dozen or so, whether
// the profiles are found in a table or in buckets.
func TestNewTreeAllocations(t *testing.T) {
	for _, spread := range []bool{false, true} {
		signups := treeSignups(10_000, spread)
		got := testing.AllocsPerRun(3, func() {
			if _, err := NewTree(signups); err != nil {
				t.Fatal(err)
			}
		})
		if got > 20 {
			t.Errorf("spread %v: NewTree of %d sign-ups made %v allocations, want at most 20", spread, len(signups), got)
		}
	}
}

// treeSignups returns n sign-ups, three in ten referred by someone who signed up
// before, profiles 1 to n, or (spread) n profiles scattered over all of uint32.
func treeSignups(n int, spread bool) []Signup {
	r := rand.New(rand.NewPCG(1, 2))
	key := func(i int) uint32 { return uint32(i + 1) }
	if spread {
		key = func(i int) uint32 { return uint32(i+1) * 2654435761 } // odd: distinct for distinct i
	}
	out := make([]Signup, n)
	for i := range out {
		out[i] = Signup{Profile: key(i), At: day(float64(i) / 1000)}
		if i > 0 && r.IntN(10) < 3 {
			out[i].Referrer = key(r.IntN(i))
		}
	}
	return out
}
