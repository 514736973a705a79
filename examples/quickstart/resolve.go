package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/english"
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
	mergesBy              map[string]int // by the channel of the event that linked the profiles

	// Against the truth: profiles holding more than one person, and users (people who
	// signed up, so that the generator linked all their identifiers in one event at
	// least once) spread over more than one profile.
	mixedProfiles, users, splitUsers int

	matched matched // what probabilistic matching added afterwards
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
	res, err := identity.New(rules, identity.OnMerge(func(m identity.Merge) {
		out.merges++
		if out.mergesBy == nil {
			out.mergesBy = map[string]int{}
		}
		out.mergesBy[m.Cause]++
	}))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	people := map[int32]bool{}
	ids := make([]identity.ID, 0, 8)
	var log eventLog
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
		log.add(ev)
	}
	// The generator streams person by person; the host sees one timeline.
	out.events = log.byTime()
	for i := range out.events {
		out.events[i].profile = res.Current(out.events[i].profile)
	}
	st := res.Stats()
	out.identifiers, out.profiles, out.people = st.Identifiers, st.Profiles, len(people)
	out.grade()
	if out.matched, err = matchContacts(ctx, res, p); err != nil {
		return nil, fmt.Errorf("probabilistic matching: %w", err)
	}
	return out, nil
}

// eventLog gathers the resolved events in chunks of a fixed size: appended to one
// slice, the million-person base's 2.8 million events of 128 bytes were copied to a
// larger slice again and again as it grew (a quarter larger each time), which with
// the fresh memory's page faults took longer than resolving them.
type eventLog struct {
	chunks [][]event
	n      int
}

const eventChunk = 1 << 14

func (l *eventLog) add(e event) {
	if l.n%eventChunk == 0 {
		l.chunks = append(l.chunks, make([]event, 0, eventChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, e)
	l.n++
}

func (l *eventLog) at(i int) *event { return &l.chunks[i/eventChunk][i%eventChunk] }

// byTime returns the events in one slice of their exact length, in order of time and,
// among events at the same time, in the order they were added: what a stable sort by
// time of the appended events gives (TestEventLogByTime). It sorts small keys, the
// instant and the position, rather than moving the events themselves in a stable
// sort's many swaps.
func (l *eventLog) byTime() []event {
	type key struct {
		sec  int64
		nsec int32
		i    int32
	}
	keys := make([]key, 0, l.n)
	for i := range l.n {
		t := l.at(i).at
		keys = append(keys, key{t.Unix(), int32(t.Nanosecond()), int32(i)})
	}
	// Unix seconds and nanoseconds order instants as time.Time.Compare does; the
	// position (an int32: a base has a few million events at most) breaks ties, so the
	// unstable sort's order is the stable one.
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec), cmp.Compare(a.i, b.i))
	})
	out := make([]event, l.n)
	for k, key := range keys {
		out[k] = *l.at(int(key.i))
	}
	return out
}

func dropReason(err error) string {
	switch {
	case errors.Is(err, identity.ErrBlocked):
		return "a blocked junk value (\"null\", a test e-mail, the shop's own phone)"
	case errors.Is(err, identity.ErrUnparseable):
		return "unparseable (not an e-mail, not a phone number)"
	default:
		return "other"
	}
}

// grade compares the profiles with the generator's truth. It counts distinct (profile,
// person) pairs by sorting them as 64-bit keys, profile first and then person first:
// the maps of maps it used before held a small map for each of the million-person
// base's 1.8 million profiles and million people, and took seconds
// (BenchmarkGrade; TestGradeMatchesMaps holds the counts to theirs).
func (r *resolved) grade() {
	signedUp := map[int32]bool{}
	byProfile := make([]uint64, len(r.events))
	for k, e := range r.events {
		if e.kind == synth.Signup {
			signedUp[e.person] = true
		}
		byProfile[k] = uint64(e.profile)<<32 | uint64(uint32(e.person))
	}
	slices.Sort(byProfile)
	byProfile = slices.Compact(byProfile)
	// A profile is mixed when its run of distinct pairs holds a second person: count
	// it at that second pair.
	byPerson := make([]uint64, len(byProfile))
	for k, key := range byProfile {
		if k > 0 && key>>32 == byProfile[k-1]>>32 && (k < 2 || byProfile[k-2]>>32 != key>>32) {
			r.mixedProfiles++
		}
		byPerson[k] = key<<32 | key>>32 // person, then profile
	}
	slices.Sort(byPerson)
	r.users = len(signedUp)
	for k, key := range byPerson {
		person := int32(uint32(key >> 32))
		if k > 0 && key>>32 == byPerson[k-1]>>32 && (k < 2 || byPerson[k-2]>>32 != key>>32) && signedUp[person] {
			r.splitUsers++
		}
	}
}

// report writes the identity section of the text report.
func (r *resolved) report(w *reportWriter) {
	w.section(secIdentity)
	events := len(r.events) + r.lost
	// Each row's text starts with its noun in the plural: a count of one takes the
	// singular, as the rest of the report does ("1 merges" read as a report nobody read).
	row := func(n int, what string, args ...any) {
		if n == 1 {
			if i := strings.IndexAny(what, " :"); i > 0 {
				what = strings.TrimSuffix(what[:i], "s") + what[i:]
			}
		}
		w.line("%9s  %s", thousands(n), fmt.Sprintf(what, args...))
	}
	row(r.identifiers, "identifiers kept, from the %s", counted(events, "event"))
	row(r.profiles, "profiles for %s: %.2f profiles a person, because a person reached or seen under one identifier and never under a second in the same event stays several profiles", people(r.people), float64(r.profiles)/float64(max(1, r.people)))
	row(r.merges, "merges: two profiles joined because one event carried identifiers of both")
	for _, k := range slices.Sorted(maps.Keys(r.dropped)) {
		row(r.dropped[k], "identifiers dropped: %s", k)
	}
	row(r.refused, "identifiers refused by a limit (too many identifiers of one kind on a profile)")
	row(r.quarantined, "identifiers quarantined: each met more than 5 profiles, so it joins none")
	row(r.lost, "events lost: every identifier they carried was junk (%.2f%% of the events)", pct(r.lost, events))
	row(r.mixedProfiles, "profiles mixing two or more people: %.3f%% of the %s (visitors on a shared family tablet)", pct(r.mixedProfiles, r.profiles), counted(r.profiles, "profile"))
	row(r.splitUsers, "users split over two or more profiles: %.2f%% of the %s who became %s (a social id seen alone)", pct(r.splitUsers, r.users), people(r.users), english.Plural(r.users, "a user", "users"))
	if r.matched.untrained != nil {
		w.line("%9s  no probabilistic matching: too few loyalty cards and accounts (%s) to train a model without labels (%v)", "-", counted(r.matched.cards, "card"), r.matched.untrained)
		return
	}
	row(r.matched.merges, "profiles joined by probabilistic matching, %s of them rightly: loyalty cards (%s), which share no identifier, joined to accounts by name, city and mistyped phone", thousands(r.matched.right), thousands(r.matched.cards))
	if len(r.matched.unsettled) > 0 {
		w.line("%9s  warning: the matching model's EM stopped at its iteration cap before converging in the training sessions on %s, so its weights are approximate", "-", strings.Join(r.matched.unsettled, "; "))
	}
}

func pct(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(k) / float64(n)
}
