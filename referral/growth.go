package referral

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"time"

	"github.com/clientele-go/clientele/internal/stats"
)

// Signup is one person joining: Referrer is the person who brought them, 0 for an
// organic sign-up.
type Signup struct {
	Profile, Referrer uint32
	At                time.Time
}

// Invite is one invitation sent by a person.
type Invite struct {
	From uint32
	At   time.Time
}

// Signups returns every sign-up in the ledger, one per person (the earliest when merged
// profiles signed up twice), with profiles and referrers as their current keys, in
// sign-up order. A referral that loops, which the SelfReferral or Cycle guard accepts
// when set to Flag or Ignore (a person's own code, or a code closing a loop of
// referrals), is reported as organic, Referrer 0, though Referrer still names it: no one
// else brought that person, and NewTree refuses loops. Of a loop of several referrals
// the latest is the one reported so, as a merge that closes a loop voids it.
func (p *Program) Signups() []Signup {
	if p.zero() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.st
	// Sized for every sign-up at once: grown entry by entry, the set and the list spent
	// a third of a million sign-ups' time in rehashing and copying.
	seen := make(map[uint32]struct{}, len(s.signups))
	out := make([]Signup, 0, len(s.signups))
	for _, raw := range s.signups {
		c := s.canon(raw)
		if _, ok := seen[c]; ok {
			continue
		}
		seen[c] = struct{}{}
		at, _ := s.signedUp(c)
		ref, _ := s.referrerOf(c)
		out = append(out, Signup{Profile: c, Referrer: ref, At: at})
	}
	slices.SortStableFunc(out, func(a, b Signup) int { return a.At.Compare(b.At) })
	openLoops(out)
	return out
}

// openLoops sets Referrer 0 on the latest referral (the last in out, which is in
// sign-up order) of each loop of out's referrals. Each person has one referrer, so a
// group of people linked by referrals holds at most one loop, found in one walk up
// the referrers from each person: O(len(out)), where checking each referral against
// those before it walks chains of any length.
func openLoops(out []Signup) {
	at := make(map[uint32]int, len(out))
	for i, s := range out {
		at[s.Profile] = i
	}
	up := func(i int) int {
		if j, ok := at[out[i].Referrer]; ok && out[i].Referrer != 0 {
			return j
		}
		return -1
	}
	const onPath, done = 1, 2
	mark := make([]uint8, len(out))
	var path []int
	for i := range out {
		path = path[:0]
		j := i
		for ; j >= 0 && mark[j] == 0; j = up(j) {
			mark[j] = onPath
			path = append(path, j)
		}
		if j >= 0 && mark[j] == onPath {
			latest := j
			for k := len(path) - 1; path[k] != j; k-- {
				latest = max(latest, path[k])
			}
			out[latest].Referrer = 0
		}
		for _, k := range path {
			mark[k] = done
		}
	}
}

// Invites returns every invitation in the ledger, senders as their current keys.
func (p *Program) Invites() []Invite {
	if p.zero() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Invite, len(p.st.invites))
	for i, v := range p.st.invites {
		out[i] = Invite{From: p.st.canon(v.From), At: v.At}
	}
	return out
}

// Tree is the invite tree: who brought whom. A seed user (generation 0) joined on
// their own, or referred others without a recorded sign-up; each referred person is one
// generation below their referrer and descends from the seed at the top of their chain.
// A Tree is immutable and safe for concurrent use. The zero Tree, and a nil *Tree (what
// NewTree returns with an error), are the empty tree: they know no profile.
//
// A Tree numbers the profiles it knows 0, 1, ... in ascending order (their nodes) and
// keeps everything in slices indexed by node: a million sign-ups in five maps, one
// entry each, cost seconds, nearly all of it in growing and probing the maps.
type Tree struct {
	profiles []uint32 // node -> profile, ascending
	// dense[p] is profile p's node + 1 (0: unknown) when the profiles are small enough
	// for a table (identity's keys, issued densely from 1). Otherwise the nodes of the
	// profiles whose bits from shift up are h are bucket[h] to bucket[h+1].
	dense  []int32
	bucket []int32
	shift  uint8
	gen    []int32 // node -> generation
	seed   []int32 // node -> node of its seed
	below  []int32 // node -> descendants
	// The children of node i are nodes kids[first[i]:first[i+1]], ascending.
	first, kids []int32
}

