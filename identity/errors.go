package identity

import (
	"errors"
	"fmt"

	"github.com/clientele-go/clientele/internal/errtext"
)

// Errors reported by the package. They are wrapped with context (which identifier, which
// rule, which record) and are meant to be checked with errors.Is.
var (
	// ErrInvalid means an argument is malformed: an empty or over-long kind, a value
	// that is not UTF-8 or longer than Rules.MaxValueLen, a time outside the years
	// 1678-2262, an event with no identifiers; or Rules or an Option passed to New that
	// cannot be used (a limit out of range, a blocked value that is not UTF-8, an empty
	// HMAC key). The call changes nothing.
	ErrInvalid = errors.New("identity: invalid input")
	// ErrBlocked is the reason an identifier was dropped from an event because its value
	// is on a block list ("null", "anonymous", the all-zero UUID, ...).
	ErrBlocked = errors.New("identity: blocked value")
	// ErrUnparseable is the reason an identifier was dropped because its kind's
	// normaliser rejected the value (an e-mail without "@", a phone without digits).
	ErrUnparseable = errors.New("identity: unparseable value")
	// ErrLimit is the reason a link was refused: it would give a profile more
	// identifiers of one kind than the kind's limit allows.
	ErrLimit = errors.New("identity: per-profile limit reached")
	// ErrHot is the reason a hot identifier was quarantined: it would join more
	// profiles than Rules.HotLimit allows.
	ErrHot = errors.New("identity: hot identifier quarantined")
	// ErrNotFound means an identifier or profile is not known (or was forgotten).
	ErrNotFound = errors.New("identity: not found")
	// ErrFull means a fixed capacity would be exceeded: 2^28-1 identifiers, 255 kinds,
	// 4 GiB of identifier bytes, 2^32-1 recorded memberships.
	ErrFull = errors.New("identity: capacity exceeded")
	// ErrCorrupt means a stored record cannot be decoded or contradicts the records
	// before it. New fails with it and the index and byte offset of the record.
	ErrCorrupt = errors.New("identity: corrupt record")
	// ErrKeyMismatch means a store was written with a different HMAC key (or with
	// hashing on where it is now off, or the reverse) than the resolver was given.
	ErrKeyMismatch = errors.New("identity: HMAC key does not match the store")
	// ErrDiverged is what a SharedStore's Lead reports after a Settle failed: the
	// resolver may hold records the shared log lacks, and must read the log again.
	ErrDiverged = errors.New("identity: resolver and shared store diverged")
	// ErrClosed means a store was used after Close.
	ErrClosed = errors.New("identity: store closed")
)

// What the methods of a zero or nil Resolver, View or FileStore return: such a value
// has no rules, graph or file, and calling it is a mistake of the caller (a value
// declared rather than made by New, AsOf or OpenFileStore, or the nil one New returned
// with an error that was not checked), which must get an error rather than a panic.
// Made once, so that the check costs no allocation.
var (
	errZeroResolver  = fmt.Errorf("%w: zero or nil Resolver: make one with New", ErrInvalid)
	errZeroView      = fmt.Errorf("%w: zero or nil View: make one with Resolver.AsOf", ErrInvalid)
	errZeroFileStore = fmt.Errorf("%w: zero or nil FileStore: make one with OpenFileStore", ErrInvalid)
)

// prefix opens every message of the package, once.
const prefix = "identity: "

// errorf is fmt.Errorf with the "identity: " prefix in front, once, however deeply
// errors are wrapped ("identity: link: identifier 0: invalid input: empty kind" rather
// than "link: identifier 0: identity: invalid input: empty kind"); see errtext.Errorf.
func errorf(format string, args ...any) error {
	return errtext.Errorf(prefix, format, args...)
}
