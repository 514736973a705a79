package uplift

import (
	"context"
	"fmt"
	"math"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/order"
	"github.com/clientele-go/clientele/scoring"
)

// Promotion is the budget and the prices of a promotion, which Target plans under: how
// many profiles it may reach or how much it may cost, what a contact and a redemption
// cost and what a conversion earns (each money field finite, not negative and at most
// scoring.MaxAmount). The zero value (or a nil *Promotion) sends to
// every profile with a positive uplift, counting a conversion as 1.
type Promotion struct {
	Contacts int     // at most this many profiles are sent the promotion; 0: no bound
	Spend    float64 // at most this expected cost; 0: no bound
	// ContactCost is the cost of sending to one profile (postage, a message fee).
	ContactCost float64
	// DiscountCost is the cost of one redemption. Every treated buyer redeems the
	// discount, including those who would have bought anyway: that is why sending to
	// sure things loses money.
	DiscountCost float64
	// Value is the margin of one conversion before the discount [1].
	Value float64
	// Outcome is what the uplift and response scores measure [Conversion]. For Spend
	// (FitSpend's scores) the uplift is incremental spend and the response expected
	// spend when treated, finite and at most scoring.MaxAmount in size; Value is then the margin on a unit of
	// spend (0.3 for a 30% margin) and DiscountCost the discount on a unit of a
	// treated profile's spend (0.1 for 10% off), so that profit_i below is still the
	// expected incremental profit.
	Outcome Outcome
}

// Plan is whom to send a promotion to and what it is expected to bring. A nil *Plan's
// Check and CheckSpend fail with ErrInvalid.
type Plan struct {
	Send        []int   // the profiles to send to, best first
	Conversions float64 // expected incremental conversions, Σ uplift (for Spend: incremental spend)
	Redemptions float64 // expected redemptions, Σ P(buy | treated) (for Spend: the spend discounted, Σ E[spend | treated])
	Cost        float64 // expected cost, ContactCost·len(Send) + DiscountCost·Redemptions
	Profit      float64 // expected incremental profit, Value·Conversions - Cost
	promo       Promotion
	byRatio     bool    // made by profit per unit of cost, not by profit
	cut         float64 // priority of the last profile sent
	cutProfit   float64 // its profit, which ranks profiles of priority +Inf (free ones)
	// every: the plan sent every profile of positive profit, no bound having cut it, so
	// its rule is a positive profit, whatever the smallest one sent (see picks).
	every bool
}

// Target chooses whom to send a promotion to under a budget, to maximise the expected
// incremental profit. Sending to profile i is expected to bring
//
//	profit_i = Value·uplift_i - ContactCost - DiscountCost·response_i
//
// uplift_i from an uplift model (Model.Uplift) and response_i = P(buy | treated), the
// chance that i redeems the discount (Model.Response); response may be nil when
// DiscountCost is 0. A nil b is the zero Promotion: no bound, no costs, a conversion
// worth 1, so every profile with a positive uplift is sent to. Only profiles with a
// positive profit are sent to. Under a count bound alone the plan takes the highest
// profits, which is optimal. Under a Spend bound it is a knapsack problem; the plan is
// the better of two greedy ones, each skipping the profiles that no longer fit: by
// profit per unit of expected cost (Dantzig's greedy; profiles that cost nothing
// first, by profit), which is optimal but for at most one profile's profit at the
// bound, and by profit, which is the count bound's optimum whenever that fits the
// Spend bound; the latter wins ties. So a Spend bound that does not bind changes
// nothing. Under both bounds the one-profile guarantee is lost (a knapsack with a
// count bound; the greedy by ratio may fill the Contacts with cheap small profits),
// the rest holds. Ties keep the input order.
func Target(uplift, response []float64, b *Promotion) (*Plan, error) {
	var bud Promotion
	if b != nil {
		bud = *b
	}
	if bud.Value == 0 {
		bud.Value = 1
	}
	if err := checkTarget(uplift, response, bud); err != nil {
		return nil, err
	}
	// The greedy by ratio alone, under a Spend bound, sent the two cheap profiles of
	// profit 0.04 where Contacts 2 alone sent two of 0.44, though all four fitted the
	// Spend (TestTargetSlackSpendKeepsBestProfits).
	p := bud.greedy(uplift, response, false)
	if bud.Spend > 0 {
		if q := bud.greedy(uplift, response, true); q.Profit > p.Profit {
			p = q
		}
	}
	return p, nil
}