// NewTree builds the tree of the sign-ups. Edges that loop are an error wrapping
// [ErrCycle] naming a profile on the loop (the least of one loop).
func NewTree(signups []Signup) (*Tree, error) {
	// Nodes are int32: 2^31 profiles would take 2^30 sign-ups, 32 GiB of them.
	if len(signups) > math.MaxInt32/2 {
		return nil, fmt.Errorf("%w: tree: %d sign-ups, over the limit of %d", ErrInvalid, len(signups), math.MaxInt32/2)
	}
	t := &Tree{}
	t.index(signups)
	n := len(t.profiles)
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = -1
	}
	for _, s := range signups {
		if s.Referrer == 0 {
			continue
		}
		if s.Referrer == s.Profile {
			return nil, fmt.Errorf("%w: tree: profile %d refers itself", ErrCycle, s.Profile)
		}
		c, _ := t.node(s.Profile)
		r, _ := t.node(s.Referrer)
		if q := parent[c]; q >= 0 && q != r {
			return nil, fmt.Errorf("%w: tree: profile %d has two referrers, %d and %d", ErrInvalid, s.Profile, t.profiles[q], s.Referrer)
		}
		parent[c] = r
	}
	// The children, in one slice by parent: counted, then placed in node order, which
	// is ascending profile order.
	t.first = make([]int32, n+1)
	for _, q := range parent {
		if q >= 0 {
			t.first[q+1]++
		}
	}
	for i := range n {
		t.first[i+1] += t.first[i]
	}
	t.kids = make([]int32, t.first[n])
	next := slices.Clone(t.first[:n])
	for c, q := range parent {
		if q >= 0 {
			t.kids[next[q]] = int32(c)
			next[q]++
		}
	}
	// Breadth-first from the seeds numbers the generations; a node never reached lies
	// on a cycle or below one.
	t.gen, t.seed = make([]int32, n), make([]int32, n)
	order := make([]int32, 0, n)
	for i, q := range parent {
		if q < 0 {
			t.seed[i] = int32(i)
			order = append(order, int32(i))
		}
	}
	for k := 0; k < len(order); k++ {
		v := order[k]
		for _, c := range t.kids[t.first[v]:t.first[v+1]] {
			t.gen[c], t.seed[c] = t.gen[v]+1, t.seed[v]
			order = append(order, c)
		}
	}
	if len(order) < n {
		reached := make([]bool, n)
		for _, v := range order {
			reached[v] = true
		}
		// The least node never reached lies on a loop or below one: n steps up from it
		// are on the loop, which is named by its least profile.
		v := int32(slices.Index(reached, false))
		for range n {
			v = parent[v]
		}
		least := v
		for u := parent[v]; u != v; u = parent[u] {
			least = min(least, u)
		}
		return nil, fmt.Errorf("%w: tree: profile %d is on a loop of referrals", ErrCycle, t.profiles[least])
	}
	// Descendants, children before parents: the breadth-first order backwards.
	t.below = make([]int32, n)
	for _, v := range slices.Backward(order) {
		if q := parent[v]; q >= 0 {
			t.below[q] += 1 + t.below[v]
		}
	}
	return t, nil
}

