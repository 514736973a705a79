package funnel

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

var lifeBase = time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC)

// genLifecycle draws a Lifecycle with short spans and the events of seven profiles
// over five months, in random order: visits, purchases and other events, on half days
// so that ties happen and gaps equal the spans, some naming a referrer (another profile, the profile
// itself, one never seen, or garbage).
func genLifecycle(t *rapid.T) (Lifecycle, []Event) {
	dormant := rapid.IntRange(2, 40).Draw(t, "dormant")
	l := Lifecycle{
		UserVisits:   rapid.IntRange(1, 3).Draw(t, "visits"),
		UserSpan:     days(rapid.IntRange(1, 30).Draw(t, "span")),
		DormantAfter: days(dormant),
		ChurnedAfter: days(dormant + rapid.IntRange(0, 60).Draw(t, "churned")),
		By:           Period(rapid.IntRange(0, 2).Draw(t, "by")),
	}
	if rapid.Bool().Draw(t, "ny") {
		l.Location = ny
	}
	if rapid.Bool().Draw(t, "active?") {
		l.Active = Step{Name: rapid.SampledFrom([]string{"visit", "other"}).Draw(t, "active")}
	}
	var evs []Event
	for p := uint32(1); p <= 7; p++ {
		for range rapid.IntRange(0, 7).Draw(t, "events") {
			e := Event{
				Profile: p,
				Time:    lifeBase.Add(time.Duration(rapid.IntRange(0, 150*2).Draw(t, "half days")) * 12 * time.Hour),
				Name:    rapid.SampledFrom([]string{"visit", "visit", "purchase", "other"}).Draw(t, "name"),
			}
			if rapid.IntRange(0, 4).Draw(t, "refers?") == 0 {
				e.Props = map[string]string{"referrer": rapid.SampledFrom([]string{"1", "2", "3", "4", "9", "0", "x"}).Draw(t, "referrer")}
			}
			evs = append(evs, e)
		}
	}
	return l, rapid.Permutation(evs).Draw(t, "order")
}

// refLadder answers lifecycle questions straight from the definitions, event by event:
// no milestones, no streaks, no periods precomputed.
type refLadder struct {
	l       Lifecycle // with defaults
	loc     *time.Location
	evs     map[uint32][]Event // per profile, in time order, ties in input order
	referer map[uint32]uint32  // referred -> referrer
}

func newRefLadder(l Lifecycle, evs []Event) *refLadder {
	l, _ = l.withDefaults()
	m := &refLadder{l: l, loc: l.Location, evs: byProfile(evs), referer: map[uint32]uint32{}}
	if m.loc == nil {
		m.loc = time.UTC
	}
	for p, pe := range m.evs {
		slices.SortStableFunc(pe, func(a, b Event) int { return a.Time.Compare(b.Time) })
		for _, e := range pe {
			if r, err := strconv.ParseUint(e.Props["referrer"], 10, 32); err == nil && r != 0 && uint32(r) != p {
				m.referer[p] = uint32(r)
				break
			}
		}
	}
	return m
}

func (m *refLadder) active(e Event) bool {
	if m.l.Active.Name != "" {
		return e.Name == m.l.Active.Name
	}
	return e.Name == "visit" || e.Name == "purchase"
}

// user: some visit by t is the last of UserVisits visits within UserSpan.
func (m *refLadder) user(p uint32, t time.Time) bool {
	var vs []time.Time
	for _, e := range m.evs[p] {
		if e.Name == "visit" && !e.Time.After(t) {
			vs = append(vs, e.Time)
		}
	}
	n := m.l.UserVisits
	for i := n - 1; i < len(vs); i++ {
		if vs[i].Sub(vs[i-n+1]) <= m.l.UserSpan {
			return true
		}
	}
	return false
}

