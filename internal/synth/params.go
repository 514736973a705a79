// Package synth generates a realistic, seeded customer base: the SDK's embedded default
// data set for the quickstart, the examples and benchmarks.
//
// People are reached by promotions across channels; about 2% of them become users
// (two or more visits in 30 days), every user eventually buys once and about 30% buy
// again; promotions mostly respond under 5%. Each person shows up under several
// identifiers (a phone at the till, an e-mail online, devices, anonymous web ids, a
// social id), with the noise real trackers see: case and formatting variants, typos,
// family devices shared by several people, the shop's own phone number typed at the till
// for customers who give none, and junk values such as "null". Repeat purchases follow a
// BG/NBD process (Fader, Hardie & Lee 2005) and spend a Gamma-Gamma process (Fader,
// Hardie & Lee 2005, "RFM and CLV"), so models fitted downstream have a known truth to
// recover. Customers invite friends; invited friends who sign up bring their own tree.
//
// [SimulateCampaign] draws a randomised promotion campaign whose people react in the four
// ways uplift modelling distinguishes (sure things, persuadables, lost causes, sleeping
// dogs), with each person's true uplift, so that uplift models have a known truth.
//
// Events are streamed person by person ([Generate]); each person's events come in time
// order, so memory stays constant whatever the size. The same Params give the same
// events, byte for byte.
package synth

import "time"

// Params describe a customer base. The zero value of a field means its default, shown
// in brackets; [Default] returns the defaults filled in.
type Params struct {
	Seed   uint64    // [1] the whole base is a function of Seed and the other fields
	People int       // [100,000] people reached by promotions
	Start  time.Time // [2025-01-01 UTC] first day of the observation period
	Days   int       // [365] length of the observation period

	Promotions int // [40] promotions, each on one marketing channel
	// PromoAlpha and PromoBeta give the promotions' response rates the distribution
	// Beta(alpha, beta) [1, 45]: mean 2.2%, and one promotion in ten responds at 5% or more.
	PromoAlpha, PromoBeta float64
	VisitorRate           float64 // [0.25] reached people who visit once and never return

	// Repeat purchases of customers, per day, BG/NBD (Fader, Hardie & Lee 2005):
	// λ ~ Gamma(R, Alpha), dropout after each purchase with p ~ Beta(A, B).
	// Defaults [R 0.2, Alpha 30 days, A 0.8, B 2.5] give about 30% repeat buyers.
	R, Alpha, A, B float64
	// Spend per purchase, Gamma-Gamma: z ~ Gamma(P, ν), ν ~ Gamma(Q, Gamma)
	// [P 6.25, Q 3.74, Gamma 15.44], the CDNOW estimates of Fader, Hardie & Lee.
	P, Q, Gamma float64
	RefundRate  float64 // [0.03] purchases refunded within two weeks

	InvitesPerCustomer float64 // [0.6] mean invites a customer sends (Poisson)
	InviteConversion   float64 // [0.25] invited friends who become users
	MaxGenerations     int     // [6] depth bound of referral trees

	SharedDeviceRate float64 // [0.02] users on a family device shared with others
	ShopPhoneRate    float64 // [0.01] store purchases where the shop's own number is typed
	JunkRate         float64 // [0.01] identifiers replaced by a junk value ("null", ...)
	TypoRate         float64 // [0.01] e-mails typed with a typo at the call centre
}

// Default returns p with every zero field set to its default.
func (p Params) Default() Params {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if p.Seed == 0 {
		p.Seed = 1
	}
	defInt(&p.People, 100_000)
	if p.Start.IsZero() {
		p.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	defInt(&p.Days, 365)
	defInt(&p.Promotions, 40)
	def(&p.PromoAlpha, 1)
	def(&p.PromoBeta, 45)
	def(&p.VisitorRate, 0.25)
	def(&p.R, 0.2)
	def(&p.Alpha, 30)
	def(&p.A, 0.8)
	def(&p.B, 2.5)
	def(&p.P, 6.25)
	def(&p.Q, 3.74)
	def(&p.Gamma, 15.44)
	def(&p.RefundRate, 0.03)
	def(&p.InvitesPerCustomer, 0.6)
	def(&p.InviteConversion, 0.25)
	defInt(&p.MaxGenerations, 6)
	def(&p.SharedDeviceRate, 0.02)
	def(&p.ShopPhoneRate, 0.01)
	def(&p.JunkRate, 0.01)
	def(&p.TypoRate, 0.01)
	return p
}

// End is the instant the observation period closes.
func (p Params) End() time.Time { return p.Start.AddDate(0, 0, p.Days) }