// greedy is the plan that takes profiles by descending priority (profit, or profit per
// unit of cost if byRatio), skipping those that no longer fit the Spend bound, up to
// Contacts of them.
func (bud Promotion) greedy(uplift, response []float64, byRatio bool) *Plan {
	p := &Plan{promo: bud, byRatio: byRatio}
	idx := make([]int, 0, len(uplift))
	prio := make([]float64, len(uplift))
	profit := make([]float64, len(uplift))
	for i := range uplift {
		if profit[i] = bud.profit(uplift, response, i); profit[i] > 0 {
			idx = append(idx, i)
			prio[i] = bud.priority(uplift, response, i, byRatio)
		}
	}
	byPriority(idx, prio)
	// Profiles that cost nothing lead, all of priority +Inf; among them the larger
	// profit goes first, or a count bound would keep the first rows rather than the best.
	free := 0
	for free < len(idx) && math.IsInf(prio[idx[free]], 1) {
		free++
	}
	order.Descending(idx[:free], profit, false)
	for _, i := range idx {
		if bud.Contacts > 0 && len(p.Send) == bud.Contacts {
			break
		}
		c := bud.cost(response, i)
		if bud.Spend > 0 && p.Cost+c > bud.Spend {
			continue
		}
		p.Send = append(p.Send, i)
		p.Cost += c
		p.Conversions += uplift[i]
		if response != nil {
			p.Redemptions += response[i]
		}
		p.cut, p.cutProfit = prio[i], profit[i]
	}
	p.Profit = bud.Value*p.Conversions - p.Cost
	p.every = len(p.Send) == len(idx)
	return p
}

// byPriority sorts idx, ascending rows, by descending priority, NaN last, ties in row
// order: the stable sort it replaces (TestByPriorityMatchesStable).
func byPriority(idx []int, prio []float64) { order.Descending(idx, prio, false) }

func (b Promotion) profit(uplift, response []float64, i int) float64 {
	return b.Value*uplift[i] - b.cost(response, i)
}

func (b Promotion) cost(response []float64, i int) float64 {
	c := b.ContactCost
	if b.DiscountCost > 0 {
		c += b.DiscountCost * response[i]
	}
	return c
}

// priority orders profiles: by profit, or under a Spend bound by profit per unit of
// cost (+Inf for a profile that costs nothing; Target and picks then order those by
// profit).
func (b Promotion) priority(uplift, response []float64, i int, byRatio bool) float64 {
	pr := b.profit(uplift, response, i)
	if !byRatio {
		return pr
	}
	if c := b.cost(response, i); c > 0 {
		return pr / c
	}
	return math.Inf(1)
}

