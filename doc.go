// Package clientele is an embeddable SDK for user-to-customer modeling: it follows a
// person from stranger to visitor, to user (two or more visits in 30 days), to customer
// (pays), to repeat customer and finally to advocate (brings others).
//
//	ids, _ := identity.New(identity.DefaultRules())
//	p, _ := ids.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "ann@example.com"})
//	x, _ := segment.NewIndex()
//	x.Record(at, p, "visit")
//	users, _ := x.Eval(ctx, now, segment.Must("count(visit, 30d) >= 2"), nil) // the users
//
// The package Example runs this road from anonymous visits to a purchase, with funnel.
//
// The packages are usable one at a time and meet in a few plain types: a profile is a
// dense uint32 key, a set of profiles is a *roaring.Bitmap, and "now" is a [Clock]. In
// the order data flows through them:
//
//   - identity turns the identifiers of raw events (user ids, e-mails, phones, devices,
//     anonymous ids seen in the store, on the web site, on social accounts and at the
//     call centre) into one profile per person, merging safely and auditably;
//     identity/match links records that share no identifier (a name and a mistyped
//     phone) by probabilistic record linkage, and identity/traits keeps each trait of a
//     merged profile by a survivorship rule.
//   - segment holds tags, traits, numbers and behaviour as roaring bitmaps and answers
//     "which profiles?" with a small query language and live enter/exit changes.
//   - funnel measures ordered funnels, retention and lifecycle stages with confidence
//     intervals that say how much a rate can be trusted, and why people convert
//     (correlation, trends, paths, stickiness, sequence patterns, experiments).
//   - scoring turns purchase histories into RFM scores, buy-till-you-die predictions
//     (BG/NBD and relatives), customer lifetime value, propensity and lookalike
//     audiences; scoring/uplift finds whom a promotion changes, not just who buys.
//   - referral runs referral programmes (codes, rewards, fraud guards, viral K-factor);
//     referral/attribution credits conversions to marketing channels; referral/loyalty
//     runs points, tiers and their liability.
//
// Durable state lives in a file store of each package, or in PostgreSQL through the
// pgstore subpackages (identity/pgstore, segment/pgstore, referral/pgstore,
// referral/loyalty/pgstore), shared by many replicas of a service; the storetest
// subpackages check a host's own store against each package's contract.
//
// When identity merges two profiles it reports a merge (survivor and absorbed keys);
// segment.Index, referral.Program and loyalty.Ledger, which keep state keyed by
// profile, take it through ApplyMerge(survivor, absorbed) error. funnel keeps no such
// state: its results and Journeys are computed from events and never modified
// afterwards, so a host remaps an event's profile (identity's Resolver.Current) before
// it reaches funnel, or recomputes.
//
// # Conventions
//
// The names and shapes every package shares (MemStore, OpenFileStore, storetest.Harness,
// ErrInvalid, ErrCorrupt, ErrNotFound, ErrClosed, argument order, options, durations) are
// listed in CONVENTIONS.md; [ParseDuration] reads the one duration syntax.
//
// No package reads the wall clock on its own: every event carries its own timestamp
// and anything that needs "now" takes a [Clock], so that hosts and tests control time.
package clientele

import "time"

// Clock tells the current time. Implementations must be safe for concurrent use. The
// SDK never calls time.Now itself; a host injects a Clock (tests inject a fake one),
// like k8s.io/utils/clock's PassiveClock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the Clock of the machine: it returns time.Now.
type SystemClock struct{}

// Now returns the current local time.
func (SystemClock) Now() time.Time { return time.Now() }

// FixedClock is a Clock that always returns its own value; tests and batch jobs that
// replay history at a chosen instant use it.
type FixedClock time.Time

// Now returns the fixed instant.
func (c FixedClock) Now() time.Time { return time.Time(c) }
