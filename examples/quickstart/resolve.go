package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/synth"
)

// event is one generated event after identity resolution: what the host would keep.
// person is the generator's ground truth, used only to grade the resolution.
type event struct {
	profile   uint32
	person    int32
	at        time.Time
	kind      synth.Kind
	channel   string
	promotion int
	amount    float64
	order     string
	code      string
	device    string // the device_id the event carried, if any
}

// resolved is the outcome of the identity step.
type resolved struct {
	events []event
	people int // distinct people in the generated events (the truth)

	identifiers, profiles int
	lost                  int            // events whose every identifier was dropped
	dropped               map[string]int // by reason
	refused, quarantined  int
	merges                int

	// Against the truth: profiles holding more than one person, and users (people who
	// signed up, so that the generator linked all their identifiers in one event at
	// least once) spread over more than one profile.
	mixedProfiles, users, splitUsers int
}

// resolveBase streams the generated base through an identity.Resolver. Each event's
// identifiers are linked as they arrive; merges are counted through OnMerge. The
// profile of every event is then read again through Current, so that events linked
// before a merge carry the survivor's key, which is what segment, funnel and scoring
// receive. (A live host would instead forward each Merge to segment.Index.ApplyMerge
// and referral.Program.ApplyMerge as it happens.)
func resolveBase(p synth.Params) (*resolved, error) {
	rules := identity.DefaultRules()
	// The generated shop is in China: its tills write mobile numbers without +86.
	phone := rules.Kinds["phone"]
	phone.Normalize = identity.PhoneNormalizer("86")
	// The shop's own number, typed at the till for customers who give none, would
	// gather strangers' purchases into one profile; the host knows it and blocks it.
	phone.Blocked = append(phone.Blocked, synth.ShopPhone)
	rules.Kinds["phone"] = phone

	out := &resolved{dropped: map[string]int{}}
	res, err := identity.New(rules, identity.OnMerge(func(identity.Merge) { out.merges++ }))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	people := map[int32]bool{}
	ids := make([]identity.ID, 0, 8)
	for e := range synth.Generate(p) {
		ids = ids[:0]
		for _, id := range e.IDs {
			ids = append(ids, identity.ID(id))
		}
		o, err := res.Resolve(ctx, e.Time, e.Channel, ids...)
		if err != nil {
			return nil, fmt.Errorf("resolve the %s of person %d at %s: %w", e.Kind, e.Person, e.Time.Format(time.DateTime), err)
		}
		for _, d := range o.Dropped {
			out.dropped[dropReason(d.Err)]++
		}
		out.refused += len(o.Refused)
		out.quarantined += len(o.Quarantined)
		people[int32(e.Person)] = true
		if o.Profile == 0 {
			out.lost++
			continue
		}
		ev := event{
			profile: o.Profile, person: int32(e.Person), at: e.Time, kind: e.Kind, channel: e.Channel,
			promotion: e.Promotion, amount: e.Amount, order: e.Order, code: e.Code,
		}
		for _, id := range e.IDs {
			if id.Kind == "device_id" {
				ev.device = id.Value
			}
		}
		out.events = append(out.events, ev)
	}
	for i := range out.events {
		out.events[i].profile = res.Current(out.events[i].profile)
	}
	// The generator streams person by person; the host sees one timeline.
	slices.SortStableFunc(out.events, func(a, b event) int { return a.at.Compare(b.at) })
	st := res.Stats()
	out.identifiers, out.profiles, out.people = st.Identifiers, st.Profiles, len(people)
	out.grade()
	return out, nil
}

func dropReason(err error) string {
	switch {
	case errors.Is(err, identity.ErrBlocked):
		return "blocked junk value"
	case errors.Is(err, identity.ErrUnparseable):
		return "unparseable"
	default:
		return "other"
	}
}

// grade compares the profiles with the generator's truth.
func (r *resolved) grade() {
	personsOf := map[uint32]map[int32]bool{}
	profilesOf := map[int32]map[uint32]bool{}
	signedUp := map[int32]bool{}
	for _, e := range r.events {
		if e.kind == synth.Signup {
			signedUp[e.person] = true
		}
		if personsOf[e.profile] == nil {
			personsOf[e.profile] = map[int32]bool{}
		}
		personsOf[e.profile][e.person] = true
		if profilesOf[e.person] == nil {
			profilesOf[e.person] = map[uint32]bool{}
		}
		profilesOf[e.person][e.profile] = true
	}
	for _, ps := range personsOf {
		if len(ps) > 1 {
			r.mixedProfiles++
		}
	}
	r.users = len(signedUp)
	for person := range signedUp {
		if len(profilesOf[person]) > 1 {
			r.splitUsers++
		}
	}
}

// report writes the identity section of the text report.
func (r *resolved) report(w *reportWriter) {
	w.section("Identity: one person, one profile")
	w.line("identifiers held     %9d  from %d events", r.identifiers, len(r.events)+r.lost)
	w.line("profiles             %9d  (the generator made %d people)", r.profiles, r.people)
	w.line("merges               %9d", r.merges)
	for _, k := range slices.Sorted(maps.Keys(r.dropped)) {
		w.line("dropped: %-19s %6d", k, r.dropped[k])
	}
	w.line("refused by a limit   %9d", r.refused)
	w.line("quarantined (hot)    %9d  identifiers that met more than 5 profiles", r.quarantined)
	w.line("events lost          %9d  every identifier was junk", r.lost)
	w.line("profiles mixing people %7d  %.3f%% of profiles: visitors on a shared family tablet", r.mixedProfiles, pct(r.mixedProfiles, r.profiles))
	w.line("users split          %9d  %.2f%% of the %d people who signed up: a social id seen alone", r.splitUsers, pct(r.splitUsers, r.users), r.users)
}

func pct(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(k) / float64(n)
}