// checkTarget refuses a Promotion or scores Target cannot price. Money figures (the
// Promotion's, and spend scores) are bounded by scoring.MaxAmount, the SDK's bound on
// money: past it the profits overflowed (a spend uplift of 1e308 at a Value of 2 is a
// profit of +Inf) where every product and sum of figures within it is finite.
func checkTarget(uplift, response []float64, b Promotion) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"Spend", b.Spend}, {"ContactCost", b.ContactCost}, {"DiscountCost", b.DiscountCost}, {"Value", b.Value}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%w: Promotion.%s %v", ErrInvalid, f.name, f.v)
		}
		if f.v > scoring.MaxAmount {
			return fmt.Errorf("%w: Promotion.%s %v is over scoring.MaxAmount, %g: not a money figure", ErrInvalid, f.name, f.v, float64(scoring.MaxAmount))
		}
	}
	if b.Contacts < 0 {
		return fmt.Errorf("%w: Promotion.Contacts %d", ErrInvalid, b.Contacts)
	}
	if b.Outcome > Spend {
		return fmt.Errorf("%w: Promotion.Outcome %d", ErrInvalid, b.Outcome)
	}
	if response == nil && b.DiscountCost > 0 {
		return fmt.Errorf("%w: a discount cost needs the response probabilities (Model.Response)", ErrInvalid)
	}
	if response != nil && len(response) != len(uplift) {
		return fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(len(uplift), "uplift score"), english.Count(len(response), "response"))
	}
	if b.Outcome == Spend {
		for i, u := range uplift {
			if math.IsNaN(u) || math.IsInf(u, 0) {
				return fmt.Errorf("%w: spend uplift %d is %v", ErrInvalid, i, u)
			}
			if math.Abs(u) > scoring.MaxAmount {
				return fmt.Errorf("%w: spend uplift %d is %v, over scoring.MaxAmount, %g, in size: not a money figure", ErrInvalid, i, u, float64(scoring.MaxAmount))
			}
			if response != nil && (math.IsNaN(response[i]) || math.IsInf(response[i], 0) || response[i] < 0) {
				return fmt.Errorf("%w: expected spend %d is %v, want finite and not negative", ErrInvalid, i, response[i])
			}
			if response != nil && response[i] > scoring.MaxAmount {
				return fmt.Errorf("%w: expected spend %d is %v, over scoring.MaxAmount, %g: not a money figure", ErrInvalid, i, response[i], float64(scoring.MaxAmount))
			}
		}
		return nil
	}
	for i, u := range uplift {
		if !(u >= -1 && u <= 1) {
			return fmt.Errorf("%w: uplift %d is %v, want [-1, 1]", ErrInvalid, i, u)
		}
		if response != nil && !(response[i] >= 0 && response[i] <= 1) {
			return fmt.Errorf("%w: response %d is %v, want [0, 1]", ErrInvalid, i, response[i])
		}
	}
	return nil
}

// Check estimates the incremental conversions the plan will bring from a randomised
// holdout campaign scored by the same model (uplift, response as for Target; treated,
// converted the holdout's outcomes), with a bootstrap interval (opts as for Evaluate;
// K and Bins are unused). The holdout rows the plan's rule picks stand for the people
// the plan sends to: those of positive profit if the plan sent every profile of
// positive profit (no bound, or bounds that cut nothing); otherwise those of positive
// profit and a priority at least that of the last profile the plan sends to, in the
// order the plan was made by (profit, or profit per unit of cost, the profit ranking
// profiles that cost nothing). Then the treated buyers' rate among them minus the control
// buyers' rate, times len(Send), estimates the plan's incremental conversions without
// trusting the model's calibration. The estimate is NaN if the rule picks no holdout
// row of an arm, and a bound is NaN where replicates that pick none could hold it (as
// in Evaluation: 5 such replicates in 200 at Level 0.95); a plan that sends to nobody
// brings 0. ctx bounds the bootstrap as in Evaluate; a done ctx fails with an error
// wrapping ctx.Err(), and the plan is not changed.
func (p *Plan) Check(ctx context.Context, uplift, response []float64, treated, converted []bool, opts *EvalOptions) (scoring.Interval, error) {
	if err := checkContext(ctx); err != nil {
		return scoring.Interval{}, err
	}
	if p == nil {
		return scoring.Interval{}, fmt.Errorf("%w: nil plan", ErrInvalid)
	}
	if p.promo.Outcome != Conversion {
		return scoring.Interval{}, fmt.Errorf("%w: Check of a plan for %s scores; use CheckSpend", ErrInvalid, outcomeNames[p.promo.Outcome])
	}
	if len(converted) != len(uplift) {
		return scoring.Interval{}, fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(len(uplift), "uplift score"), english.Count(len(converted), "outcome"))
	}
	return p.check(ctx, uplift, response, treated, outcomes(converted), opts)
}

