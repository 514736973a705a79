package synth

import "time"

// Kind says what happened in an event.
type Kind uint8

// The kinds of events, named as a tracker would name them.
const (
	Touch    Kind = iota // a promotion reached the person on a marketing channel
	Visit                // a visit to the store, the web site, an app or the call centre
	Signup               // the person created an account (an identify call)
	Purchase             // an order, with its Amount
	Refund               // the order Order was refunded
	Invite               // the person sent an invite with their referral code
)

var kindNames = [...]string{"touch", "visit", "signup", "purchase", "refund", "invite"}

// String returns the event name a tracker would use ("visit", "purchase", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// ID is one identifier as a tracker sees it: not normalised, possibly junk. It has the
// same shape as identity.ID, so a conversion is enough.
type ID struct{ Kind, Value string }

// Event is one thing a person did. Person is the generator's ground truth, for checking
// identity resolution: a host never sees it, so code under test must not use it.
type Event struct {
	Person  int
	Time    time.Time
	Kind    Kind
	Channel string // store, web, social, call_centre; for Touch the marketing channel
	IDs     []ID   // identifiers seen together in this event

	Promotion int     // Touch: which promotion
	Order     string  // Purchase, Refund: the order id
	Amount    float64 // Purchase: the spend
	Code      string  // Signup: the referral code used, if any; Invite: the code sent
	Referrer  int     // Signup through a referral: the referrer's Person; otherwise -1
}

// Channels where people meet the business, and the marketing channels of promotions.
var (
	Channels          = []string{"store", "web", "social", "call_centre"}
	MarketingChannels = []string{"email", "social", "search", "display", "sms", "direct"}
)
