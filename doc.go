// Package clientele is an embeddable SDK for user-to-customer modeling: it follows a
// person from stranger to visitor, to user (two or more visits in 30 days), to customer
// (pays), to repeat customer and finally to advocate (brings others).
//
// The packages are usable one at a time and meet in a few plain types: a profile is a
// dense uint32 key, a set of profiles is a *roaring.Bitmap, and "now" is a [Clock]. In
// the order data flows through them:
//
//   - identity turns the identifiers of raw events (user ids, e-mails, phones, devices,
//     anonymous ids seen in the store, on the web site, on social accounts and at the
//     call centre) into one profile per person, merging safely and auditably.
//   - segment holds tags, traits, numbers and behaviour as roaring bitmaps and answers
//     "which profiles?" with a small query language and live enter/exit changes.
//   - funnel measures ordered funnels, retention and lifecycle stages with confidence
//     intervals that say how much a rate can be trusted.
//   - scoring turns purchase histories into RFM scores, buy-till-you-die predictions
//     (BG/NBD and relatives), customer lifetime value, propensity and lookalike audiences.
//   - referral runs referral programmes (codes, rewards, fraud guards, viral K-factor)
//     and attributes conversions to channels and referrers.
//
// When identity merges two profiles it reports a merge (survivor and absorbed keys);
// segment.Index and referral.Program, which keep state keyed by profile, take it through
// ApplyMerge(survivor, absorbed) error. funnel keeps no such state: its results and
// Journeys are computed from events and never modified afterwards, so a host remaps an
// event's profile (identity's Resolver.Current) before it reaches funnel, or recomputes.
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
