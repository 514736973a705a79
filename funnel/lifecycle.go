package funnel

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// Stage is where a profile stands on the road from stranger to advocate. The first six
// are rungs of a ladder a profile climbs and never leaves; Dormant, Churned and
// Reactivated describe recent activity and take precedence over the rung while they
// hold.
type Stage uint8

const (
	Stranger       Stage = iota // not seen visiting yet
	Visitor                     // visited, not (yet) a user
	User                        // came back: UserVisits visits within UserSpan
	Customer                    // bought once
	RepeatCustomer              // bought twice or more
	Advocate                    // a customer who brought a new user
	Dormant                     // no activity for DormantAfter
	Churned                     // no activity for ChurnedAfter
	Reactivated                 // active again after being dormant, for DormantAfter
	numStages
)

// NumStages is the number of stages, the size of a transition matrix.
const NumStages = int(numStages)

var stageNames = [...]string{"stranger", "visitor", "user", "customer", "repeat_customer", "advocate", "dormant", "churned", "reactivated"}

// String returns the stage's name ("repeat_customer", ...).
func (s Stage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return fmt.Sprintf("Stage(%d)", uint8(s))
}

// Lifecycle says how events place profiles on the ladder. Zero fields take the defaults
// in brackets. A Lifecycle is a plain value.
type Lifecycle struct {
	Visit    Step // [events named "visit"]
	Purchase Step // [events named "purchase"]
	// Active marks activity for dormancy and growth accounting [a Visit or a Purchase].
	Active Step
	// Referrer names the profile that brought this one, from one of its events [the
	// decimal "referrer" property]. A referrer who is a customer becomes an advocate
	// when a profile it brought becomes a user.
	Referrer     func(Event) (uint32, bool)
	UserVisits   int           // [2]
	UserSpan     time.Duration // [30 days]
	DormantAfter time.Duration // [30 days]
	ChurnedAfter time.Duration // [90 days]
	By           Period        // growth accounting periods [Day; Week and Month also]
	Location     *time.Location
}

const day = 24 * time.Hour

func (l Lifecycle) withDefaults() (Lifecycle, error) {
	if anyStep(l.Visit) {
		l.Visit = Step{Name: "visit"}
	}
	if anyStep(l.Purchase) {
		l.Purchase = Step{Name: "purchase"}
	}
	if l.Referrer == nil {
		l.Referrer = func(e Event) (uint32, bool) {
			v, ok := e.Props["referrer"]
			if !ok {
				return 0, false
			}
			r, err := strconv.ParseUint(v, 10, 32)
			return uint32(r), err == nil
		}
	}
	if l.UserVisits == 0 {
		l.UserVisits = 2
	}
	if l.UserSpan == 0 {
		l.UserSpan = 30 * day
	}
	if l.DormantAfter == 0 {
		l.DormantAfter = 30 * day
	}
	if l.ChurnedAfter == 0 {
		l.ChurnedAfter = 90 * day
	}
	switch {
	case l.UserVisits < 1:
		return l, fmt.Errorf("%w: UserVisits %d, want at least 1", ErrSpec, l.UserVisits)
	case l.UserSpan < 0 || l.DormantAfter < 0:
		return l, fmt.Errorf("%w: negative UserSpan or DormantAfter", ErrSpec)
	case l.ChurnedAfter < l.DormantAfter:
		return l, fmt.Errorf("%w: ChurnedAfter %v shorter than DormantAfter %v", ErrSpec, l.ChurnedAfter, l.DormantAfter)
	}
	return l, nil
}

// never marks a milestone not reached.
const never = math.MaxInt64

// journey is one profile's milestones, in Unix nanoseconds.
type journey struct {
	seen, visit, user, customer, repeat, advocate int64
	referrer                                      uint32
	streaks                                       [][2]int64 // runs of activity with gaps < DormantAfter
	periods                                       []int64    // distinct active periods
}

// Journeys holds every profile's milestones. It answers questions about any instant;
// it is not modified after Build and is safe for concurrent reads.
type Journeys struct {
	l   Lifecycle
	cal calendar
	ids []uint32 // sorted
	js  []journey
}

