package loyalty

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/clientele-go/clientele/internal/stats"
)

// LiabilityOptions tune Ledger.Liability; nil means the defaults.
type LiabilityOptions struct {
	// CostPerPoint is what one redeemed point costs the business, in minor currency
	// units (0.5: half a cent); 0 means 1.
	CostPerPoint float64
	// Level is the confidence level of the breakage intervals; 0 means 0.95.
	Level float64
}

// Liability is what the points outstanding at an instant are expected to cost.
//
// Breakage, the share of points that will never be redeemed, is estimated from the
// member base's own history, by vintage, the month the points were earned. Among the
// points of a vintage whose fate is known (spent or expired; points taken back by
// refunds and adjustments are left out), the share that expired,
//
//	b = Σ expired_i / Σ (spent_i + expired_i)
//
// over its lots i, is a ratio estimator; its variance is that of its linearisation,
// clustered by lot (Cochran 1977, Sampling Techniques, §6.3, eq. 6.9, without the
// finite-population correction), var(b) = n/(n-1) · Σ (expired_i - b·known_i)² /
// (Σ known_i)². Its interval is Korn and Graubard's (1998): Clopper-Pearson at the
// effective sample size b(1-b)/var(b), and at the number of lots where the variance
// says nothing (a single lot, or lots that all went the same way). A normal interval
// would collapse there: two members' lots that both expired would claim a breakage of
// exactly 100%, where Korn-Graubard says 16% to 100%.
//
// A vintage is settled when none of its points is outstanding: its breakage is then its
// own, exact. A vintage with points outstanding cannot use its own ratio, which is
// biased low while points are still spendable (spent points are known as they are
// spent, expired ones only at expiry), so it borrows the ratio of all settled vintages'
// lots together (Borrowed), as actuaries carry mature vintages' development to young
// ones. With no settled vintage (say, points that never expire) every vintage with
// points outstanding borrows the ratio of all lots of known fate, which is biased low;
// SettledVintages says which case holds. Where the lots a breakage comes from hold no point
// of known fate (nothing spent or expired: the settled vintages were all taken back,
// or, with none settled, no point was ever spent or expired), it is unknown: 0 in
// [0, 1], which values every point as redeemed, the conservative figure; a report
// should say so rather than print a measured 0%. The outstanding points of each vintage
// (available and locked) are valued at (1 - b) × CostPerPoint, and the value's
// bounds take every vintage's bound together, which is conservative.
//
// Debt (points members owe) is reported beside and not netted: it is repaid only if
// members earn again.
type Liability struct {
	At              time.Time
	Outstanding     int64   // points available or locked
	Debt            int64   // points owed by members in debt
	Expired         int64   // points expired by At
	Breakage        float64 // expected share of Outstanding never redeemed
	Value           float64 // expected cost of Outstanding, minor units
	ValueLo         float64
	ValueHi         float64
	SettledVintages int       // the vintages whose lots the borrowed breakage comes from (0: all lots of known fate)
	Vintages        []Vintage // by earn month
}

// Vintage is the points earned in one month, as of the liability's instant. Credited =
// Spent + Taken + Expired + Outstanding.
type Vintage struct {
	Month                                        time.Time // first instant of the month, in Rules.Location
	Credited, Spent, Taken, Expired, Outstanding int64
	Breakage, Lo, Hi                             float64 // its own when settled, else borrowed
	Borrowed                                     bool
	Value                                        float64 // expected cost of Outstanding
}

// cohortSums gathers one cohort's lots.
type cohortSums struct {
	Vintage
	known, expired []float64 // per lot of known fate
}

