package synth

import (
	"math"
	"math/rand/v2"
)

// CampaignParams describe a randomised promotion campaign (issue #20). The zero value of
// a field means its default, shown in brackets.
type CampaignParams struct {
	Seed     uint64 // [1] the draws; the people's response structure is fixed
	People   int    // [100,000] people in the campaign
	Features int    // [20] numeric features per person; the first 8 carry the structure, at least 8
	// Treated is the share sent the promotion by randomisation [0.5].
	Treated float64
	// NoEffect makes the promotion change nobody's behaviour: everyone buys as they
	// would without it (persuadables do not, sleeping dogs do), so the true uplift is 0
	// for every person. Tests use it to check that models find no effect.
	NoEffect bool
}

// Response is how a person reacts to the promotion: the four potential-outcome types of
// uplift modelling (Radcliffe & Surry 2011; Kane, Lo & Zheng 2014).
type Response uint8

// The four types, by the purchases (with, without) the promotion.
const (
	LostCause   Response = iota // (no, no): buys neither way
	SureThing                   // (yes, yes): buys anyway; a discount sent is wasted
	Persuadable                 // (yes, no): buys only when treated
	SleepingDog                 // (no, yes): put off by the promotion
)

var responseNames = [...]string{"lost cause", "sure thing", "persuadable", "sleeping dog"}

// String names the type.
func (r Response) String() string {
	if int(r) < len(responseNames) {
		return responseNames[r]
	}
	return "unknown"
}

// Campaign is a simulated campaign with its truth. Row i of every slice is person i.
type Campaign struct {
	X         [][]float64 // features; rows share one backing array
	Treated   []bool      // sent the promotion (randomised)
	Converted []bool      // bought during the campaign
	Type      []Response  // the person's drawn type
	// Uplift is the true P(buy | treated, x) - P(buy | control, x) =
	// P(persuadable | x) - P(sleeping dog | x): what an uplift model estimates.
	Uplift []float64
	// Response is the true P(buy | treated, x) = P(sure thing | x) + P(persuadable | x):
	// what a propensity (response) model estimates.
	Response []float64
	// Spend is what each person spent during the campaign: 0 for a non-buyer, a
	// buyer's basket otherwise, drawn lognormal with mean Basket (σ = 0.5 on the log
	// scale), whatever the treatment: the promotion changes who buys, not how much.
	Spend []float64
	// Basket is the true mean basket of a buyer, 40·exp(0.25·x₂); SpendUplift the true
	// E[spend | treated, x] - E[spend | control, x] = Uplift·Basket.
	Basket, SpendUplift []float64
}

// The types' logits against lost causes: a + b·x over the first 8 features. Sure things
// and sleeping dogs share features 0 and 1 (frequent past buyers buy anyway, and some of
// them resent a promotion), persuadables load on features 3 to 5, so ranking by
// propensity to buy picks sure things and sleeping dogs, ranking by uplift picks
// persuadables. Shares at the defaults: about 6% sure things, 4% persuadables, 2%
// sleeping dogs: a 2% average uplift on an 8% base rate, as promotions see.
var campaignLogits = [3]struct {
	a float64
	b [8]float64
}{
	{-3.3, [8]float64{1.0, 0.7, 0.4, 0, 0, 0, 0, 0.2}},   // sure thing
	{-3.9, [8]float64{-0.2, 0, 0, 0.9, 0.7, -0.6, 0, 0}}, // persuadable
	{-4.6, [8]float64{0.9, 0.8, 0, 0, 0, 0, 0.3, 0}},     // sleeping dog
}

// SimulateCampaign draws the campaign p describes. Features are independent standard
// normal; each person's type is drawn from a multinomial logit of the first eight
// features (lost causes the reference), treatment by a fair coin of bias p.Treated, and
// the purchase follows from type and treatment. The same params give the same campaign.
func SimulateCampaign(p CampaignParams) *Campaign {
	if p.Seed == 0 {
		p.Seed = 1
	}
	if p.People <= 0 {
		p.People = 100_000
	}
	if p.Features < 8 {
		p.Features = 20
	}
	if p.Treated <= 0 || p.Treated >= 1 {
		p.Treated = 0.5
	}
	n, d := p.People, p.Features
	c := &Campaign{
		X: make([][]float64, n), Treated: make([]bool, n), Converted: make([]bool, n),
		Type: make([]Response, n), Uplift: make([]float64, n), Response: make([]float64, n),
		Spend: make([]float64, n), Basket: make([]float64, n), SpendUplift: make([]float64, n),
	}
	// Baskets come from a stream of their own, so that adding them left every other
	// draw of a seed as it was.
	baskets := rand.New(rand.NewPCG(p.Seed, 0xba5ce7))
	flat := make([]float64, n*d)
	rng := rand.New(rand.NewPCG(p.Seed, 0xca4a16))
	for i := range n {
		x := flat[i*d : (i+1)*d : (i+1)*d]
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		c.X[i] = x
		pr := typeProbabilities(x)
		if p.NoEffect {
			c.Response[i] = pr[SureThing] + pr[SleepingDog]
		} else {
			c.Uplift[i] = pr[Persuadable] - pr[SleepingDog]
			c.Response[i] = pr[SureThing] + pr[Persuadable]
		}
		u := rng.Float64()
		typ := SleepingDog
		for k := range 3 {
			if u < pr[k] {
				typ = Response(k)
				break
			}
			u -= pr[k]
		}
		c.Type[i] = typ
		c.Treated[i] = rng.Float64() < p.Treated
		treated := c.Treated[i] && !p.NoEffect
		c.Converted[i] = typ == SureThing || (typ == Persuadable && treated) || (typ == SleepingDog && !treated)
		c.Basket[i] = 40 * math.Exp(0.25*x[2])
		c.SpendUplift[i] = c.Uplift[i] * c.Basket[i]
		if z := baskets.NormFloat64(); c.Converted[i] {
			const sigma = 0.5
			c.Spend[i] = c.Basket[i] * math.Exp(sigma*z-sigma*sigma/2)
		}
	}
	return c
}

// typeProbabilities returns the probabilities of the four types at features x.
func typeProbabilities(x []float64) [4]float64 {
	pr := [4]float64{1} // lost causes are the reference, logit 0
	tot := 1.0
	for k, l := range campaignLogits {
		eta := l.a
		for j, b := range l.b {
			eta += b * x[j]
		}
		pr[k+1] = math.Exp(eta)
		tot += pr[k+1]
	}
	for k := range pr {
		pr[k] /= tot
	}
	return pr
}