func (m *refLadder) stage(p uint32, t time.Time) Stage {
	var visited bool
	var buys int
	var acts []time.Time
	for _, e := range m.evs[p] {
		if e.Time.After(t) {
			continue
		}
		// a purchase makes the profile seen, as a visit does
		visited = visited || e.Name == "visit" || e.Name == "purchase"
		if e.Name == "purchase" {
			buys++
		}
		if m.active(e) {
			acts = append(acts, e.Time)
		}
	}
	if !visited {
		return Stranger
	}
	rung := Visitor
	brought := false
	for q, r := range m.referer {
		if r == p && m.user(q, t) {
			brought = true
		}
	}
	switch {
	case buys >= 1 && brought:
		rung = Advocate
	case buys >= 2:
		rung = RepeatCustomer
	case buys == 1:
		rung = Customer
	case m.user(p, t):
		rung = User
	}
	if len(acts) == 0 {
		return rung
	}
	switch gap := t.Sub(acts[len(acts)-1]); {
	case gap >= m.l.ChurnedAfter:
		return Churned
	case gap >= m.l.DormantAfter:
		return Dormant
	}
	for j := len(acts) - 1; j >= 1; j-- {
		if acts[j].Sub(acts[j-1]) >= m.l.DormantAfter {
			if t.Sub(acts[j]) < m.l.DormantAfter {
				return Reactivated
			}
			break
		}
	}
	return rung
}

// next returns the start of the period after the one starting at s.
func (m *refLadder) next(s time.Time) time.Time {
	y, mo, d := s.In(m.loc).Date()
	switch m.l.By {
	case Week:
		return time.Date(y, mo, d+7, 0, 0, 0, 0, m.loc)
	case Month:
		return time.Date(y, mo+1, 1, 0, 0, 0, 0, m.loc)
	}
	return time.Date(y, mo, d+1, 0, 0, 0, 0, m.loc)
}

// growth recounts a growth table's rows, whose Start it takes from got after checking
// that each is the right calendar period's first instant.
func (m *refLadder) growth(t *rapid.T, got []GrowthRow, from time.Time) []GrowthRow {
	first := civilPeriod(from, m.l.By, m.loc)
	want := make([]GrowthRow, len(got))
	for i := range want {
		s := got[i].Start
		if y, mo, d := s.In(m.loc).Date(); civilPeriod(s, m.l.By, m.loc) != first+int64(i) || !s.Equal(time.Date(y, mo, d, 0, 0, 0, 0, m.loc)) {
			t.Fatalf("growth row %d starts %v, not at period %d's first instant", i, s, first+int64(i))
		}
		want[i].Start = s
	}
	// Growth accounting from its definition (GrowthRow's doc), with sets: active[k] is
	// the profiles active in period first+k (k = -1 is the period before the table),
	// debut[p] the first period in which p was ever active.
	active := make([]map[uint32]bool, len(got)+1)
	for k := range active {
		active[k] = map[uint32]bool{}
	}
	debut := map[uint32]int64{}
	for p, pe := range m.evs {
		for _, e := range pe {
			if !m.active(e) {
				continue
			}
			k := civilPeriod(e.Time, m.l.By, m.loc)
			if d, ok := debut[p]; !ok || k < d {
				debut[p] = k
			}
			if k >= first-1 && k < first+int64(len(got)) {
				active[k-first+1][p] = true
			}
		}
	}
	for i := range want {
		now, prev := active[i+1], active[i]
		g := &want[i]
		g.Active = int64(len(now))
		for p := range now {
			if debut[p] == first+int64(i) {
				g.New++
			} else if prev[p] {
				g.Retained++
			} else {
				g.Resurrected++
			}
		}
		for p := range prev {
			if !now[p] {
				g.Dormant++
			}
		}
		end := m.next(want[i].Start).Add(-time.Nanosecond)
		for p := range m.evs {
			g.Stages[m.stage(p, end)]++
		}
	}
	return want
}

