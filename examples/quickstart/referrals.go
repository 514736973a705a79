package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/attribution"
)

// referrals is the referral step's outcome.
type referrals struct {
	referred, blocked, flagged int
	reasons                    map[string]int
	payable                    int64 // cents owed to referrers and referred as of the end
	generations                []int
	top                        []topReferrer
	k                          referral.ViralCohort // the whole period as one cohort
	projected, limit           float64
	credit                     map[string][]attribution.Credit // per attribution model
	channels                   []string
	conversions                float64
}

type topReferrer struct {
	profile     uint32
	descendants int
}

// The attribution models the report compares.
var attributionModels = []struct {
	name  string
	model attribution.CreditRule
}{
	{"last touch", attribution.LastTouch{}},
	{"linear", attribution.Linear{}},
	{"Markov (order 1)", attribution.Markov{Order: 1}},
	{"Shapley", attribution.Shapley{}},
}

// runReferrals replays invitations, sign-ups, orders and refunds through a referral
// programme (a referrer earns 10.00 and the friend 5.00 on the friend's first purchase,
// payable after a 14-day hold; self-referrals by a shared device are blocked), then
// measures viral growth on the attributed sign-ups and attributes sign-ups to the
// marketing channels that touched people before.
func runReferrals(r *resolved, start, end time.Time) (*referrals, map[uint32]uint32, error) {
	prog, err := referral.Open(&referral.MemStore{}, referral.Rules{
		ReferrerReward: 1000,
		ReferredReward: 500,
		Hold:           14 * day,
		Guards: referral.Guards{
			SelfReferral: referral.Block,
			Cycle:        referral.Block,
			Velocity:     referral.Flag,
			PerReferrer:  referral.RateLimit{Max: 10, Period: 30 * day},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	rnd := rand.NewChaCha8([32]byte{1})
	codes := map[string]referral.Code{} // the generator's label of a referrer -> the programme's code
	device := map[uint32]string{}
	var invites []referral.Invite
	out := &referrals{reasons: map[string]int{}}
	for i, e := range r.events {
		key := fmt.Sprint(i)
		switch e.kind {
		case synth.Signup:
			device[e.profile] = e.device
			code := ""
			if e.code != "" {
				code = string(codes[e.code])
			}
			d, err := prog.SignUp(context.Background(), e.at, key, e.profile, code, referral.Signals{Device: e.device})
			if err != nil {
				return nil, nil, fmt.Errorf("sign-up of profile %d: %w", e.profile, err)
			}
			switch {
			case d.Blocked:
				out.blocked++
			case d.Referrer != 0:
				out.referred++
				if len(d.Reasons) > 0 {
					out.flagged++
				}
			}
			for _, why := range d.Reasons {
				out.reasons[strings.SplitN(why, ":", 2)[0]]++
			}
		case synth.Invite:
			// The generator does not say whom an invitation went to, so the programme is
			// not told of it (Program.Invite attributes by the invitee's contact); the
			// growth measures count it.
			invites = append(invites, referral.Invite{From: e.profile, At: e.at})
			if _, ok := codes[e.code]; !ok {
				c, err := prog.IssueCode(context.Background(), e.at, key, e.profile, referral.Signals{Device: device[e.profile]}, rnd)
				if err != nil {
					return nil, nil, err
				}
				codes[e.code] = c
			}
		case synth.Purchase:
			if err := prog.Order(context.Background(), e.at, key, e.profile, e.order, int64(100*e.amount+0.5)); err != nil {
				return nil, nil, fmt.Errorf("order %s: %w", e.order, err)
			}
		case synth.Refund:
			if err := prog.Refund(context.Background(), e.at, key, e.order); err != nil {
				return nil, nil, fmt.Errorf("refund of %s: %w", e.order, err)
			}
		}
	}
	for _, p := range prog.Payables(end) {
		out.payable += p.Amount
	}

	signups := prog.Signups()
	referrer := map[uint32]uint32{}
	for _, s := range signups {
		if s.Referrer != 0 {
			referrer[s.Profile] = s.Referrer
		}
	}
	tree, err := referral.NewTree(signups)
	if err != nil {
		return nil, nil, err
	}
	out.generations = tree.Generations()
	seen := map[uint32]bool{}
	for _, s := range signups {
		if seed, ok := tree.Seed(s.Profile); ok && !seen[seed] {
			seen[seed] = true
			out.top = append(out.top, topReferrer{seed, tree.Descendants(seed)})
		}
	}
	slices.SortFunc(out.top, func(a, b topReferrer) int {
		if a.descendants != b.descendants {
			return b.descendants - a.descendants
		}
		return int(a.profile) - int(b.profile)
	})
	out.top = out.top[:min(3, len(out.top))]
	ks, err := referral.ViralGrowth(signups, invites, start, end.Sub(start), 1, 0.95)
	if err != nil {
		return nil, nil, err
	}
	out.k = ks[0]
	organic := float64(out.k.Users - out.k.Referred)
	if out.projected, err = referral.Project(organic, out.k.K.Estimate, 5); err != nil {
		return nil, nil, err
	}
	if out.limit, err = referral.Limit(organic, out.k.K.Estimate); err != nil {
		out.limit = 0 // K >= 1: no limit to report
	}
	return out, referrer, out.attribute(r)
}

// attribute builds each profile's journey, the marketing channels that touched it up to
// its sign-up, and shares the sign-ups among the channels by every model.
func (out *referrals) attribute(r *resolved) error {
	type journey struct {
		touches   []string
		converted bool
	}
	journeys := map[uint32]*journey{}
	for _, e := range r.events {
		j := journeys[e.profile]
		if j == nil {
			j = &journey{}
			journeys[e.profile] = j
		}
		switch e.kind {
		case synth.Touch:
			if !j.converted {
				j.touches = append(j.touches, e.channel)
			}
		case synth.Signup:
			j.converted = true
		}
	}
	byPath := map[string]*attribution.Path{}
	for _, j := range journeys {
		if len(j.touches) == 0 {
			continue
		}
		k := strings.Join(j.touches, attribution.Separator)
		p := byPath[k]
		if p == nil {
			p = &attribution.Path{Touches: j.touches}
			byPath[k] = p
		}
		if j.converted {
			p.Conversions++
			out.conversions++
		} else {
			p.Nulls++
		}
	}
	keys := make([]string, 0, len(byPath))
	for k := range byPath {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	paths := make([]attribution.Path, len(keys))
	chans := map[string]bool{}
	for i, k := range keys {
		paths[i] = *byPath[k]
		for _, c := range paths[i].Touches {
			chans[c] = true
		}
	}
	for c := range chans {
		out.channels = append(out.channels, c)
	}
	slices.Sort(out.channels)
	out.credit = map[string][]attribution.Credit{}
	for _, m := range attributionModels {
		credits, err := attribution.Attribute(paths, m.model)
		if err != nil {
			return fmt.Errorf("%s attribution: %w", m.name, err)
		}
		for _, c := range out.channels {
			out.credit[m.name] = append(out.credit[m.name], credits[c])
		}
	}
	return nil
}

func (out *referrals) report(w *reportWriter) {
	w.section(secReferral)
	k := out.k
	w.line("%s came by referral (signed up with an invitation); the programme's guards blocked %s and flagged %s",
		plural(out.referred, "user"), thousands(out.blocked), thousands(out.flagged))
	for _, r := range slices.Sorted(maps.Keys(out.reasons)) {
		w.line("  guard %-20s %d", r, out.reasons[r])
	}
	w.line("rewards owed at the end: %s (to referrers and referred, after a 14-day hold)", money(float64(out.payable)))
	ci := fmt.Sprintf("95%% CI %.3f, %.3f", k.K.Lo, k.K.Hi)
	if math.IsInf(k.K.Hi, 1) {
		ci = "no interval from fewer than two users"
	}
	switch {
	case k.Users == 0:
		w.line("viral factor K: no user, so no invitation to count")
	case k.Invites == 0:
		w.line("viral factor K = 0: no invitation from the %s", plural(k.Users, "user"))
	default:
		w.line("viral factor K = %.3f invitations per user x %.1f%% of invitations that became users = %.3f [%s]",
			k.InvitesPerUser, 100*k.Conversion.Estimate, k.K.Estimate, ci)
	}
	if k.Converted > 0 {
		w.line("  %.1f%% of all users came by referral; a referral cycle (invitation to new user) takes %.1f days",
			100*k.Share.Estimate, k.CycleTime.Hours()/24)
	}
	if out.limit > 0 {
		own := int64(k.Users - k.Referred)
		w.line("  with K below 1, %s %s to %s after 5 cycles (at most %s)",
			thousands(own), english.Plural(own, "user who came on their own grows", "users who came on their own grow"),
			thousands(int64(math.Round(out.projected))), thousands(int64(math.Round(out.limit))))
	}
	gens := make([]string, len(out.generations))
	for i, n := range out.generations {
		gens[i] = fmt.Sprintf("%s in generation %d", thousands(n), i)
	}
	if len(gens) > 0 {
		w.line("users by referral generation (0 came on their own; k was brought by k-1): %s", strings.Join(gens, ", "))
	}
	for _, t := range out.top {
		if t.descendants == 0 {
			continue
		}
		w.line("  profile %d, who came on their own, brought %s, directly or through those they brought", t.profile, plural(t.descendants, "user"))
	}
	w.line("")
	if out.conversions == 0 {
		w.line("No user's sign-up followed a promotion, so the attribution models have nothing to credit.")
		return
	}
	conv := int64(math.Round(out.conversions))
	w.line("Users credited to each marketing channel by four attribution models: %s %s a promotion;", thousands(conv),
		english.Plural(conv, "user whose sign-up followed", "users whose sign-up followed"))
	w.line("  each column sums to %s.", thousands(int64(math.Round(out.conversions))))
	head := fmt.Sprintf("  %-10s", "channel")
	for _, m := range attributionModels {
		head += fmt.Sprintf(" %17s", m.name)
	}
	w.line("%s", head)
	for i, c := range out.channels {
		row := fmt.Sprintf("  %-10s", c)
		for _, m := range attributionModels {
			row += fmt.Sprintf(" %17.1f", out.credit[m.name][i].Conversions)
		}
		w.line("%s", row)
	}
}

// plural writes "1 user" or "3 users".
func plural[T ~int | ~int64 | ~uint64](n T, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}