// index numbers the profiles of the sign-ups, referrers included, in ascending order.
// When the largest is below 8 per sign-up (a table no bigger than the sign-ups
// themselves), a table indexed by profile both sorts them and finds them. Otherwise
// they go to buckets by their leading bits, about one sign-up's profiles a bucket,
// each bucket is sorted, and a profile is found by a binary search in its bucket:
// sorting a million profiles whole and filling a map of them took two thirds of
// NewTree's time.
func (t *Tree) index(signups []Signup) {
	var top uint32
	for _, s := range signups {
		top = max(top, s.Profile, s.Referrer)
	}
	if uint64(top) < 8*uint64(len(signups))+64 {
		t.dense = make([]int32, int(top)+1)
		n := 0
		mark := func(p uint32) {
			if t.dense[p] == 0 {
				t.dense[p] = 1
				n++
			}
		}
		for _, s := range signups {
			mark(s.Profile)
			if s.Referrer != 0 {
				mark(s.Referrer)
			}
		}
		t.profiles = make([]uint32, 0, n)
		for p, in := range t.dense {
			if in != 0 {
				t.profiles = append(t.profiles, uint32(p))
				t.dense[p] = int32(len(t.profiles))
			}
		}
		return
	}
	// 2^k buckets, at most one per sign-up and at most 65,536; a profile's bucket is
	// its k leading bits, counted from top's highest.
	k := min(bits.Len(uint(len(signups))), 16)
	t.shift = uint8(max(bits.Len32(top)-k, 0))
	start := make([]int32, 1<<k+1)
	for _, s := range signups {
		start[s.Profile>>t.shift+1]++
		if s.Referrer != 0 {
			start[s.Referrer>>t.shift+1]++
		}
	}
	for h := range 1 << k {
		start[h+1] += start[h]
	}
	all := make([]uint32, start[1<<k])
	next := slices.Clone(start)
	put := func(p uint32) {
		all[next[p>>t.shift]] = p
		next[p>>t.shift]++
	}
	for _, s := range signups {
		put(s.Profile)
		if s.Referrer != 0 {
			put(s.Referrer)
		}
	}
	// Each bucket sorted and rid of repeats, in place: the profiles, ascending.
	t.bucket = make([]int32, 1<<k+1)
	n := 0
	for h := range 1 << k {
		b := all[start[h]:start[h+1]]
		slices.Sort(b)
		b = slices.Compact(b)
		n += copy(all[n:], b)
		t.bucket[h+1] = int32(n)
	}
	t.profiles = slices.Clone(all[:n]) // a copy, leaving the repeats' room
}

// node returns profile's node.
func (t *Tree) node(profile uint32) (int32, bool) {
	if t == nil {
		return 0, false
	}
	if t.dense != nil {
		if int64(profile) < int64(len(t.dense)) && t.dense[profile] != 0 {
			return t.dense[profile] - 1, true
		}
		return 0, false
	}
	h := int(profile >> t.shift)
	if h+1 >= len(t.bucket) {
		return 0, false
	}
	lo, hi := t.bucket[h], t.bucket[h+1]
	i, ok := slices.BinarySearch(t.profiles[lo:hi], profile)
	return lo + int32(i), ok
}

// Generation returns profile's depth below its seed (0 for a seed).
func (t *Tree) Generation(profile uint32) (int, bool) {
	i, ok := t.node(profile)
	if !ok {
		return 0, false
	}
	return int(t.gen[i]), true
}

// Seed returns the seed user profile descends from (itself for a seed).
func (t *Tree) Seed(profile uint32) (uint32, bool) {
	i, ok := t.node(profile)
	if !ok {
		return 0, false
	}
	return t.profiles[t.seed[i]], true
}

// Children returns the people profile brought, ascending.
func (t *Tree) Children(profile uint32) []uint32 {
	i, ok := t.node(profile)
	if !ok || t.first[i] == t.first[i+1] {
		return nil
	}
	out := make([]uint32, 0, t.first[i+1]-t.first[i])
	for _, c := range t.kids[t.first[i]:t.first[i+1]] {
		out = append(out, t.profiles[c])
	}
	return out
}

// Descendants counts everyone below profile.
func (t *Tree) Descendants(profile uint32) int {
	i, ok := t.node(profile)
	if !ok {
		return 0
	}
	return int(t.below[i])
}

// Generations returns how many people are in each generation: seeds first.
func (t *Tree) Generations() []int {
	if t == nil {
		return nil
	}
	var out []int
	for _, g := range t.gen {
		for len(out) <= int(g) {
			out = append(out, 0)
		}
		out[g]++
	}
	return out
}

// Interval is an estimate with the bounds of its confidence interval.
type Interval struct {
	Estimate, Lo, Hi float64
}

// ViralCohort is the viral growth of the people who joined in one period.
type ViralCohort struct {
	Start time.Time
	Users int // people who joined in the period
	// Referred counts the users of the period who came by referral; Share is the share
	// of new users that came by referral, with its Wilson interval.
	Referred int
	Share    Interval
	// Invites counts the invitations the cohort sent (a person who brought more people
	// than their recorded invitations is counted with one invitation per person
	// brought, since a shared link is an invitation that was not recorded), and
	// Converted the people the cohort brought, at any time up to the data's end.
	Invites, Converted int
	InvitesPerUser     float64
	Conversion         Interval // Converted/Invites, Wilson (1927)
	K                  Interval // viral coefficient: InvitesPerUser × conversion
	// CycleTime is the mean time from a cohort member's sign-up to the sign-ups of the
	// people they brought (Skok's viral cycle time); 0 when they brought no one.
	CycleTime time.Duration
}