// queryTimes draws instants to ask about: event times exactly (where milestones fall),
// a span after one (where stages change), a nanosecond either side, and times between.
func queryTimes(t *rapid.T, l Lifecycle, evs []Event) []time.Time {
	l, _ = l.withDefaults()
	var ts []time.Time
	for range 4 {
		if len(evs) == 0 || rapid.IntRange(0, 3).Draw(t, "between?") == 0 {
			ts = append(ts, lifeBase.Add(time.Duration(rapid.IntRange(-10, 250*24).Draw(t, "hours"))*time.Hour))
			continue
		}
		at := rapid.SampledFrom(evs).Draw(t, "event").Time
		at = at.Add(rapid.SampledFrom([]time.Duration{0, l.UserSpan, l.DormantAfter, l.ChurnedAfter}).Draw(t, "after"))
		ts = append(ts, at.Add(time.Duration(rapid.IntRange(-1, 1).Draw(t, "ns"))))
	}
	return ts
}

// TestJourneysMatchReference holds Run against the definitions: the stage of every
// profile at any instant, the stages and transition matrix, and a growth table.
func TestJourneysMatchReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l, evs := genLifecycle(t)
		j, err := l.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		m := newRefLadder(l, evs)
		if j.Profiles() != len(m.evs) {
			t.Fatalf("%d profiles, want %d", j.Profiles(), len(m.evs))
		}
		ts := queryTimes(t, l, evs)
		for _, at := range ts {
			var want [NumStages][]uint32
			for p := uint32(0); p <= 9; p++ {
				s := m.stage(p, at)
				if got := j.StageAt(at, p); got != s {
					t.Fatalf("profile %d at %v: %v, want %v", p, at, got, s)
				}
				if _, seen := m.evs[p]; seen {
					want[s] = append(want[s], p)
				}
			}
			for s, bm := range j.Stages(at) {
				if !slices.Equal(bm.ToArray(), want[s]) {
					t.Fatalf("%v at %v: %v, want %v", Stage(s), at, bm.ToArray(), want[s])
				}
			}
		}
		var tm [NumStages][NumStages]int64
		for p := range m.evs {
			tm[m.stage(p, ts[0])][m.stage(p, ts[1])]++
		}
		if got := j.Transitions(ts[0], ts[1]); got != tm {
			t.Fatalf("transitions %v -> %v:\n%v\nwant\n%v", ts[0], ts[1], got, tm)
		}
		from, to := span(ts)
		g, err := j.Growth(from, to)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(m.growth(t, g, from), g); diff != "" {
			t.Fatalf("growth %v..%v (-want +got):\n%s", from, to, diff)
		}
	})
}

