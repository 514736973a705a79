package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/segment"
)

// audiences are the saved segments of the quickstart: who a campaign would reach.
var audiences = []struct{ name, expr, why string }{
	{"users", "count(visit, 30d) >= 2", "users now: two or more visits in the last 30 days"},
	{"buyers_to_be", "segment:users AND NOT did(purchase)", "users now who never bought: convert them"},
	{"lapsed_customers", "lapsed(purchase, 90d)", "customers with no purchase in 90 days: win them back"},
	{"vip", "spend >= 20000", "customers who spent 200.00 or more: ask them for referrals"},
}

// segments is the segment step's outcome.
type segments struct {
	index   *segment.Index
	members []*roaring.Bitmap // each audience at the end, for the overlaps
	sizes   []uint64
	evalDur []time.Duration
	// entered and exited users between a refresh 30 days before the end and one at it.
	entered, exited uint64
}

// buildSegments loads the resolved events into a segment.Index: behaviour (visits,
// sign-ups, purchases), the channels each profile was seen on as tags, and net spend in
// cents as a number; then saves the audiences and evaluates them at the end.
func buildSegments(r *resolved, end time.Time) (*segments, error) {
	x, err := segment.NewIndex(
		segment.WithNumber("spend", segment.MergeSum),
		segment.WithEvents("visit", "purchase", "signup"),
	)
	if err != nil {
		return nil, err
	}
	var batch []segment.Activity
	spend := map[uint32]float64{}
	channels := map[string]*roaring.Bitmap{}
	for _, e := range r.events {
		switch e.kind {
		case synth.Visit, synth.Signup, synth.Purchase:
			batch = append(batch, segment.Activity{Event: e.kind.String(), Profile: e.profile, At: e.at})
		}
		switch e.kind {
		case synth.Purchase:
			spend[e.profile] += e.amount
		case synth.Refund:
			spend[e.profile] -= e.amount
		}
		if e.kind != synth.Touch {
			b := channels[e.channel]
			if b == nil {
				b = roaring.New()
				channels[e.channel] = b
			}
			b.Add(e.profile)
		}
	}
	if err := x.RecordBatch(batch); err != nil {
		return nil, err
	}
	for ch, b := range channels {
		x.Tag("channel:"+ch, b.ToArray()...)
	}
	profiles := make([]uint32, 0, len(spend))
	cents := make([]int64, 0, len(spend))
	for p, v := range spend {
		profiles = append(profiles, p)
		cents = append(cents, int64(math.Round(100*v)))
	}
	if err := x.SetNumbers("spend", profiles, cents); err != nil {
		return nil, err
	}

	s := &segments{index: x}
	for _, a := range audiences {
		q, err := segment.Parse(a.expr)
		if err != nil {
			return nil, fmt.Errorf("audience %s: %w", a.name, err)
		}
		if err := x.Save(a.name, q); err != nil {
			return nil, fmt.Errorf("audience %s: %w", a.name, err)
		}
	}
	// Live membership: a refresh a month before the end, then one at the end, tell who
	// entered and who left the users audience in that month.
	if _, err := x.Refresh(end.AddDate(0, 0, -30)); err != nil {
		return nil, err
	}
	changes, err := x.Refresh(end)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if c.Segment == "users" {
			s.entered, s.exited = c.Entered.GetCardinality(), c.Exited.GetCardinality()
		}
	}
	for _, a := range audiences {
		q, _ := segment.Parse("segment:" + a.name)
		start := wallClock.Now()
		n, err := x.Count(context.Background(), end, q, nil)
		if err != nil {
			return nil, err
		}
		s.sizes = append(s.sizes, n)
		m, err := x.Eval(context.Background(), end, q, nil)
		if err != nil {
			return nil, err
		}
		s.members = append(s.members, m)
		s.evalDur = append(s.evalDur, wallClock.Now().Sub(start))
	}
	return s, nil
}

func (s *segments) report(w *reportWriter, profiles int) {
	w.section(secAudiences)
	w.line("%-17s %9s %8s  %-38s %s", "audience", "profiles", "of all", "query", "who")
	for i, a := range audiences {
		w.line("%-17s %9s %7.2f%%  %-38s %s", a.name, thousands(s.sizes[i]), pct(int(s.sizes[i]), profiles), a.expr, a.why)
	}
	w.line("(shares are of the %s; each audience counted in under %s)", counted(profiles, "profile"), s.slowest().Round(time.Millisecond)+time.Millisecond)
	w.line("in the last 30 days %s %s and %s stopped being %s (fewer than two visits in the 30 days before the end)",
		thousands(s.entered), english.Plural(s.entered, "profile became a user", "profiles became users"),
		thousands(s.exited), english.Plural(s.exited, "a user", "users"))
}

// slowest is the longest time an audience took to count.
func (s *segments) slowest() time.Duration {
	var d time.Duration
	for _, x := range s.evalDur {
		d = max(d, x)
	}
	return d
}
