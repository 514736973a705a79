package loyalty

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Rules say how orders earn points, how long points are locked and when they expire,
// and how members reach tiers. The zero value earns one point per currency unit of 100
// minor units, locks nothing, never expires and has no tiers.
//
// Points decided under the rules (the points of an order, when its lot unlocks and
// expires) are recorded in the ledger, so that a replay reproduces them after the rules
// change; tiers are evaluated under the current rules whenever they are asked for.
type Rules struct {
	// Unit is the number of minor units in one currency unit: 100 for cents (the
	// default), 1 for a currency without minor units.
	Unit int64
	// Rate is the points earned per currency unit of an order; 0 means 1. An order
	// that earns nothing is a product or category rate of 0.
	Rate int64
	// Products and Categories give the points per currency unit of an order line of
	// that product or category instead of Rate, the product's rate first. A rate of 0
	// earns nothing (gift cards, say).
	Products, Categories map[string]int64
	// Lock is how long the points of an order stay locked after it: the returns window.
	// Locked points count towards the balance but cannot be spent. Bonuses and
	// adjustments are not locked. (A lock or expiry that would end after 2262, beyond
	// the ledger's time range, is recorded as the end of that range or as never.)
	Lock time.Duration
	// Expiry says when a lot's points expire (see Expiry).
	Expiry Expiry
	// Location is the time zone of month and year ends and of the months of a Vintage; nil is UTC.
	Location *time.Location
	// Tiers lists the tiers from the lowest up, by strictly increasing Threshold; the
	// first one's Threshold must be 0: every member holds at least the base tier. Empty
	// means no tiers (everyone holds an unnamed base tier with multiplier 100).
	Tiers []Tier
	// QualifyBy says what counts towards a tier: the points of orders (ByPoints, the
	// default) or the amounts of orders (BySpend), in both cases net of refunds.
	// Bonuses and adjustments never count.
	QualifyBy Measure
	// Window is the rolling qualification window: an order counts towards tiers from its
	// instant until Window later. Required when there is more than one tier.
	Window time.Duration
	// Grace is how long a member whose qualifying total falls below the threshold of
	// the tier held keeps it; 0 downgrades at once.
	Grace time.Duration
}

// Tier is one level of membership.
type Tier struct {
	// Name names the tier, as segment tags and reports show it ("gold").
	Name string
	// Threshold is the qualifying total over the window that reaches the tier.
	Threshold int64
	// Multiplier, in percent, scales the points of orders recorded while the member
	// holds the tier: 150 earns one and a half times the points; 0 means 100.
	Multiplier int64
}

// Measure is what counts towards a tier.
type Measure uint8

const (
	ByPoints Measure = iota // points earned on orders, net of refund reversals
	BySpend                 // order amounts in minor units, net of refunds
)

// ExpiryRule is how an Expiry reckons the instant a lot expires.
type ExpiryRule uint8

const (
	Never      ExpiryRule = iota // points never expire
	AfterDays                    // N calendar days after the earn instant, same wall-clock time
	EndOfMonth                   // at the end of the N-th month after the earn month (N = 0: this month)
	EndOfYear                    // at the end of the N-th year after the earn year (N = 0: this year)
)

// Expiry says when the points of a lot expire, in Rules.Location. The instant it
// computes is the first instant at which the points are gone: a lot expiring at T can
// be spent at T minus a nanosecond and not at T. "End of month" is therefore midnight
// at the start of the next month. A wall clock that a daylight-saving gap skips is read
// with the offset before the gap, so later by the gap: the first instant of the day
// where clocks jump at midnight.
type Expiry struct {
	Rule ExpiryRule
	N    int
}

// Limits on the rules and events, which keep every product of amounts, rates and
// multipliers inside int64.
const (
	maxAmount     = 1_000_000_000_000 // minor units of one order: ten billion in a currency of cents
	maxRate       = 1000              // points per currency unit
	maxMultiplier = 1000              // percent
	maxLines      = 1000
	maxSpan       = 100 * 366 * 24 * time.Hour
	maxPoints     = 1 << 50
)