// span returns the earliest and the latest of ts.
func span(ts []time.Time) (time.Time, time.Time) {
	lo, hi := ts[0], ts[0]
	for _, t := range ts {
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	return lo, hi
}

// journeysAnswers gathers what Journeys answer, for comparing two of them.
type journeysAnswers struct {
	Profiles    int
	StageAt     []Stage
	Stages      [][]uint32
	Reached     [][]uint32
	Transitions [NumStages][NumStages]int64
	Growth      []GrowthRow
}

func answers(t *rapid.T, j *Journeys, ts []time.Time) journeysAnswers {
	a := journeysAnswers{Profiles: j.Profiles(), Transitions: j.Transitions(ts[0], ts[1])}
	for _, at := range ts {
		for p := uint32(0); p <= 9; p++ {
			a.StageAt = append(a.StageAt, j.StageAt(at, p))
		}
		for _, bm := range j.Stages(at) {
			a.Stages = append(a.Stages, bm.ToArray())
		}
		for s := Visitor; s <= Advocate; s++ {
			a.Reached = append(a.Reached, j.Reached(at, s).ToArray())
		}
	}
	g, err := j.Growth(span(ts))
	if err != nil {
		t.Fatal(err)
	}
	a.Growth = g
	return a
}

// referrals returns the referrals the events name, as RunBatch takes them: the first
// (in time order) naming another profile.
func referrals(l Lifecycle, evs []Event) map[uint32]uint32 {
	return newRefLadder(l, evs).referer
}

func groupedByProfile(evs []Event) []Event {
	g := slices.Clone(evs)
	slices.SortStableFunc(g, func(a, b Event) int { return cmp.Compare(a.Profile, b.Profile) })
	return g
}

// TestJourneyFormsAgree: a slice, a stream, a Batch with its referrals as a map (with
// any number of workers) or in its referrer column, and shards built by any form, sent through bytes and
// merged in any order, all give the same journeys: the same answers and the same
// milestones, advocates included when referrer and referred sit in different shards.
func TestJourneyFormsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l, evs := genLifecycle(t)
		want, err := l.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		ts := queryTimes(t, l, evs)
		wantA := answers(t, want, ts)
		refs := referrals(l, evs)
		grouped := groupedByProfile(evs)
		forms := map[string]func() (*Journeys, error){
			"Run, workers": func() (*Journeys, error) {
				return l.build(evs, rapid.IntRange(1, 5).Draw(t, "workers"))
			},
			"RunSeq": func() (*Journeys, error) { return l.RunSeq(slices.Values(grouped)) },
			"RunBatch, workers": func() (*Journeys, error) {
				return l.buildBatch(batchOf(t, grouped), refs, rapid.IntRange(1, 5).Draw(t, "workers"))
			},
			"RunBatch, referrer column": func() (*Journeys, error) { return l.RunBatch(batchOf(t, grouped), nil) },
			"RunBatch, profiles descending": func() (*Journeys, error) {
				desc := slices.Clone(grouped)
				slices.SortStableFunc(desc, func(a, b Event) int { return cmp.Compare(b.Profile, a.Profile) })
				return l.buildBatch(batchOf(t, desc), refs, rapid.IntRange(1, 5).Draw(t, "workers"))
			},
			"shards merged": func() (*Journeys, error) {
				k := rapid.IntRange(1, 4).Draw(t, "shards")
				parts := make([]*Journeys, k)
				for s := range k {
					var shard []Event
					for _, e := range grouped {
						if int(e.Profile)%k == s {
							shard = append(shard, e)
						}
					}
					var part *Journeys
					var err error
					switch rapid.IntRange(0, 2).Draw(t, "shard form") {
					case 0:
						part, err = l.RunBatch(batchOf(t, shard), refs)
					case 1:
						part, err = l.RunBatch(batchOf(t, shard), nil) // the referrer column
					default:
						part, err = l.Run(shard)
					}
					if err != nil {
						t.Fatal(err)
					}
					data, err := part.MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					if parts[s], err = decodeJourneys(l, data); err != nil {
						t.Fatal(err)
					}
				}
				return MergeJourneys(rapid.Permutation(parts).Draw(t, "merge order")...)
			},
		}
		for _, name := range []string{"Run, workers", "RunSeq", "RunBatch, workers", "RunBatch, referrer column", "RunBatch, profiles descending", "shards merged"} {
			got, err := forms[name]()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if diff := gocmp.Diff(wantA, answers(t, got, ts), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s answers differ from Run's (-Run +%s):\n%s", name, name, diff)
			}
			opts := []gocmp.Option{gocmp.AllowUnexported(journey{}), cmpopts.EquateEmpty()}
			if diff := gocmp.Diff(want.js, got.js, opts...); diff != "" || !slices.Equal(want.ids, got.ids) {
				t.Fatalf("%s journeys differ from Run's (-Run +%s):\n%s", name, name, diff)
			}
		}
	})
}