// CheckSpend is Check for a plan made from Spend scores (Promotion.Outcome Spend), from a
// holdout's spend (finite, not negative and at most scoring.MaxAmount, as for FitSpend): it estimates the plan's incremental spend, the difference of mean
// spend between the holdout's treated and control rows the plan's rule picks, times
// len(Send).
func (p *Plan) CheckSpend(ctx context.Context, uplift, response []float64, treated []bool, spend []float64, opts *EvalOptions) (scoring.Interval, error) {
	if err := checkContext(ctx); err != nil {
		return scoring.Interval{}, err
	}
	if p == nil {
		return scoring.Interval{}, fmt.Errorf("%w: nil plan", ErrInvalid)
	}
	if p.promo.Outcome != Spend {
		return scoring.Interval{}, fmt.Errorf("%w: CheckSpend of a plan for %s scores; use Check", ErrInvalid, outcomeNames[p.promo.Outcome])
	}
	if len(spend) != len(uplift) {
		return scoring.Interval{}, fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(len(uplift), "uplift score"), english.Count(len(spend), "spend"))
	}
	if err := checkSpend(spend); err != nil {
		return scoring.Interval{}, err
	}
	return p.check(ctx, uplift, response, treated, spend, opts)
}

// picks says whether the plan's rule sends to row i: a positive profit, and, if a
// bound cut the plan, a rank at least that of the last profile sent, by priority, then
// (among free profiles, of priority +Inf) by profit, as Target orders them. A plan no
// bound cut sent every positive profit of its audience, and that is its rule: the
// smallest profit sent is an accident of the audience, and picking holdout rows at
// least that profitable left out the people of lower positive profit that the plan
// stands for (the plan sending uplifts 0.5 and 0.3 picked the holdout's 0.4s, not its
// 0.1s and 0.2s; TestCheckPicksAgainstBruteForce).
func (p *Plan) picks(uplift, response []float64, i int) bool {
	pr := p.promo.profit(uplift, response, i)
	if pr <= 0 {
		return false
	}
	if p.every {
		return true
	}
	prio := p.promo.priority(uplift, response, i, p.byRatio)
	return prio > p.cut || prio == p.cut && (!math.IsInf(prio, 1) || pr >= p.cutProfit)
}

func (p *Plan) check(ctx context.Context, uplift, response []float64, treated []bool, y []float64, opts *EvalOptions) (scoring.Interval, error) {
	o, err := opts.defaults()
	if err != nil {
		return scoring.Interval{}, err
	}
	if len(treated) != len(uplift) {
		return scoring.Interval{}, fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(len(uplift), "uplift score"), english.Count(len(treated), "treatment flag"))
	}
	if err := checkBootstrapRows(len(uplift)); err != nil {
		return scoring.Interval{}, err
	}
	if err := checkTarget(uplift, response, p.promo); err != nil {
		return scoring.Interval{}, err
	}
	if len(p.Send) == 0 {
		return scoring.Interval{}, nil
	}
	var picked []int
	for i := range uplift {
		if p.picks(uplift, response, i) {
			picked = append(picked, i)
		}
	}
	sent := float64(len(p.Send))
	gain := func(w []uint32) float64 {
		var nt, nc, yt, yc float64
		for _, i := range picked {
			wi := 1.0
			if w != nil {
				wi = float64(w[i])
			}
			if treated[i] {
				nt += wi
				yt += wi * y[i]
			} else {
				nc += wi
				yc += wi * y[i]
			}
		}
		if nt == 0 || nc == 0 {
			return math.NaN()
		}
		return (yt/nt - yc/nc) * sent
	}
	draws, _, err := bootstrap(ctx, o, len(uplift), func(w []uint32) []float64 { return []float64{gain(w)} })
	if err != nil {
		return scoring.Interval{}, err
	}
	return percentiles(gain(nil), draws[0], o.Replicates, o.Level), nil
}