// withDefaults checks r and fills in the defaults.
func (r Rules) withDefaults() (Rules, error) {
	bad := func(format string, args ...any) (Rules, error) {
		return Rules{}, fmt.Errorf("%w: rules: "+format, append([]any{ErrInvalid}, args...)...)
	}
	if r.Unit == 0 {
		r.Unit = 100
	}
	if r.Rate == 0 {
		r.Rate = 1
	}
	if r.Location == nil {
		r.Location = time.UTC
	}
	if r.Unit < 1 || r.Unit > 1_000_000 {
		return bad("Unit %d out of range 1 to 1000000", r.Unit)
	}
	if r.Rate < 0 || r.Rate > maxRate {
		return bad("Rate %d out of range 0 to %d", r.Rate, maxRate)
	}
	// Checked in a fixed order (fields as declared, keys sorted), so that rules with
	// several faults are always refused for the same one: ranging over the maps named
	// one fault or another from one run to the next.
	for _, f := range []struct {
		what string
		m    map[string]int64
	}{{"Products", r.Products}, {"Categories", r.Categories}} {
		for _, k := range slices.Sorted(maps.Keys(f.m)) {
			if v := f.m[k]; v < 0 || v > maxRate {
				return bad("%s[%q] = %d out of range 0 to %d", f.what, k, v, maxRate)
			}
		}
	}
	for _, f := range []struct {
		what string
		d    time.Duration
	}{{"Lock", r.Lock}, {"Window", r.Window}, {"Grace", r.Grace}} {
		if f.d < 0 || f.d > maxSpan {
			return bad("%s %v out of range 0 to 100 years", f.what, f.d)
		}
	}
	switch e := r.Expiry; e.Rule {
	case Never:
		if e.N != 0 {
			return bad("Expiry Never with N = %d", e.N)
		}
	case AfterDays:
		if e.N < 1 || e.N > 36600 {
			return bad("Expiry AfterDays N = %d out of range 1 to 36600", e.N)
		}
	case EndOfMonth:
		if e.N < 0 || e.N > 1200 {
			return bad("Expiry EndOfMonth N = %d out of range 0 to 1200", e.N)
		}
	case EndOfYear:
		if e.N < 0 || e.N > 100 {
			return bad("Expiry EndOfYear N = %d out of range 0 to 100", e.N)
		}
	default:
		return bad("unknown expiry rule %d", e.Rule)
	}
	if r.QualifyBy > BySpend {
		return bad("unknown QualifyBy %d", r.QualifyBy)
	}
	names := map[string]int{} // name -> index of the tier that has it
	for i, t := range r.Tiers {
		first, repeated := names[t.Name]
		switch {
		case t.Name == "":
			return bad("tier %d: empty Name", i)
		case repeated:
			return bad("tier %d (%s): Name repeats tier %d's; each tier needs its own name", i, t.Name, first)
		case i == 0 && t.Threshold != 0:
			return bad("tier %d (%s): the first tier's threshold must be 0, not %d", i, t.Name, t.Threshold)
		case i > 0 && t.Threshold <= r.Tiers[i-1].Threshold:
			return bad("tier %d (%s): threshold %d not above the previous tier's", i, t.Name, t.Threshold)
		case t.Multiplier < 0 || t.Multiplier > maxMultiplier:
			return bad("tier %d (%s): Multiplier %d out of range 0 to %d", i, t.Name, t.Multiplier, maxMultiplier)
		}
		names[t.Name] = i
	}
	if len(r.Tiers) > 1 && r.Window <= 0 {
		return bad("Window must be positive with %d tiers", len(r.Tiers))
	}
	return r, nil
}

