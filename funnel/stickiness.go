package funnel

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"
)

// Stickiness measures how often profiles come back: on how many days of each week (or
// month) in Location (nil: UTC) each profile did Event. It reports the distribution per
// calendar period, per cohort (profiles grouped by the period of their first such
// event, each followed over every period from it to the end of observation, periods
// without the event counting as 0 days), and, with Breakdown set, the same split by the
// value of that event property on the profile's first such event. A Stickiness is a
// plain value.
type Stickiness struct {
	Event     Step
	By        Period // Week or Month
	Location  *time.Location
	Breakdown string // an event property; "" means none
}

// StickinessResult is a stickiness analysis. It is safe for concurrent reads.
type StickinessResult struct {
	By       Period
	Location *time.Location
	// Periods holds, for each calendar period in which some profile did the event,
	// the profiles by number of active days.
	Periods []StickyPeriod
	// Cohorts holds, for each cohort (by the period of the profiles' first event),
	// the profile-periods from the cohort's period to the last observed one by active
	// days, zero included.
	Cohorts []StickyPeriod
	// Breakdown holds one result per value of the Breakdown property.
	Breakdown map[string]*StickinessResult
}

// StickyPeriod is one distribution of active days.
type StickyPeriod struct {
	Start time.Time
	// Days[k] counts profiles (for a cohort, profile-periods) active on k days; its
	// length is one more than the most days a period has (8 for weeks, 32 for months).
	Days []int64
}

