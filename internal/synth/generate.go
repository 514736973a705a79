package synth

import (
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Generate streams the events of the base that p describes (zero fields take their
// defaults). Events come person by person, each person's in time order; people reached
// by promotions come in index order, each followed by the people their invites brought
// (depth first). Memory is bounded by one person's events and the pending invitees.
func Generate(p Params) iter.Seq[Event] {
	p = p.Default()
	return func(yield func(Event) bool) {
		g := newGenerator(p)
		for i := range p.People {
			if !g.emitTree(person{index: i, referrer: -1}, yield) {
				return
			}
		}
	}
}

// PromotionRates returns the response rate of every promotion of p, the truth behind the
// touches: a promotion's rate is the chance that a person it reaches becomes a user.
func PromotionRates(p Params) []float64 {
	return newGenerator(p.Default()).rates
}

// PromotionChannel returns the marketing channel promotion i runs on.
func PromotionChannel(i int) string { return MarketingChannels[i%len(MarketingChannels)] }

type generator struct {
	p     Params
	rates []float64
	next  int // next person index for referred people
}

type person struct {
	index      int
	referrer   int // -1 when reached by a promotion
	code       string
	invitedAt  time.Time
	generation int
}

func newGenerator(p Params) *generator {
	// Rates are the Beta distribution's quantiles at evenly spaced probabilities, shuffled:
	// the promotions then follow the distribution exactly rather than by luck of the draw.
	beta := distuv.Beta{Alpha: p.PromoAlpha, Beta: p.PromoBeta}
	rates := make([]float64, p.Promotions)
	for i := range rates {
		rates[i] = beta.Quantile((float64(i) + 0.5) / float64(len(rates)))
	}
	rand.New(rand.NewPCG(p.Seed, math.MaxUint64)).Shuffle(len(rates), func(i, j int) { rates[i], rates[j] = rates[j], rates[i] })
	return &generator{p: p, rates: rates, next: p.People}
}

// emitTree yields a person's events, then those of the people they referred.
func (g *generator) emitTree(root person, yield func(Event) bool) bool {
	stack := []person{root}
	for len(stack) > 0 {
		pr := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		events, invitees := g.life(pr)
		for _, e := range events {
			if !yield(e) {
				return false
			}
		}
		// Push in reverse so that invitees come out in the order they were invited.
		for i := len(invitees) - 1; i >= 0; i-- {
			stack = append(stack, invitees[i])
		}
	}
	return true
}

// life draws everything one person does during the observation period.
func (g *generator) life(pr person) ([]Event, []person) {
	p := g.p
	src := rand.NewPCG(p.Seed, uint64(pr.index)+1)
	rng := rand.New(src)
	ids := newIdentifiers(pr.index, rng, p)
	l := lifeBuilder{g: g, pr: pr, rng: rng, src: src, ids: ids}
	end := p.End()

	var start time.Time
	isUser := false
	if pr.referrer >= 0 {
		// Invited friends who accept come back through the link within days.
		start = pr.invitedAt.Add(l.expDuration(3 * 24 * time.Hour))
		isUser = true
	} else {
		// Reached by a promotion in the first five sixths of the period, so that people
		// reached late still have time to respond.
		promo := rng.IntN(p.Promotions)
		reach := p.Start.Add(time.Duration(rng.Float64() * float64(p.Days) * 5 / 6 * float64(24*time.Hour)))
		l.touch(reach, promo)
		// Some are reached again on other channels before they act.
		for range rng.IntN(3) {
			other := rng.IntN(p.Promotions)
			l.touch(reach.Add(l.expDuration(4*24*time.Hour)), other)
		}
		start = reach.Add(l.expDuration(2 * 24 * time.Hour))
		switch u := rng.Float64(); {
		case u < g.rates[promo]:
			isUser = true
		case u < g.rates[promo]+p.VisitorRate:
			l.visit(start, "web")
		}
	}
	if !isUser || !start.Before(end) {
		return l.done(), nil
	}

	// A user: two visits within 30 days, an account at the second.
	l.visit(start, "web")
	second := start.Add(time.Duration(1+rng.IntN(25)) * 24 * time.Hour)
	l.visit(second, "web")
	l.signup(second)

	// Every user buys once, some time after signing up (the period may end first); then
	// repeat purchases follow BG/NBD: exponential gaps at rate λ, dropout with
	// probability p after each repeat purchase (Fader, Hardie & Lee 2005, section 2).
	lambda := distuv.Gamma{Alpha: p.R, Beta: p.Alpha, Src: src}.Rand()
	dropout := distuv.Beta{Alpha: p.A, Beta: p.B, Src: src}.Rand()
	nu := distuv.Gamma{Alpha: p.Q, Beta: p.Gamma, Src: src}.Rand()
	spend := distuv.Gamma{Alpha: p.P, Beta: nu, Src: src}

	alive := end
	t := second.Add(l.expDuration(20 * 24 * time.Hour))
	var invitees []person
	if t.Before(end) {
		l.purchase(t, spend.Rand())
		invitees = l.invites(t, end)
		for {
			gap := rng.ExpFloat64() / lambda // days
			if gap > float64(p.Days) {
				break
			}
			t = t.Add(time.Duration(gap * float64(24*time.Hour)))
			if !t.Before(end) {
				break
			}
			l.purchase(t, spend.Rand())
			if rng.Float64() < dropout {
				alive = t
				break
			}
		}
	}
	// While alive, users keep visiting, about every ten days.
	for v := second.Add(l.expDuration(10 * 24 * time.Hour)); v.Before(alive); v = v.Add(l.expDuration(10 * 24 * time.Hour)) {
		l.visit(v, Channels[rng.IntN(len(Channels))])
	}
	return l.done(), invitees
}

// lifeBuilder collects one person's events.
type lifeBuilder struct {
	g      *generator
	pr     person
	rng    *rand.Rand
	src    rand.Source
	ids    identifiers
	events []Event
	orders int
	userID string
}

func (l *lifeBuilder) expDuration(mean time.Duration) time.Duration {
	return time.Duration(l.rng.ExpFloat64() * float64(mean))
}

func (l *lifeBuilder) add(e Event) {
	if !e.Time.Before(l.g.p.End()) {
		return
	}
	e.Person = l.pr.index
	if e.Kind != Signup {
		e.Referrer = -1
	}
	l.events = append(l.events, e)
}

func (l *lifeBuilder) done() []Event {
	slices.SortStableFunc(l.events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return l.events
}

func (l *lifeBuilder) touch(at time.Time, promo int) {
	ch := PromotionChannel(promo)
	var id []ID
	switch ch {
	case "email":
		id = []ID{l.ids.email(l.rng, l.g.p)}
	case "sms":
		id = []ID{l.ids.phone(l.rng, l.g.p, "web")}
	case "social":
		id = []ID{{"social_id", l.ids.social}}
	default:
		id = []ID{{"anonymous_id", l.ids.anon(l.rng)}}
	}
	l.add(Event{Time: at, Kind: Touch, Channel: ch, Promotion: promo, IDs: id})
}

func (l *lifeBuilder) visit(at time.Time, channel string) {
	var id []ID
	switch channel {
	case "store":
		id = []ID{l.ids.phone(l.rng, l.g.p, "store")}
	case "social":
		id = []ID{{"social_id", l.ids.social}}
		if l.rng.IntN(3) == 0 {
			id = append(id, l.ids.email(l.rng, l.g.p))
		}
	case "call_centre":
		id = []ID{l.ids.phone(l.rng, l.g.p, "call_centre")}
		if l.rng.IntN(2) == 0 {
			id = append(id, l.ids.typedEmail(l.rng, l.g.p))
		}
	default:
		id = []ID{{"anonymous_id", l.ids.anon(l.rng)}, {"device_id", l.ids.device}}
		if l.userID != "" {
			id = append(id, ID{"user_id", l.userID})
		}
	}
	l.add(Event{Time: at, Kind: Visit, Channel: channel, IDs: id})
}

func (l *lifeBuilder) signup(at time.Time) {
	l.userID = "u" + strconv.Itoa(l.pr.index+1)
	l.add(Event{Time: at, Kind: Signup, Channel: "web", Code: l.pr.code, Referrer: l.pr.referrer, IDs: []ID{
		{"user_id", l.userID},
		l.ids.email(l.rng, l.g.p),
		l.ids.phone(l.rng, l.g.p, "web"),
		{"anonymous_id", l.ids.anon(l.rng)},
		{"device_id", l.ids.device},
	}})
}

func (l *lifeBuilder) purchase(at time.Time, amount float64) {
	l.orders++
	order := "o" + strconv.Itoa(l.pr.index+1) + "-" + strconv.Itoa(l.orders)
	amount = math.Round(amount*100) / 100
	e := Event{Time: at, Kind: Purchase, Order: order, Amount: amount}
	if l.rng.IntN(5) < 2 {
		e.Channel = "store"
		e.IDs = []ID{l.ids.phone(l.rng, l.g.p, "store")}
	} else {
		e.Channel = "web"
		e.IDs = []ID{{"user_id", l.userID}, l.ids.email(l.rng, l.g.p), {"device_id", l.ids.device}}
	}
	l.add(e)
	if l.rng.Float64() < l.g.p.RefundRate {
		back := at.Add(time.Duration(1+l.rng.IntN(14)) * 24 * time.Hour)
		l.add(Event{Time: back, Kind: Refund, Channel: e.Channel, Order: order, Amount: amount, IDs: e.IDs})
	}
}

// invites draws the invites a new customer sends and the friends who accept.
func (l *lifeBuilder) invites(from, end time.Time) []person {
	p := l.g.p
	if l.pr.generation >= p.MaxGenerations {
		return nil
	}
	n := int(distuv.Poisson{Lambda: p.InvitesPerCustomer, Src: l.src}.Rand())
	code := ReferralCode(l.pr.index)
	var out []person
	for range n {
		at := from.Add(time.Duration(l.rng.Float64() * float64(end.Sub(from))))
		l.add(Event{Time: at, Kind: Invite, Channel: "web", Code: code, IDs: []ID{{"user_id", l.userID}}})
		if l.rng.Float64() < p.InviteConversion {
			out = append(out, person{index: l.g.next, referrer: l.pr.index, code: code, invitedAt: at, generation: l.pr.generation + 1})
			l.g.next++
		}
	}
	return out
}

// ReferralCode is the code the generator gives person i's invites. It is a plain label:
// referral.Code is the programme's real, checksummed code format.
func ReferralCode(i int) string { return "REF" + strconv.FormatInt(int64(i+1), 36) }