// Build places the profiles of events (any order) on the ladder.
func (l Lifecycle) Build(events []Event) (*Journeys, error) {
	l, err := l.withDefaults()
	if err != nil {
		return nil, err
	}
	cal, err := newCalendar(l.By, l.Location)
	if err != nil {
		return nil, err
	}
	type ev struct {
		t     int64
		flags uint8 // 1 visit, 2 purchase, 4 active
		ref   uint32
	}
	byProfile := map[uint32][]ev{}
	for i, e := range events {
		t, err := nanos(e.Time)
		if err != nil {
			return nil, fmt.Errorf("funnel: lifecycle event %d (profile %d): %w", i, e.Profile, err)
		}
		var f uint8
		v, pu := l.Visit.matches(e), l.Purchase.matches(e)
		if v {
			f |= 1
		}
		if pu {
			f |= 2
		}
		if anyStep(l.Active) && (v || pu) || !anyStep(l.Active) && l.Active.matches(e) {
			f |= 4
		}
		x := ev{t: t, flags: f}
		if r, ok := l.Referrer(e); ok && r != e.Profile {
			x.ref = r
		}
		byProfile[e.Profile] = append(byProfile[e.Profile], x)
	}
	j := &Journeys{l: l, cal: cal}
	for id := range byProfile {
		j.ids = append(j.ids, id)
	}
	slices.Sort(j.ids)
	j.js = make([]journey, len(j.ids))
	for k, id := range j.ids {
		evs := byProfile[id]
		slices.SortStableFunc(evs, func(a, b ev) int { return cmp.Compare(a.t, b.t) })
		jr := journey{seen: evs[0].t, visit: never, user: never, customer: never, repeat: never, advocate: never}
		var visits []int64
		purchases := 0
		for _, e := range evs {
			if e.ref != 0 && jr.referrer == 0 {
				jr.referrer = e.ref
			}
			if e.flags&1 != 0 {
				visits = append(visits, e.t)
				jr.visit = min(jr.visit, e.t)
				n := l.UserVisits
				if jr.user == never && len(visits) >= n && e.t-visits[len(visits)-n] <= int64(l.UserSpan) {
					jr.user = e.t
				}
			}
			if e.flags&2 != 0 {
				purchases++
				if purchases == 1 {
					jr.customer = e.t
				} else if purchases == 2 {
					jr.repeat = e.t
				}
			}
			if e.flags&4 != 0 {
				if n := len(jr.streaks); n > 0 && e.t-jr.streaks[n-1][1] < int64(l.DormantAfter) {
					jr.streaks[n-1][1] = e.t
				} else {
					jr.streaks = append(jr.streaks, [2]int64{e.t, e.t})
				}
				if p := cal.index(e.t); len(jr.periods) == 0 || jr.periods[len(jr.periods)-1] != p {
					jr.periods = append(jr.periods, p)
				}
			}
		}
		j.js[k] = jr
	}
	// A customer becomes an advocate once a profile it brought has become a user.
	brought := map[uint32]int64{}
	for _, jr := range j.js {
		if jr.referrer != 0 && jr.user != never {
			if t, ok := brought[jr.referrer]; !ok || jr.user < t {
				brought[jr.referrer] = jr.user
			}
		}
	}
	for k, id := range j.ids {
		if t, ok := brought[id]; ok && j.js[k].customer != never {
			j.js[k].advocate = max(t, j.js[k].customer)
		}
	}
	return j, nil
}

// Profiles returns the number of profiles seen.
func (j *Journeys) Profiles() int { return len(j.ids) }

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
		return jr.visit, true
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
	case jr.visit > t:
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
	case gap >= int64(j.l.ChurnedAfter):
		return Churned
	case gap >= int64(j.l.DormantAfter):
		return Dormant
	case k > 0 && t-jr.streaks[k][0] < int64(j.l.DormantAfter):
		return Reactivated
	}
	return r
}

// StageAt returns the stage of a profile at t; a profile never seen is a Stranger.
func (j *Journeys) StageAt(profile uint32, t time.Time) Stage {
	jr := j.find(profile)
	if jr == nil {
		return Stranger
	}
	return j.stage(jr, t.UnixNano())
}

// Stages returns the profiles in each stage at t (profiles first seen after t are
// strangers).
func (j *Journeys) Stages(t time.Time) [NumStages]*roaring.Bitmap {
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
// their recent activity: visited (Visitor), came back (User), bought (Customer), bought
// twice (RepeatCustomer), brought a user as a customer (Advocate). Unlike the stage, it
// does not rank: a one-purchase advocate has not reached RepeatCustomer.
func (j *Journeys) Reached(s Stage, t time.Time) *roaring.Bitmap {
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
	a, err := nanos(from)
	if err != nil {
		return nil, err
	}
	b, err := nanos(to)
	if err != nil {
		return nil, err
	}
	pa, pb := j.cal.index(a), j.cal.index(b)
	if pb < pa {
		return nil, fmt.Errorf("%w: growth from %v to an earlier %v", ErrSpec, from, to)
	}
	if pb-pa > 100000 {
		return nil, fmt.Errorf("%w: %d periods", ErrSpec, pb-pa+1)
	}
	rows := make([]GrowthRow, pb-pa+1)
	for i := range rows {
		rows[i].Start = j.cal.start(pa + int64(i))
	}
	for k := range j.js {
		jr := &j.js[k]
		active := func(p int64) bool { _, ok := slices.BinarySearch(jr.periods, p); return ok }
		for i := range rows {
			p := pa + int64(i)
			now, before := active(p), active(p-1)
			g := &rows[i]
			switch {
			case now && len(jr.periods) > 0 && jr.periods[0] == p:
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
			end := j.cal.start(p+1).UnixNano() - 1
			g.Stages[j.stage(jr, end)]++
		}
	}
	return rows, nil
}