// multiplier returns the percent multiplier of tier level.
func (r *Rules) multiplier(level int) int64 {
	if level < len(r.Tiers) && r.Tiers[level].Multiplier != 0 {
		return r.Tiers[level].Multiplier
	}
	return 100
}

// rateOf returns the points per currency unit of a line.
func (r *Rules) rateOf(l Line) int64 {
	if v, ok := r.Products[l.Product]; ok && l.Product != "" {
		return v
	}
	if v, ok := r.Categories[l.Category]; ok && l.Category != "" {
		return v
	}
	return r.Rate
}

// points returns the points of an order of amount with lines (whose amounts add up to
// at most amount; the rest earns Rate) at a multiplier in percent: one floor over the
// whole order, so that splitting an order into lines never loses points to rounding.
// The limits on amounts, rates and multipliers keep the product below 2^63.
func (r *Rules) points(amount int64, lines []Line, mult int64) int64 {
	var sum int64
	rest := amount
	for _, l := range lines {
		sum += l.Amount * r.rateOf(l)
		rest -= l.Amount
	}
	sum += rest * r.Rate
	return sum * mult / (r.Unit * 100)
}

// expiry returns the instant a lot earned at t expires, in Unix nanoseconds
// (math.MaxInt64 for never).
func (r *Rules) expiry(t time.Time) int64 {
	lt := t.In(r.Location)
	var want time.Time // the wall clock of the expiry, read as if in UTC
	switch r.Expiry.Rule {
	case AfterDays:
		want = time.Date(lt.Year(), lt.Month(), lt.Day()+r.Expiry.N, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
	case EndOfMonth:
		want = time.Date(lt.Year(), lt.Month()+time.Month(r.Expiry.N)+1, 1, 0, 0, 0, 0, time.UTC)
	case EndOfYear:
		want = time.Date(lt.Year()+r.Expiry.N+1, 1, 1, 0, 0, 0, 0, time.UTC)
	default:
		return math.MaxInt64
	}
	return nanos(atWall(want, r.Location))
}

// atWall returns the instant whose wall clock in loc reads want (given in UTC). A wall
// clock that a spring-forward gap skips is read with the offset before the gap, so
// later by the gap's length (RFC 5545, java.time): time.Date leaves the choice open and
// in zones west of Greenwich takes the offset after, an earlier instant. Where clocks
// jump at midnight (America/Santiago, America/Havana) that put the expiry of a lot
// earned at 00:30 with AfterDays 1 at 23:30 of the day it was earned, 23 hours later.
func atWall(want time.Time, loc *time.Location) time.Time {
	y, mo, d := want.Date()
	h, mi, s := want.Clock()
	x := time.Date(y, mo, d, h, mi, s, want.Nanosecond(), loc)
	ly, lmo, ld := x.Date()
	lh, lmi, ls := x.Clock()
	if got := time.Date(ly, lmo, ld, lh, lmi, ls, x.Nanosecond(), time.UTC); got.Before(want) {
		x = x.Add(want.Sub(got)) // in the gap, read before it: move past it
	}
	return x
}

// The instants the ledger's Unix nanoseconds can hold: years 1678 to 2262. Events are
// dated 1900 to 2200, but a lock, an expiry, a tier window or grace of up to 100 years
// after one, or a query, may fall beyond, where UnixNano's result is undefined (it
// wrapped a 2170 order's 100-year expiry to 1686, expiring its points at once).
var (
	firstInstant = time.Unix(0, math.MinInt64)
	lastInstant  = time.Unix(0, math.MaxInt64-1) // the last one the file format's times hold
)

// nanos returns t in Unix nanoseconds, saturated to the int64 range: an instant after
// 2262 is math.MaxInt64, after everything (never, for an expiry), one before 1678
// math.MinInt64.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(firstInstant):
		return math.MinInt64
	case t.After(lastInstant):
		return math.MaxInt64
	}
	return t.UnixNano()
}
