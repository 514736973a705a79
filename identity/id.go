package identity

import (
	"fmt"
	"strconv"
	"time"
)

// ID is one identifier as an event carries it. Kind names what the value is: "user_id",
// "email", "phone", "device_id", "anonymous_id", or any custom kind ("social_id").
// Values are normalised by the kind's rule before they are compared.
type ID struct{ Kind, Value string }

// String returns "kind:value", the kind and the value as they are, the form in which
// the examples print identifiers. It is for people, not a key: a kind may hold
// ":" (Link accepts any UTF-8 kind up to 64 bytes), so ID{"a:b", "c"} and ID{"a", "b:c"}
// both write "a:b:c", and a value's newline or escape sequence is written as it is.
// Compare or key identifiers by the ID itself (it is comparable) or by Kind and Value;
// the package's own errors and explanations quote what is not printable.
func (id ID) String() string { return id.Kind + ":" + id.Value }

// Merge reports that profiles were merged: the Absorbed keys now belong to Survivor,
// which is the oldest of them (the smallest key). Downstream state keyed by profile
// should move what it holds under an absorbed key to the survivor: segment.Index,
// referral.Program and loyalty.Ledger take each absorbed key through ApplyMerge; funnel
// keeps no such state, so events are remapped (Current) before they reach it.
type Merge struct {
	Survivor uint32
	Absorbed []uint32 // ascending
	At       time.Time
	Cause    string // the source of the event that linked the profiles ("web", "store", ...)
	// Match is the match weight when the event was a probabilistic match (LinkMatch);
	// nil for a link of shared identifiers.
	Match *Match
}

// Match marks a link as a probabilistic match rather than a sighting of identifiers
// together, and carries the evidence for it. The resolver records it with the link, in
// memory and in the store, and returns it with the link in Explain's hops, History and
// the OnMerge report; Unmerge undoes a matched link like any other.
type Match struct {
	// Weight is the Fellegi-Sunter match weight of the pair in bits: the sum over the
	// compared fields of log2(m/u), the log Bayes factor of "same person" against
	// "different people" (Fellegi & Sunter 1969, eq. 2; identity/match computes it). It
	// must be finite.
	Weight float64
}

// String returns the weight in bits, exact: "12.34 bits". A zero is "0 bits", whatever
// its sign: LinkMatch takes a negative zero (a sum of terms can give one), and "-0 bits"
// would read as evidence against the match where there is none either way.
func (m Match) String() string {
	w := m.Weight
	if w == 0 {
		w = 0 // drops the sign of a negative zero
	}
	return strconv.FormatFloat(w, 'g', -1, 64) + " bits"
}

// Split reports that Unmerge divided a profile. Profile is the key it had; Into are the
// keys of the profiles it became, ascending, one of which holds ID alone. Each piece keeps
// the oldest key first issued to one of its identifiers, so undoing a merge gives back
// the keys the merge absorbed; downstream state cannot be divided by identity, but a
// host may move what it can attribute (for example events carrying ID) to the new key.
// A split can revive keys that earlier merges absorbed, so after one a host should ask
// Current again for the keys it holds rather than follow the merges it has seen.
type Split struct {
	Profile uint32
	Into    []uint32
	ID      ID // the identifier split off, as stored (normalised; a digest under WithHMAC)
	At      time.Time
}

// Forgotten reports that Forget erased profiles: every key in Profiles (the profiles
// named and the keys they had absorbed) is retired and Current returns 0 for it.
// Downstream state under these keys should be erased too.
type Forgotten struct {
	Profiles []uint32 // ascending
	At       time.Time
}

// Outcome is what Resolve did with one event.
type Outcome struct {
	// Profile is the profile of the event's anchor, the identifier of highest priority
	// that was linked; 0 when every identifier was dropped or quarantined.
	Profile uint32
	// Created says Profile was created by this event.
	Created bool
	// Absorbed lists the profiles merged into Profile by this event.
	Absorbed []uint32
	// Dropped lists identifiers removed from the event before linking (blocked or
	// unparseable values).
	Dropped []Drop
	// Refused lists identifiers kept apart from Profile because a limit forbade it.
	Refused []Refusal
	// Quarantined lists hot identifiers the event did not link.
	Quarantined []ID
}

// Drop is an identifier dropped from an event. Err wraps ErrBlocked or ErrUnparseable.
type Drop struct {
	ID  ID
	Err error
}

// Refusal is a link that a limit refused: ID stayed apart from the profile of With (the
// event's anchor). Err wraps ErrLimit and says which kind's limit would have been passed.
type Refusal struct {
	ID, With ID
	At       time.Time
	Source   string
	Err      error
}

func refusalErr(kind string, would, limit uint8) error {
	return fmt.Errorf("%w: profile would hold %d %s identifiers, limit %d", ErrLimit, would, shownKind(kind), limit)
}
