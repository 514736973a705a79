package funnel

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// never marks a milestone not reached.
const never = math.MaxInt64

// journey is one profile's milestones, in Unix nanoseconds (never: not reached).
type journey struct {
	seen, visit, user, customer, repeat int64
	// advocate is derived from every profile's journey (see join), never stored.
	advocate int64
	referrer uint32     // the profile that brought this one; 0: none
	streaks  [][2]int64 // runs of activity with gaps < DormantAfter, in time order
	periods  []int64    // the distinct periods (Lifecycle.By) with activity, ascending
}

// Journeys holds every profile's milestones. It answers questions about any instant;
// it is not modified after it is built and is safe for concurrent reads. Journeys of
// disjoint shards of profiles merge exactly (MergeJourneys) and travel between
// machines as bytes (MarshalBinary; Lifecycle.NewJourneys and UnmarshalBinary).
//
// A Lifecycle makes them (Run, RunSeq, RunBatch, NewJourneys). The zero Journeys, and
// a nil *Journeys (what those return with an error), hold no profiles and no Lifecycle:
// Profiles, StageAt, Stages, Reached and Transitions answer as for no profiles (every
// profile a Stranger), and Growth, MarshalBinary and UnmarshalBinary fail with
// ErrInvalid.
type Journeys struct {
	r   *rules
	ids []uint32 // ascending
	js  []journey
}

// Profiles returns the number of profiles seen.
func (j *Journeys) Profiles() int {
	if j == nil {
		return 0
	}
	return len(j.ids)
}

func (j *Journeys) find(profile uint32) *journey {
	k, ok := slices.BinarySearch(j.ids, profile)
	if !ok {
		return nil
	}
	return &j.js[k]
}

// milestone returns when the profile met stage s's condition (never if not).
func (jr *journey) milestone(s Stage) (int64, bool) {
	switch s {
	case Visitor:
		// A purchase is a visit to the shop, as far as being seen goes.
		return min(jr.visit, jr.customer), true
	case User:
		return jr.user, true
	case Customer:
		return jr.customer, true
	case RepeatCustomer:
		return jr.repeat, true
	case Advocate:
		return jr.advocate, true
	}
	return never, false
}

// rung is the highest ladder stage reached by t.
func (jr *journey) rung(t int64) Stage {
	switch {
	case jr.visit > t && jr.customer > t:
		// A profile seen buying is no stranger: purchases recorded by a back end (a
		// shop's orders, an app store) often come with no visit event at all.
		return Stranger
	case jr.advocate <= t:
		return Advocate
	case jr.repeat <= t:
		return RepeatCustomer
	case jr.customer <= t:
		return Customer
	case jr.user <= t:
		return User
	}
	return Visitor
}

func (j *Journeys) stage(jr *journey, t int64) Stage {
	r := jr.rung(t)
	if r == Stranger {
		return r
	}
	// The latest run of activity begun by t.
	k := sort.Search(len(jr.streaks), func(i int) bool { return jr.streaks[i][0] > t }) - 1
	if k < 0 {
		return r
	}
	gap := t - jr.streaks[k][1]
	switch {
	case gap >= int64(j.r.l.ChurnedAfter):
		return Churned
	case gap >= int64(j.r.l.DormantAfter):
		return Dormant
	case k > 0 && t-jr.streaks[k][0] < int64(j.r.l.DormantAfter):
		return Reactivated
	}
	return r
}

// StageAt returns the stage at t of a profile; a profile never seen is a Stranger.
func (j *Journeys) StageAt(t time.Time, profile uint32) Stage {
	if j == nil {
		return Stranger
	}
	jr := j.find(profile)
	if jr == nil {
		return Stranger
	}
	return j.stage(jr, t.UnixNano())
}

// Stages returns the profiles in each stage at t (profiles first seen after t are
// strangers).
func (j *Journeys) Stages(t time.Time) [NumStages]*roaring.Bitmap {
	if j == nil {
		j = new(Journeys) // no profiles
	}
	var out [NumStages]*roaring.Bitmap
	ids := make([][]uint32, NumStages)
	tn := t.UnixNano()
	for k := range j.js {
		s := j.stage(&j.js[k], tn)
		ids[s] = append(ids[s], j.ids[k])
	}
	for s := range out {
		out[s] = roaring.BitmapOf(ids[s]...)
	}
	return out
}

