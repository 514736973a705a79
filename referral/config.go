package referral

import (
	"fmt"
	"time"

	"github.com/clientele-go/clientele"
)

// Attribution says which referrer wins when a new profile was touched by several within the
// attribution window.
type Attribution uint8

const (
	FirstReferrer Attribution = iota // the earliest touch in the window wins (the default)
	LastReferrer                     // the latest touch wins
)

// Action is the qualifying action of the referred person that earns the rewards.
type Action uint8

const (
	FirstPurchase Action = iota // the referred person's first order (the default)
	AtSignup                    // signing up through the referral
	PurchaseOver                // the first order of at least Config.MinAmount
)

// Response is what a fraud guard does when it fires.
type Response uint8

const (
	Block  Response = iota // refuse the referral: no referrer, no rewards (the default)
	Flag                   // accept it, and record the reason for review
	Ignore                 // do not check
)

// String names the response: "block", "flag" or "ignore".
func (r Response) String() string {
	switch r {
	case Block:
		return "block"
	case Flag:
		return "flag"
	case Ignore:
		return "ignore"
	}
	return fmt.Sprintf("Response(%d)", uint8(r))
}

// RateLimit bounds how many referred sign-ups may happen within Period. Max 0 means no
// limit.
type RateLimit struct {
	Max    int
	Period time.Duration
}

// Guards configure the fraud checks run when a sign-up is attributed. Each decision
// carries a reason naming the guard and the evidence.
type Guards struct {
	// SelfReferral fires when referrer and referred are the same person: the same
	// profile key (after identity merges), the same person per Config.People, or a
	// shared email, phone or device between the referrer's and the referred's signals.
	SelfReferral Response
	// Cycle fires when the referrer descends from the referred person in the referral
	// tree, so that the referral would close a loop.
	Cycle Response
	// Velocity fires when a limit below is reached: referred sign-ups per referrer, per
	// device or per network within the limit's period, counting this one.
	Velocity                           Response
	PerReferrer, PerDevice, PerNetwork RateLimit
}

// PersonResolver tells which profile key now holds a person: Current returns the key
// that holds profile after any identity merges, or 0 for an unknown profile. Two profiles
// are the same person when Current gives both the same non-zero key.
// *identity.Resolver satisfies it; the referral package does not import identity.
type PersonResolver interface {
	Current(profile uint32) uint32
}

// Config is a referral programme. Amounts are in the currency's minor unit. The zero
// value of a field means its default, shown in brackets.
type Config struct {
	Window      time.Duration // [30 days] how long a touch can lead to an attributed sign-up
	Attribution Attribution   // [FirstReferrer]

	Qualify       Action        // [FirstPurchase]
	MinAmount     int64         // order amount needed with PurchaseOver
	QualifyWithin time.Duration // [no limit] time after sign-up to qualify

	ReferrerReward int64         // paid to the referrer per qualified referral
	ReferredReward int64         // paid to the referred person
	Hold           time.Duration // time after qualifying before a reward is payable

	CapPerReferrer int64         // [no cap] referrer rewards over all time
	CapPerPeriod   int64         // [no cap] referrer rewards within CapPeriod
	CapPeriod      time.Duration // window of CapPerPeriod, ending at the reward

	Guards Guards
	People PersonResolver // optional: asked whether referrer and referred are one person

	// Clock dates merges applied with ApplyMerge (whose reports carry no time); nil
	// dates them at the zero time.
	Clock clientele.Clock
}

const defaultWindow = 30 * 24 * time.Hour

func (c Config) withDefaults() (Config, error) {
	if c.Window == 0 {
		c.Window = defaultWindow
	}
	switch {
	case c.Window < 0 || c.Hold < 0 || c.QualifyWithin < 0 || c.CapPeriod < 0:
		return c, fmt.Errorf("%w: config: negative duration", ErrInvalid)
	case c.Attribution > LastReferrer:
		return c, fmt.Errorf("%w: config: unknown attribution %d", ErrInvalid, c.Attribution)
	case c.Qualify > PurchaseOver:
		return c, fmt.Errorf("%w: config: unknown qualifying action %d", ErrInvalid, c.Qualify)
	case c.ReferrerReward < 0 || c.ReferredReward < 0 || c.MinAmount < 0 || c.CapPerReferrer < 0 || c.CapPerPeriod < 0:
		return c, fmt.Errorf("%w: config: negative amount", ErrInvalid)
	case c.CapPerPeriod > 0 && c.CapPeriod == 0:
		return c, fmt.Errorf("%w: config: CapPerPeriod without CapPeriod", ErrInvalid)
	case c.Guards.SelfReferral > Ignore || c.Guards.Cycle > Ignore || c.Guards.Velocity > Ignore:
		return c, fmt.Errorf("%w: config: unknown guard response", ErrInvalid)
	}
	for _, l := range []RateLimit{c.Guards.PerReferrer, c.Guards.PerDevice, c.Guards.PerNetwork} {
		if l.Max < 0 || l.Period < 0 || (l.Max > 0 && l.Period == 0) {
			return c, fmt.Errorf("%w: config: velocity limit %+v: want Max >= 0 and a Period with Max", ErrInvalid, l)
		}
	}
	return c, nil
}
