// Package identity merges the identifiers a person leaves across channels (a phone
// number at the till, an e-mail and a device on the web shop, a platform id on social
// accounts, the phone again at the call centre) into one profile with a stable key, and
// it refuses merges that would put two people into one profile.
//
// A Resolver is fed events: identifiers seen together at one time from one source.
//
//	r, _ := identity.New(identity.DefaultRules())
//	p, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "Anna@Example.com"},
//		identity.ID{Kind: "device_id", Value: "dev-1"})
//	q, _ := r.Lookup(identity.ID{Kind: "email", Value: "anna@example.com"}) // q == p
//
// Profiles are dense uint32 keys issued from 1 (0 means "no profile"), the key the rest
// of the SDK (segment, funnel, scoring, referral) uses. When profiles merge, the oldest
// survives (the smallest key) and a Merge is reported (OnMerge) so that state kept under
// the absorbed keys can be moved; Current tells which key now holds any key ever issued,
// and two keys are the same person iff Current returns the same non-zero key for both.
//
// # Identifiers
//
// An identifier is a kind and a value. Each kind has a rule (Rules.Kinds, or Rules.Other
// for kinds a host sends without declaring them): a normaliser that makes equal
// identifiers compare equal (EmailNormalizer lower-cases and trims and, for providers
// that deliver them to one mailbox, removes gmail dots and "+tags"; PhoneNormalizer
// writes E.164 numbers, read from the digits of any script; opaque ids are only trimmed), values to block, a limit and a
// priority. Malformed input (an empty or over-long kind, invalid UTF-8, a value longer
// than Rules.MaxValueLen) is an error and changes nothing. Blocked values ("null",
// "undefined", "anonymous", "[object Object]", the all-zero UUID, ...: what trackers
// receive when a form, an SDK or a template fails) and values the normaliser rejects are
// dropped from the event with their reason (ErrBlocked, ErrUnparseable) and the rest of
// the event is linked; a dropped identifier is never linked, because a shared junk value
// would otherwise join everyone who triggered the same failure.
//
// The normalisers work on code points, so an address typed with "é" as one code point
// (NFC, as Windows sends it) and as "e" and a combining accent (NFD, as macOS may) are
// two identifiers of one person. NFCNormalizer wraps a normaliser so that it works on
// Unicode NFC (NFCNormalizer(EmailNormalizer(true)) for e-mail); ASCII values skip NFC
// at the cost of a scan. It is an opt-in for a new log, not the default, because a
// log keeps the normalised value (or its HMAC) and replay does not normalise again:
// switched on for an existing log, it splits the NFD addresses the log holds from the
// same addresses arriving from then on, unless the log is linked again from the raw
// events.
//
// # Linking, limits and priority
//
// Without rules, profiles are the connected components of the graph whose edges are the
// events. With limits, an event is linked greedily in priority order:
//
//  1. The event's identifiers are normalised, blocked ones dropped and duplicates
//     removed; identifiers already quarantined are ignored.
//  2. They are sorted by the priority of their kind (DefaultRules: user_id, email,
//     phone, device_id, anonymous_id, then others), then by kind name, then as given.
//  3. The first one is the anchor: its profile (or a new profile, if it is new) is the
//     profile of the event, and the one Link returns.
//  4. Each following identifier joins the anchor's profile as it stands so far: a new
//     identifier joins if the profile holds fewer identifiers of its kind than the
//     kind's limit; an identifier of another profile brings that whole profile, which
//     joins only if the union stays within every kind's limit. Otherwise the link is
//     refused: the identifier stays where it was (a new one gets a profile of its own)
//     and the refusal is recorded with the limit that caused it.
//
// A limit of 1 makes a kind unique: DefaultRules gives user_id a limit of 1, so two
// different user ids are never in one profile, whatever chain of shared devices,
// e-mails or cookies connects them; other kinds get 5. Because higher-priority
// identifiers are linked first, a conflict is resolved in favour of the stronger
// evidence: an event carrying user u2 and a family tablet already in u1's profile creates
// u2's profile and leaves the tablet with u1, rather than attaching u2's e-mail to u1.
// Limits bound what any sequence of events can build (a property the tests check in
// every reachable state); a merge that is refused today is not retried later.
//
// # Hot identifiers
//
// An identifier that keeps meeting other profiles is not evidence of one person: a
// family tablet, the shop's own phone number typed at the till for customers who gave
// none. With Rules.HotLimit K > 0, each identifier counts the profiles it has joined (its
// own, plus one for every profile merged in an event it took part in) and the distinct
// profiles it was refused with (as the anchor, or as the identifier refused). The event
// that would make that count exceed K quarantines the identifier instead: it is split
// off its profile with the links it brought, as Unmerge would (the merges it made before
// it was found hot are suspect), by a record of its own written before the event that
// revealed it; that event is then decided again without it, and it takes no part in any
// later event either. Lookup finds it alone in a profile of its own. Link returns 0 for
// an event whose every identifier is quarantined or dropped rather than guess whose
// event it was. DefaultRules uses K = 5.
//
// What no rule can see: an anonymous cookie seen only with a device is, until something
// conflicts, indistinguishable from the device owner's own new cookie, so anonymous
// visits by other members of a household join the household device's profile. On the
// synthetic customer base of internal/synth the default rules cut wrongly merged people
// from 1.4% (plain connected components) to 0.46%, and all that remains is of this kind.
//
// # Unmerge, keys and history
//
// Every mutation is a record in the history: a link records which identifiers were new,
// which joined, which were refused and by which limit, which were quarantined and which
// were dropped. Records hold decisions, not inputs, so replaying them rebuilds the same
// profiles and keys without running the rules again: a store stays valid when the rules
// change (new rules govern new events) and when values are stored as HMAC digests.
//
// Unmerge splits an identifier off its profile together with the links it brought: the
// profile is recomputed from the recorded events that remain, which touches that profile
// only. Keys stay stable: each key is tied to the identifier whose arrival created it,
// the profile's own key stays with what remains of the profile (re-tied to its oldest
// identifier if the split one had created it), every other piece takes the oldest key
// created inside it (so undoing a wrong merge gives back the absorbed keys) or a fresh
// key, and the split identifier gets a fresh key. A Split reports the result.
//
// Explain returns the shortest chain of recorded links that joins two identifiers, or
// the refusals that keep their profiles apart. History yields every record. AsOf returns
// a read-only View of the graph built from the records stamped at or before a time.
//
// LinkMatch links identifiers that a probabilistic match (package identity/match) judged
// to be one person's: the record carries a Match with its Fellegi-Sunter weight, which
// Explain's hops, History and OnMerge return, and Unmerge undoes the link like any other.
// Matched links are records of their own type (format version 2); a store written before
// them is still read and appended to.
//
// # Persistence and privacy
//
// Without a store the history lives in memory. WithStore persists it through a Store, a
// small interface a host may implement (package identity/storetest checks an
// implementation): the resolver appends each mutation's record before it changes
// anything (a failed append leaves it unchanged) and New replays the store. MemStore
// keeps records in memory; FileStore keeps them in one internal/wal file, with length,
// sequence and chained CRC32C framing. FileStore's Append writes without waiting for the
// disk and Sync fsyncs; a mutation returns only after Sync succeeds, and concurrent
// mutations share one fsync (group commit), so no acknowledged record is lost in a crash.
// Opening never modifies the file: a record torn by a crash is ignored (it was never
// acknowledged); any other damage (a flipped bit, a truncation, a removed or repeated
// record) makes OpenFileStore fail with the byte offset, and RepairFile keeps the valid
// records before the damage, saving the bytes it cuts to a side file. A record that decodes badly or
// contradicts the records before it makes New fail with ErrCorrupt and its index.
// Reopening a store rebuilds exactly the same profiles and keys. The replay of a long log
// takes time: WithReplayContext(ctx) lets a host's shutdown signal end it, New then
// failing with ctx's error and the count of records replayed (ctx bounds New only; on
// identity/pgstore it also ends a wait for PostgreSQL). A Link that finds an
// identifier hot writes two records, the quarantine and then the event; a crash between
// them keeps the quarantine and loses the event, whose Link had not returned.
//
// WithHMAC stores every value as an HMAC-SHA256 digest under a host key, in memory and
// on disk; lookups still work, and a store opened with another key fails with
// ErrKeyMismatch. Forget erases profiles (a person's right to be forgotten): the values
// are overwritten in memory and leave the lookup index, the keys are retired (Current
// returns 0, OnForget reports them), and the rest of the graph is untouched. On a store
// that implements Compacter Forget then rewrites the store without the erased values
// (FileStore writes a new file, fsyncs it and renames it over the old one; MemStore
// replaces its records).
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): Store, MemStore (zero value ready) and
// OpenFileStore(path, *FileOptions) with identity/storetest's Harness{Open, Reopen,
// Close}; bad input is ErrInvalid, damaged records ErrCorrupt, unknown identifiers and
// profiles ErrNotFound, a closed store ErrClosed, all in errors.go, each message naming
// "identity:" once; arguments go ctx, instant, subject (Link(ctx, at, ...),
// Unmerge(ctx, at, id), Forget(ctx, at, ...)); New takes functional Options
// (WithStore, WithHMAC, WithReplayContext...), refusing a bad value with ErrInvalid.
//
// # Design: safety choices
//
// The systems this package was held against differ, and where they do it takes the
// choice that loses a merge rather than one that makes a wrong one, because a wrong merge
// mixes two people's histories, messages and purchases and cannot be undone downstream,
// whereas a missed merge only splits one person's history:
//
//   - Identifier limits and priority as in Segment Unify, rather than the plain
//     connected components of RudderStack's identity stitching, where a single shared
//     value can collapse thousands of profiles into one.
//   - Unique user ids, as Mixpanel's simplified ID merge does not merge two user ids; and
//     no merge of two user ids through chains of anonymous ids either.
//   - Block lists like PostHog's list of illegal distinct ids, applied to every kind.
//   - Opaque ids (user, device, anonymous) are not lower-cased, and national phone
//     numbers get no guessed country: two values that might be two people stay two.
//   - Refused links and quarantines are recorded, so a person can see why two profiles
//     are apart (Explain) and fix it.
//
// # Design: concurrency and capacity
//
// A Resolver is safe for concurrent use: mutations are serialised by a lock, reads run in
// parallel, and change reports are delivered in the order the changes happened, after the
// lock is released (callbacks may read from the resolver, not mutate it). A View and the
// stores are safe for concurrent use too.
//
// A resolver holds up to 2^28-1 identifiers (about 268 million), 255 kinds and 4 GiB of
// identifier bytes. Identifiers are interned in an arena of byte pages indexed by an
// open-addressing hash table, and profiles are a union-find forest over dense node ids in
// which every node points at its root; together with the history, this takes about 100
// bytes per identifier (see BENCHMARKS.md). In a resolver of millions of identifiers a
// lookup waits on a few cache misses; LookupMany resolves many at once with their misses
// overlapped, at about a third of the cost each. LinkBatch and LinkSeq link a backfill
// with the same effect as Link per event, normalising and hashing on every core, the
// second core owning the identifier table (lookups and interning) while the first
// decides, and syncing the store once per batch; WithCapacity sizes the identifier
// index for a backfill of known size up front, sparing its doublings. At tens of millions
// of identifiers nearly every random read also misses the TLB: on Linux, a backfill in a
// process with transparent huge pages set to "always" ran about a quarter faster
// (BENCHMARKS.md); the library does not ask for them itself.
package identity