// Liability values the points outstanding at `at` (see Liability). It reads every lot
// of every member.
func (l *Ledger) Liability(at time.Time, opts *LiabilityOptions) (Liability, error) {
	if l.zero() {
		return Liability{}, errZeroLedger
	}
	var o LiabilityOptions
	if opts != nil {
		o = *opts
	}
	if o.CostPerPoint == 0 {
		o.CostPerPoint = 1
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if !(o.CostPerPoint > 0) || math.IsInf(o.CostPerPoint, 0) || !(o.Level > 0 && o.Level < 1) {
		return Liability{}, fmt.Errorf("%w: liability: CostPerPoint %v must be positive and finite, Level %v in (0, 1)", ErrInvalid, o.CostPerPoint, o.Level)
	}
	t := nanos(at)
	loc := l.rules.Location
	cohorts := map[int64]*cohortSums{}
	out := Liability{At: at}
	l.mu.Lock()
	for _, m := range l.st.members {
		k := int32(sort.Search(len(m.times), func(i int) bool { return m.times[i] > t }))
		for i := range m.lots {
			lt := &m.lots[i]
			if lt.seq >= k {
				break
			}
			if !lt.present(k) {
				continue // counted with the member that absorbed it
			}
			e := time.Unix(0, lt.earned).In(loc)
			month := time.Date(e.Year(), e.Month(), 1, 0, 0, 0, 0, loc)
			c := cohorts[month.UnixNano()]
			if c == nil {
				c = &cohortSums{Vintage: Vintage{Month: month}}
				cohorts[month.UnixNano()] = c
			}
			s, tk := lt.totalsBefore(k)
			rem := lt.points - s - tk
			var exp int64
			if t >= lt.expires {
				exp = rem
				c.Expired += rem
			} else {
				c.Outstanding += rem
			}
			c.Credited += lt.points
			c.Spent += s
			c.Taken += tk
			if s+exp > 0 {
				c.known = append(c.known, float64(s+exp))
				c.expired = append(c.expired, float64(exp))
			}
		}
		if i := sort.Search(len(m.debt), func(i int) bool { return m.debt[i].seq >= k }); i > 0 {
			out.Debt += m.debt[i-1].points
		}
	}
	l.mu.Unlock()

	keys := make([]int64, 0, len(cohorts))
	var settled, known cohortSums
	for k, c := range cohorts {
		keys = append(keys, k)
		known.known = append(known.known, c.known...)
		known.expired = append(known.expired, c.expired...)
		if c.Outstanding == 0 {
			out.SettledVintages++
			settled.known = append(settled.known, c.known...)
			settled.expired = append(settled.expired, c.expired...)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	pool := known
	if out.SettledVintages > 0 {
		pool = settled
	}
	pb, plo, phi := breakage(pool.known, pool.expired, o.Level)
	var expected float64
	for _, k := range keys {
		c := cohorts[k]
		if c.Outstanding == 0 {
			c.Breakage, c.Lo, c.Hi = breakage(c.known, c.expired, o.Level)
		} else {
			c.Breakage, c.Lo, c.Hi, c.Borrowed = pb, plo, phi, true
		}
		n := float64(c.Outstanding)
		c.Value = n * (1 - c.Breakage) * o.CostPerPoint
		out.Value += c.Value
		out.ValueLo += n * (1 - c.Hi) * o.CostPerPoint
		out.ValueHi += n * (1 - c.Lo) * o.CostPerPoint
		out.Outstanding += c.Outstanding
		out.Expired += c.Expired
		expected += n * c.Breakage
		out.Vintages = append(out.Vintages, c.Vintage)
	}
	if out.Outstanding > 0 {
		out.Breakage = expected / float64(out.Outstanding)
	}
	return out, nil
}

// breakage returns the ratio estimate Σexpired/Σknown and its Korn-Graubard interval
// with the linearised variance clustered by lot (see Liability); with no lot of known
// fate, 0 and [0, 1].
func breakage(known, expired []float64, level float64) (b, lo, hi float64) {
	n := len(known)
	var sx, sy float64
	for i := range known {
		sx += known[i]
		sy += expired[i]
	}
	if n == 0 || sx == 0 {
		return 0, 0, 1
	}
	b = sy / sx
	var v float64
	if n > 1 {
		var ss float64
		for i := range known {
			d := expired[i] - b*known[i]
			ss += d * d
		}
		v = float64(n) / float64(n-1) * ss / (sx * sx)
	}
	iv, err := stats.KornGraubard(stats.Clamp01(b), v, n, sx, level)
	if err != nil {
		return b, 0, 1 // unreachable: b is in [0, 1], v finite, level checked by Liability
	}
	return b, iv.Lo, iv.Hi
}