// TestAdvocateAcrossShards: the referrer buys in one shard, the profile it brought
// becomes a user in another; neither shard alone makes an advocate, the merge does.
func TestAdvocateAcrossShards(t *testing.T) {
	on := func(d int) time.Time { return lifeBase.Add(days(d)) }
	referrer := []Event{{Profile: 1, Time: on(0), Name: "visit"}, {Profile: 1, Time: on(1), Name: "purchase"}}
	referred := []Event{
		{Profile: 2, Time: on(3), Name: "visit", Props: map[string]string{"referrer": "1"}},
		{Profile: 2, Time: on(5), Name: "visit"},
	}
	var l Lifecycle
	a, err := l.Run(referrer)
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.RunBatch(&Batch{Profile: []uint32{2, 2}, Time: []int64{on(3).UnixNano(), on(5).UnixNano()}, Event: []uint32{0, 0}, Names: []string{"visit"}},
		map[uint32]uint32{2: 1, 7: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.StageAt(on(6), 1); got != Customer {
		t.Fatalf("referrer's shard alone: %v, want customer", got)
	}
	m, err := MergeJourneys(b, a)
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[int]Stage{4: Customer, 5: Advocate} {
		if got := m.StageAt(on(d), 1); got != want {
			t.Errorf("merged, day %d: %v, want %v", d, got, want)
		}
	}
	whole, err := l.Run(append(referrer, referred...))
	if err != nil {
		t.Fatal(err)
	}
	if got := whole.StageAt(on(5), 1); got != Advocate {
		t.Errorf("one pass, day 5: %v, want advocate", got)
	}
	if a.StageAt(on(6), 1) != Customer {
		t.Error("merging changed a part")
	}
}

func TestJourneysBadInput(t *testing.T) {
	var l Lifecycle
	evs := []Event{{Profile: 1, Time: at(1), Name: "visit"}, {Profile: 2, Time: at(2), Name: "visit"}, {Profile: 1, Time: at(3), Name: "visit"}}
	if _, err := l.RunSeq(slices.Values(evs)); !errors.Is(err, ErrUnsorted) {
		t.Errorf("RunSeq, profile 1 again after 2: %v, want ErrUnsorted", err)
	}
	if _, err := l.RunBatch(batchOf(t, evs), nil); !errors.Is(err, ErrUnsorted) {
		t.Errorf("RunBatch, profile 1 again after 2: %v, want ErrUnsorted", err)
	}
	if _, err := l.Run([]Event{{Profile: 1, Name: "visit"}}); !errors.Is(err, ErrTimeRange) {
		t.Errorf("Run, zero time: %v, want ErrTimeRange", err)
	}
	if _, err := l.RunSeq(slices.Values([]Event{{Profile: 1, Name: "visit"}})); !errors.Is(err, ErrTimeRange) {
		t.Errorf("RunSeq, zero time: %v, want ErrTimeRange", err)
	}
	if _, err := (Lifecycle{UserVisits: -1}).RunBatch(&Batch{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("RunBatch, UserVisits -1: %v, want ErrInvalid", err)
	}
	one, _ := l.Run(evs[:1])
	both, _ := l.Run(evs)
	if _, err := MergeJourneys(one, both); !errors.Is(err, ErrUnsorted) {
		t.Errorf("merging journeys that share profile 1: %v, want ErrUnsorted", err)
	}
	weekly, _ := Lifecycle{By: Week}.Run(evs[1:2])
	if _, err := MergeJourneys(one, weekly); !errors.Is(err, ErrMismatch) {
		t.Errorf("merging journeys of two lifecycles: %v, want ErrMismatch", err)
	}
	if _, err := MergeJourneys(); !errors.Is(err, ErrInvalid) {
		t.Errorf("merging nothing: %v, want ErrInvalid", err)
	}
	data, _ := both.MarshalBinary()
	if _, err := decodeJourneys(Lifecycle{By: Week}, data); !errors.Is(err, ErrMismatch) {
		t.Errorf("decoding with another lifecycle: %v, want ErrMismatch", err)
	}
	for _, bad := range [][]byte{data[:len(data)-1], append(slices.Clone(data[:len(data)-4]), 0, 0, 0, 0), framed(journeysMagic, data[12:len(data)-5])} {
		if _, err := decodeJourneys(l, bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decoding damaged bytes: %v, want ErrCorrupt", err)
		}
	}
}