// Mean returns the mean number of active days, 0 for an empty distribution.
func (sp StickyPeriod) Mean() float64 {
	var n, sum int64
	for k, v := range sp.Days {
		n += v
		sum += int64(k) * v
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// stickyTally accumulates one group's profiles.
type stickyTally struct {
	periods map[int64][]int64 // period -> histogram of active days (k >= 1)
	cohorts map[int64][]int64 // cohort -> histogram of active days over its active periods
	members map[int64]int64   // cohort -> profiles
}

func newStickyTally() *stickyTally {
	return &stickyTally{periods: map[int64][]int64{}, cohorts: map[int64][]int64{}, members: map[int64]int64{}}
}

func (st *stickyTally) merge(o *stickyTally) {
	add := func(dst, src map[int64][]int64) {
		for k, h := range src {
			if dst[k] == nil {
				dst[k] = make([]int64, len(h))
			}
			for i, v := range h {
				dst[k][i] += v
			}
		}
	}
	add(st.periods, o.periods)
	add(st.cohorts, o.cohorts)
	for k, v := range o.members {
		st.members[k] += v
	}
}

// stickyScan holds what the forms share: the calendar, the tallies by group and the
// profiles counted.
type stickyScan struct {
	cal    calendar
	slots  int // histogram length
	groups map[string]*stickyTally
	end    int64 // latest event time seen
	seen   bool
	// counted holds the profiles that did the event, each a member of one cohort of
	// one group. A partial decoded from version 1 (see countedVersion) counted
	// profiles it does not know, so the set may hold fewer than the cohorts' members,
	// never more.
	counted idSet
}

func (sk Stickiness) newScan() (*stickyScan, error) {
	if sk.Event.Name == "" && sk.Event.Match == nil {
		return nil, fmt.Errorf("%w: stickiness needs an Event", ErrInvalid)
	}
	if sk.By != Week && sk.By != Month {
		return nil, fmt.Errorf("%w: stickiness by %v, want week or month", ErrInvalid, sk.By)
	}
	cal, err := newCalendar(sk.By, sk.Location)
	if err != nil {
		return nil, err
	}
	slots := 8
	if sk.By == Month {
		slots = 32
	}
	return &stickyScan{cal: cal, slots: slots, groups: map[string]*stickyTally{}}, nil
}

// profile adds profile prof: times of its matching events in time order, and its
// group.
func (sc *stickyScan) profile(prof uint32, times []int64, group string) {
	if len(times) == 0 {
		return
	}
	sc.counted.add(prof)
	g := sc.groups[group]
	if g == nil {
		g = newStickyTally()
		sc.groups[group] = g
	}
	cohort := sc.cal.index(times[0])
	g.members[cohort]++
	ch := g.cohorts[cohort]
	if ch == nil {
		ch = make([]int64, sc.slots)
		g.cohorts[cohort] = ch
	}
	for i := 0; i < len(times); {
		per := sc.cal.index(times[i])
		days := 0
		lastDay := int64(-1 << 62)
		for ; i < len(times) && sc.cal.index(times[i]) == per; i++ {
			if d := sc.cal.day(times[i]); d != lastDay {
				days++
				lastDay = d
			}
		}
		h := g.periods[per]
		if h == nil {
			h = make([]int64, sc.slots)
			g.periods[per] = h
		}
		h[days]++
		ch[days]++
	}
}

// merge adds o's profiles to sc, which must be disjoint from sc's (see
// stickinessPartial.Merge).
func (sc *stickyScan) merge(o *stickyScan) {
	sc.counted.merge(&o.counted)
	for k, g := range o.groups {
		if sc.groups[k] == nil {
			sc.groups[k] = newStickyTally()
		}
		sc.groups[k].merge(g)
	}
	if o.seen && (!sc.seen || o.end > sc.end) {
		sc.end, sc.seen = o.end, true
	}
}

func (sc *stickyScan) result(breakdown bool) *StickinessResult {
	last := sc.cal.index(sc.end)
	build := func(g *stickyTally) *StickinessResult {
		res := &StickinessResult{By: sc.cal.by, Location: sc.cal.loc}
		for _, k := range slices.Sorted(maps.Keys(g.periods)) {
			res.Periods = append(res.Periods, StickyPeriod{Start: sc.cal.start(k), Days: g.periods[k]})
		}
		for _, k := range slices.Sorted(maps.Keys(g.cohorts)) {
			h := slices.Clone(g.cohorts[k])
			var active int64
			for _, v := range h[1:] {
				active += v
			}
			// Every member is followed from its cohort's period to the last observed one;
			// the periods it was not active in are the zeros.
			h[0] = g.members[k]*(last-k+1) - active
			res.Cohorts = append(res.Cohorts, StickyPeriod{Start: sc.cal.start(k), Days: h})
		}
		return res
	}
	all := newStickyTally()
	for _, k := range slices.Sorted(maps.Keys(sc.groups)) {
		all.merge(sc.groups[k])
	}
	res := build(all)
	if breakdown {
		res.Breakdown = map[string]*StickinessResult{}
		for k, g := range sc.groups {
			res.Breakdown[k] = build(g)
		}
	}
	return res
}

// Run computes the stickiness over events from any number of profiles, in any order.
func (sk Stickiness) Run(events []Event) (*StickinessResult, error) {
	sp, err := sk.partial(events)
	if err != nil {
		return nil, err
	}
	return sp.Result(), nil
}

// partial is Run's mergeable state (see Stickiness.Partial).
func (sk Stickiness) partial(events []Event) (*stickinessPartial, error) {
	seq, err := sortedByProfile(events, time.Time{})
	if err != nil {
		return nil, err
	}
	return sk.runGrouped(seq)
}

// RunSeq computes the stickiness over a stream grouped by profile (see Spec.RunSeq).
func (sk Stickiness) RunSeq(events iter.Seq[Event]) (*StickinessResult, error) {
	sp, err := sk.partialSeq(events)
	if err != nil {
		return nil, err
	}
	return sp.Result(), nil
}

// partialSeq is RunSeq's mergeable state (see Stickiness.Partial).
func (sk Stickiness) partialSeq(events iter.Seq[Event]) (*stickinessPartial, error) {
	var failed error
	sp, err := sk.runGrouped(profileStream(events, time.Time{}, &failed))
	if failed != nil {
		return nil, failed
	}
	return sp, err
}

func (sk Stickiness) runGrouped(events iter.Seq2[Event, int64]) (*stickinessPartial, error) {
	sp, err := sk.newState()
	if err != nil {
		return nil, err
	}
	sc := sp.scan
	var times []int64
	group := ""
	var firstT int64
	var cur uint32
	open := false
	flush := func() {
		if open {
			slices.Sort(times)
			sc.profile(cur, times, group)
			times, group = times[:0], ""
		}
	}
	for e, t := range events {
		if !open || e.Profile != cur {
			flush()
			cur, open = e.Profile, true
		}
		if !sc.seen || t > sc.end {
			sc.end, sc.seen = t, true
		}
		if sk.Event.matches(e) {
			// The group is the value on the profile's first matching event, ties in
			// input order (a stream may bring a profile's events in any time order).
			if len(times) == 0 || t < firstT {
				group, firstT = e.Props[sk.Breakdown], t
			}
			times = append(times, t)
		}
	}
	flush()
	sc.counted.settle() // see Trend.partialBatch
	return sp, nil
}

// RunBatch computes the stickiness over a columnar batch, profile ranges in parallel;
// the event is matched once per distinct name and a breakdown reads the batch's column
// for its property.
func (sk Stickiness) RunBatch(b *Batch) (*StickinessResult, error) {
	if b == nil {
		return nil, errNilBatch
	}
	sp, err := sk.partialBatch(b)
	if err != nil {
		return nil, err
	}
	return sp.Result(), nil
}

// partialBatch is RunBatch's mergeable state (see Stickiness.Partial).
func (sk Stickiness) partialBatch(b *Batch) (*stickinessPartial, error) {
	sp, err := sk.newState()
	if err != nil {
		return nil, err
	}
	base := sp.scan
	starts, err := b.profiles(time.Time{})
	if err != nil {
		return nil, err
	}
	match := b.byName(func(e Event) uint32 { return boolBit(sk.Event.matches(e)) })
	col := b.Props[sk.Breakdown]
	if sk.Breakdown == "" {
		col = nil
	}
	parts := split(len(starts)-1, workersFor(b.Len()), func(lo, hi int) *stickyScan {
		sc := &stickyScan{cal: base.cal, slots: base.slots, groups: map[string]*stickyTally{}}
		type hit struct {
			t   int64
			idx int
		}
		var hits []hit
		var times []int64
		for q := lo; q < hi; q++ {
			hits = hits[:0]
			for k := starts[q]; k < starts[q+1]; k++ {
				if t := b.Time[k]; !sc.seen || t > sc.end {
					sc.end, sc.seen = t, true
				}
				if match[b.Event[k]] != 0 {
					hits = append(hits, hit{b.Time[k], k})
				}
			}
			slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(a.t, b.t) })
			times = times[:0]
			for _, h := range hits {
				times = append(times, h.t)
			}
			group := ""
			if col != nil && len(hits) > 0 {
				group = b.Values[col[hits[0].idx]]
			}
			sc.profile(b.Profile[starts[q]], times, group)
		}
		return sc
	})
	for _, q := range parts {
		base.merge(q)
	}
	base.counted.settle() // see Trend.partialBatch
	return sp, nil
}