// MaxViralCohorts bounds the periods ViralGrowth tabulates (65,536: a century of weeks is 5,218);
// the count is the caller's and sizes the result, so more is refused with ErrInvalid.
const MaxViralCohorts = 1 << 16

// ViralGrowth measures viral growth by sign-up cohort: the people who joined in each of n
// periods of the given length from start. K = i × c (Skok), invitations per user times
// the conversion of invitations. Counts cover all the data, so the youngest cohorts,
// which have had less time to invite, understate their K.
//
// K's interval is the delta method (Oehlert 1992, "A note on the delta method") for the
// product of the mean i and the proportion c. The two are estimated from the same
// people and are strongly dependent (the invitations that convert are the ones people
// send), so their covariance may not be dropped. With per-person invitations x_u and
// conversions y_u, i = x̄ and c = ȳ/x̄, the product is exactly ȳ, whose gradient makes
// the delta-method variance Var(ȳ) = s_y²/n: the interval is K ± z·s_y/√n, truncated at
// 0. With fewer than two users the interval is [0, +Inf).
//
// Each person joins once: a sign-up listed twice counts once, and two different
// sign-ups of one profile are ErrInvalid; a profile that refers itself is ErrCycle,
// as in NewTree.
func ViralGrowth(signups []Signup, invites []Invite, start time.Time, period time.Duration, n int, level float64) ([]ViralCohort, error) {
	if n > MaxViralCohorts {
		return nil, fmt.Errorf("%w: cohorts: %d periods, over the limit of %d", ErrInvalid, n, MaxViralCohorts)
	}
	if period <= 0 || n <= 0 || !(level > 0 && level < 1) {
		return nil, fmt.Errorf("%w: cohorts: period %v, n %d, level %v: want positive period and count and a level in (0, 1)", ErrInvalid, period, n, level)
	}
	// A person joins once: a sign-up listed again (an export's retried row) is dropped,
	// or it would count twice in Users and in its referrer's Converted; two different
	// sign-ups of one profile, or a profile referring itself, are refused as NewTree
	// refuses them.
	joined := make(map[uint32]int, len(signups)) // profile -> index of its sign-up
	for i, s := range signups {
		if s.Referrer == s.Profile && s.Profile != 0 {
			return nil, fmt.Errorf("%w: cohorts: profile %d refers itself", ErrCycle, s.Profile)
		}
		if j, ok := joined[s.Profile]; ok {
			if q := signups[j]; !q.At.Equal(s.At) || q.Referrer != s.Referrer {
				return nil, fmt.Errorf("%w: cohorts: profile %d signed up twice, at %v %s and at %v %s",
					ErrInvalid, s.Profile, q.At, broughtBy(q.Referrer), s.At, broughtBy(s.Referrer))
			}
			continue
		}
		joined[s.Profile] = i
	}
	all := signups
	if len(joined) < len(all) { // copies only when there are duplicates to drop
		signups = make([]Signup, 0, len(joined))
		for i, s := range all {
			if joined[s.Profile] == i {
				signups = append(signups, s)
			}
		}
	}
	invited := map[uint32]int{}
	for _, v := range invites {
		invited[v.From]++
	}
	brought := map[uint32][]time.Duration{} // referrer -> gaps to the people brought
	for _, s := range signups {
		if s.Referrer == 0 {
			continue
		}
		gap := time.Duration(0)
		if j, ok := joined[s.Referrer]; ok {
			gap = s.At.Sub(all[j].At)
		}
		brought[s.Referrer] = append(brought[s.Referrer], gap)
	}
	z := stats.ZCrit(level)
	// The periods' bounds, each the one before plus period: start + i×period as a
	// time.Duration wraps past 292 years (a century-long period's fourth cohort began
	// in 1615), while time.Time adds exactly.
	bounds := make([]time.Time, n+1)
	bounds[0] = start
	for i := 1; i <= n; i++ {
		bounds[i] = bounds[i-1].Add(period)
	}
	// Each sign-up goes to its period by binary search, once: scanning every sign-up
	// for every period cost periods × sign-ups (200,000 sign-ups over 5,000 days took
	// 3 s; the 65,536 periods allowed over a million sign-ups, minutes).
	members := make([][]Signup, n)
	for _, s := range signups {
		if s.At.Before(start) || !s.At.Before(bounds[n]) {
			continue
		}
		i := sort.Search(n, func(i int) bool { return s.At.Before(bounds[i+1]) })
		members[i] = append(members[i], s)
	}
	out := make([]ViralCohort, n)
	for i := range out {
		c := &out[i]
		c.Start = bounds[i]
		var ys []float64
		// In float64 nanoseconds: a sum of time.Duration overflows past 292 years of
		// gaps, which 2,700 referrals of ~100 days reach (the quickstart's 1,000,000
		// people printed a cycle of -27.2 days).
		var gaps float64
		for _, s := range members[i] {
			c.Users++
			if s.Referrer != 0 {
				c.Referred++
			}
			b := brought[s.Profile]
			c.Converted += len(b)
			c.Invites += max(invited[s.Profile], len(b))
			ys = append(ys, float64(len(b)))
			for _, g := range b {
				gaps += float64(g)
			}
		}
		// The counts are consistent by construction (Referred <= Users, Converted <=
		// Invites), so only the level can be refused.
		share, err := stats.Wilson(int64(c.Referred), int64(c.Users), level)
		if err != nil {
			return nil, fmt.Errorf("%w: confidence level %v outside (0, 1)", ErrInvalid, level)
		}
		conv, err := stats.Wilson(int64(c.Converted), int64(c.Invites), level)
		if err != nil {
			return nil, fmt.Errorf("%w: confidence level %v outside (0, 1)", ErrInvalid, level)
		}
		c.Share, c.Conversion = Interval(share), Interval(conv)
		if c.Converted > 0 {
			c.CycleTime = time.Duration(gaps / float64(c.Converted))
		}
		if c.Users == 0 {
			c.K = Interval{Lo: 0, Hi: math.Inf(1)}
			continue
		}
		c.InvitesPerUser = float64(c.Invites) / float64(c.Users)
		k := c.InvitesPerUser * c.Conversion.Estimate
		c.K = Interval{Estimate: k, Lo: 0, Hi: math.Inf(1)}
		if len(ys) >= 2 {
			var ss float64
			mean := float64(c.Converted) / float64(c.Users)
			for _, y := range ys {
				ss += (y - mean) * (y - mean)
			}
			half := z * math.Sqrt(ss/float64(len(ys)-1)/float64(len(ys)))
			c.K.Lo, c.K.Hi = max(0, k-half), k+half
		}
	}
	return out, nil
}

