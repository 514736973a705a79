package referral

import (
	"context"
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
	PurchaseOver                // the first order of at least Rules.MinAmount
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
	// profile key (after identity merges), the same person per WithPeople, or a
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

// Rules are a referral programme's rules: attribution, what qualifies, rewards and
// their hold, caps and fraud guards. Amounts are in the currency's minor unit, each at
// most math.MaxInt64/4, and a ledger holds at most 2^62 of them in all (see ErrInvalid). The
// zero value of a field means its default, shown in brackets.
type Rules struct {
	Window      time.Duration // [30 days] how long a touch can lead to an attributed sign-up
	Attribution Attribution   // [FirstReferrer]

	Qualify       Action        // [FirstPurchase]
	MinAmount     int64         // order amount needed with PurchaseOver
	QualifyWithin time.Duration // [no limit] time after sign-up to qualify

	ReferrerReward int64         // paid to the referrer per qualified referral
	ReferredReward int64         // paid to the referred person
	Hold           time.Duration // time after qualifying before a reward is payable (at the latest April 2262, where records' times end)

	CapPerReferrer int64         // [no cap] referrer rewards over all time
	CapPerPeriod   int64         // [no cap] referrer rewards within CapPeriod
	CapPeriod      time.Duration // window of CapPerPeriod, ending at the reward

	Guards Guards
}

// An Option configures a Program. An option given a bad value makes Open fail with
// ErrInvalid naming the option.
type Option func(*config) error

// config is what the options set.
type config struct {
	people PersonResolver
	clock  clientele.Clock
	ctx    context.Context // WithReplayContext; nil: none
}

// WithPeople makes the self-referral guard ask r whether referrer and referred are one
// person (see PersonResolver); an *identity.Resolver is one. Without it only equal
// profile keys and shared signals reveal a self-referral. A nil r is ErrInvalid.
func WithPeople(r PersonResolver) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: WithPeople: nil PersonResolver", ErrInvalid)
		}
		c.people = r
		return nil
	}
}

// WithClock dates the merges applied with ApplyMerge, whose reports carry no time, at
// c's Now; without it they are dated at the zero time. Every other event carries its
// own time. A nil c is ErrInvalid.
func WithClock(c clientele.Clock) Option {
	return func(cf *config) error {
		if c == nil {
			return fmt.Errorf("%w: WithClock: nil Clock", ErrInvalid)
		}
		cf.clock = c
		return nil
	}
}

// WithReplayContext makes ctx bound the replay Open performs: when ctx is done before
// the replay ends, Open stops it and fails with an error wrapping ctx.Err()
// (errors.Is(err, context.Canceled) or context.DeadlineExceeded) that says how many
// records it had replayed, and returns no Program; a ctx done already fails Open before
// it reads the store. A host that starts on a long ledger, or on a PostgreSQL that
// answers slowly, so stays able to stop (on SIGTERM, say) while Open runs. The replay
// looks at ctx every few hundred records; on a SharedStore with SinceContext and
// RecordsContext, as referral/pgstore has, ctx also ends a wait for the store (a lock
// another session holds, a stalled connection; after a failed flush too), which
// Options.Timeout there ends only after Timeout, and never when it is zero. On another
// store a wait inside its Records ends when the store returns. ctx also bounds the
// rewrite that finishes an interrupted forget (see Open) on a store with CompactContext
// (see Compacter), as referral/pgstore has; Compact alone is not bounded.
//
// ctx bounds Open only: the Program does not keep it, and its later calls (the events,
// CatchUp, the rebuild of a shared ledger after a failed Settle) take their own. A nil
// ctx is ErrInvalid.
func WithReplayContext(ctx context.Context) Option {
	return func(c *config) error {
		if ctx == nil {
			return fmt.Errorf("%w: WithReplayContext: nil context", ErrInvalid)
		}
		c.ctx = ctx
		return nil
	}
}

const defaultWindow = 30 * 24 * time.Hour

func (c Rules) withDefaults() (Rules, error) {
	if c.Window == 0 {
		c.Window = defaultWindow
	}
	// A negative field is named with its value: Rules has four durations and five
	// amounts, and "negative amount" left the host to find which.
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"Window", c.Window}, {"Hold", c.Hold}, {"QualifyWithin", c.QualifyWithin}, {"CapPeriod", c.CapPeriod}} {
		if f.d < 0 {
			return c, fmt.Errorf("%w: rules: %s %v is negative", ErrInvalid, f.name, f.d)
		}
	}
	for _, f := range []struct {
		name string
		n    int64
	}{{"ReferrerReward", c.ReferrerReward}, {"ReferredReward", c.ReferredReward}, {"MinAmount", c.MinAmount}, {"CapPerReferrer", c.CapPerReferrer}, {"CapPerPeriod", c.CapPerPeriod}} {
		if f.n < 0 {
			return c, fmt.Errorf("%w: rules: %s %d is negative", ErrInvalid, f.name, f.n)
		}
	}
	switch {
	case c.Attribution > LastReferrer:
		return c, fmt.Errorf("%w: rules: unknown attribution %d", ErrInvalid, c.Attribution)
	case c.Qualify > PurchaseOver:
		return c, fmt.Errorf("%w: rules: unknown qualifying action %d", ErrInvalid, c.Qualify)
	case c.ReferrerReward > maxAmount || c.ReferredReward > maxAmount || c.MinAmount > maxAmount || c.CapPerReferrer > maxAmount || c.CapPerPeriod > maxAmount:
		return c, fmt.Errorf("%w: rules: ReferrerReward %d, ReferredReward %d, MinAmount %d, CapPerReferrer %d, CapPerPeriod %d: each must be at most %d (math.MaxInt64/4), the largest amount an event may carry",
			ErrInvalid, c.ReferrerReward, c.ReferredReward, c.MinAmount, c.CapPerReferrer, c.CapPerPeriod, int64(maxAmount))
	case c.CapPerPeriod > 0 && c.CapPeriod == 0:
		return c, fmt.Errorf("%w: rules: CapPerPeriod without CapPeriod", ErrInvalid)
	case c.Guards.SelfReferral > Ignore || c.Guards.Cycle > Ignore || c.Guards.Velocity > Ignore:
		return c, fmt.Errorf("%w: rules: unknown guard response", ErrInvalid)
	}
	for _, l := range []RateLimit{c.Guards.PerReferrer, c.Guards.PerDevice, c.Guards.PerNetwork} {
		if l.Max < 0 || l.Period < 0 || (l.Max > 0 && l.Period == 0) {
			return c, fmt.Errorf("%w: rules: velocity limit %+v: want Max >= 0 and a Period with Max", ErrInvalid, l)
		}
	}
	return c, nil
}