// Reached returns the profiles that had met a ladder stage's condition by t, whatever
// their recent activity: visited or bought (Visitor), came back (User), bought (Customer), bought
// twice (RepeatCustomer), brought a user as a customer (Advocate). Unlike the stage, it
// does not rank: a one-purchase advocate has not reached RepeatCustomer.
func (j *Journeys) Reached(t time.Time, s Stage) *roaring.Bitmap {
	if j == nil {
		j = new(Journeys) // no profiles
	}
	bm := roaring.New()
	tn := t.UnixNano()
	for k := range j.js {
		if at, ok := j.js[k].milestone(s); ok && at <= tn {
			bm.Add(j.ids[k])
		}
	}
	return bm
}

// Transitions returns the stage-to-stage matrix between two instants: m[a][b] counts
// the profiles in stage a at from and in stage b at to.
func (j *Journeys) Transitions(from, to time.Time) [NumStages][NumStages]int64 {
	if j == nil {
		j = new(Journeys) // no profiles
	}
	var m [NumStages][NumStages]int64
	f, t := from.UnixNano(), to.UnixNano()
	for k := range j.js {
		m[j.stage(&j.js[k], f)][j.stage(&j.js[k], t)]++
	}
	return m
}

// GrowthRow is one period of a growth accounting table: of the profiles active in the
// period, New were active for the first time, Retained were also active in the previous
// period and Resurrected were not but had been before; Dormant were active in the
// previous period and not in this one. Stages counts every profile's stage at the
// period's end.
type GrowthRow struct {
	Start                                       time.Time
	Active, New, Retained, Resurrected, Dormant int64
	Stages                                      [NumStages]int64
}

// QuickRatio is (New + Resurrected) / Dormant, the growth accountant's summary: above 1
// the active base grows. It is +Inf when nobody went dormant and someone came.
func (g GrowthRow) QuickRatio() float64 {
	if g.Dormant == 0 {
		if g.New+g.Resurrected == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(g.New+g.Resurrected) / float64(g.Dormant)
}

// Growth returns the growth accounting table of the periods (Lifecycle.By) from the one
// holding from to the one holding to.
func (j *Journeys) Growth(from, to time.Time) ([]GrowthRow, error) {
	if j == nil || j.r == nil {
		return nil, errZeroJourneys
	}
	a, err := nanos(from)
	if err != nil {
		return nil, err
	}
	b, err := nanos(to)
	if err != nil {
		return nil, err
	}
	pa, pb := j.r.cal.index(a), j.r.cal.index(b)
	if pb < pa {
		return nil, fmt.Errorf("%w: growth from %v to an earlier %v", ErrInvalid, from, to)
	}
	if pb-pa > 100000 {
		return nil, fmt.Errorf("%w: %d periods", ErrInvalid, pb-pa+1)
	}
	rows := make([]GrowthRow, pb-pa+1)
	ends := make([]int64, len(rows)) // each period's last instant
	for i := range rows {
		rows[i].Start = j.r.cal.start(pa + int64(i))
		ends[i] = j.r.cal.start(pa+int64(i)+1).UnixNano() - 1
	}
	// Ranges of profiles in parallel, each counting into its own table.
	parts := split(len(j.js), workersFor(len(j.js)*len(rows)), func(lo, hi int) []GrowthRow {
		part := make([]GrowthRow, len(rows))
		for k := lo; k < hi; k++ {
			j.account(&j.js[k], pa, ends, part)
		}
		return part
	})
	for _, part := range parts {
		for i := range rows {
			rows[i].add(&part[i])
		}
	}
	return rows, nil
}

// account counts one profile into a growth table whose first period is pa, walking its
// active periods once.
func (j *Journeys) account(jr *journey, pa int64, ends []int64, rows []GrowthRow) {
	ps := jr.periods
	k, before := slices.BinarySearch(ps, pa-1)
	ps = ps[k:]
	if before {
		ps = ps[1:]
	}
	for i := range rows {
		p := pa + int64(i)
		now := len(ps) > 0 && ps[0] == p
		if now {
			ps = ps[1:]
		}
		g := &rows[i]
		switch {
		case now && jr.periods[0] == p:
			g.New++
		case now && before:
			g.Retained++
		case now:
			g.Resurrected++
		case before:
			g.Dormant++
		}
		if now {
			g.Active++
		}
		g.Stages[j.stage(jr, ends[i])]++
		before = now
	}
}

// add adds o's counts to g.
func (g *GrowthRow) add(o *GrowthRow) {
	g.Active += o.Active
	g.New += o.New
	g.Retained += o.Retained
	g.Resurrected += o.Resurrected
	g.Dormant += o.Dormant
	for s := range g.Stages {
		g.Stages[s] += o.Stages[s]
	}
}