// broughtBy says how a sign-up came, for an error message.
func broughtBy(referrer uint32) string {
	if referrer == 0 {
		return "organically"
	}
	return fmt.Sprintf("referred by %d", referrer)
}

// Project returns the users after the given number of viral cycles when seed users
// start and each user brings k new ones per cycle: the geometric sum
// seed·(1 + k + … + k^cycles) = seed·(k^(cycles+1) − 1)/(k − 1) (seed·(cycles+1) when
// k = 1).
func Project(seed, k float64, cycles int) (float64, error) {
	if seed < 0 || k < 0 || cycles < 0 || math.IsNaN(seed) || math.IsNaN(k) || math.IsInf(seed, 0) || math.IsInf(k, 0) {
		return 0, fmt.Errorf("%w: project seed %v, K %v over %d cycles: want non-negative finite values", ErrInvalid, seed, k, cycles)
	}
	if k == 1 {
		return seed * float64(cycles+1), nil
	}
	return seed * (math.Pow(k, float64(cycles+1)) - 1) / (k - 1), nil
}

// Limit returns the users a seed grows to over unlimited cycles when k < 1:
// seed/(1 − k). With k ≥ 1 growth has no limit, which is an error wrapping [ErrInvalid].
// It is the value [Project] approaches as cycles grow; the Project example shows both.
func Limit(seed, k float64) (float64, error) {
	if seed < 0 || k < 0 || math.IsNaN(seed) || math.IsNaN(k) || math.IsInf(seed, 0) {
		return 0, fmt.Errorf("%w: limit of seed %v at K %v: want non-negative finite values", ErrInvalid, seed, k)
	}
	if k >= 1 {
		return math.Inf(1), fmt.Errorf("%w: limit at K %v: growth is unbounded when K >= 1", ErrInvalid, k)
	}
	return seed / (1 - k), nil
}
