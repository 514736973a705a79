// Package referral answers who brought whom, who earned what, and how fast a product
// grows by referral.
//
//	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{
//		ReferrerReward: 1000, ReferredReward: 500, Hold: 14 * 24 * time.Hour,
//	})
//	code, _ := prog.IssueCode(ctx, at, "code:ann", ann, referral.Signals{}, rand.Reader)
//	d, _ := prog.SignUp(ctx, at, "signup:bob", bob, string(code), referral.Signals{})
//	_ = prog.Order(ctx, at, "order:A-1", bob, "A-1", 4900) // a retried webhook pays once
//	b := prog.Balance(later, ann) // Earned, Held (for 14 days), Paid, Payable
//
// Multi-touch attribution of conversions to marketing channels is package
// referral/attribution; the points-and-tiers loyalty programme is referral/loyalty.
//
// # Referral programmes
//
// A [Program] runs a programme over a [Store] (in memory, a durable [FileStore], or a
// [SharedStore] that several processes write, as referral/pgstore does on PostgreSQL):
// referral codes ([NewCode], [ParseCode]: unguessable, checksummed, case-insensitive,
// without ambiguous characters) and links, invitations, and the attribution of each
// sign-up to a referrer within a window by a first- or last-referrer rule; qualifying
// actions that earn rewards for both sides, held for a period, capped per referrer and
// per period, and clawed back when the qualifying order is refunded; fraud guards
// (self-referral, referral cycles, velocity) that flag or block with a reason; and
// identity merges ([Program.ApplyMerge]). The ledger is append-only and idempotent by
// event key, so a retried webhook never pays twice, and reports balances and payables as
// of any time. Time always comes from the events; the package never reads the clock.
// [Open] rebuilds the state by replaying the store, which on a long ledger takes time:
// [WithReplayContext] lets a host's shutdown signal end it (Open then fails with the
// context's error and the count of records replayed).
//
// Refunds may be partial ([Program.RefundAmount]: one item of an order of three) and add
// up to at most the order's amount; [Program.Refund] takes back the whole order, or what
// remains of it. A referral's rewards stand while its qualifying order still qualifies at
// its net amount (the amount minus the refunds dated no later): with [FirstPurchase]
// until the order is fully refunded, with [PurchaseOver] while the net amount is at
// least the minimum. The refund after which it no longer qualifies claws the rewards
// back, dated at that refund whatever order the refunds arrive in; a referral clawed
// back does not qualify again by a later order. In the ledger a refund is a [KindRefund]
// record whose Amount is the amount refunded, and 0 means a refund of all that remained:
// ledgers written before partial refunds existed hold only such records, and read as
// before.
//
// # Erasure
//
// [Program.Forget] serves a person's right to be forgotten (GDPR art. 17): it records a
// [KindForget] record, after which the Signals (e-mail, phone, device, network) of
// every record the ledger holds for the person (their codes and sign-ups, the
// attributions of their sign-ups, the invitations sent to their e-mail or phone) are
// blank, and the guards' reasons no longer quote them; on a [Compacter] store
// (MemStore, FileStore, referral/pgstore) it then rewrites the store without them
// (FileStore: a new file, fsynced and renamed over the old one, the directory fsynced),
// and [Open] finishes a rewrite that a crash cut short. The accounts stay: records, amounts, rewards, claw-backs, payouts,
// balances, payables, referrers and counts. The fraud guards no longer see the erased
// signals, so a later sign-up sharing them is not flagged for it. Forgetting a profile
// the ledger never saw, or one with nothing left to blank, records nothing. Event keys
// and order ids are kept as written: they must not hold personal data. On a SharedStore
// every replica blanks the signals in memory when it applies the forget record, and
// referral/pgstore, a Compacter too, updates the rows in place in one transaction
// under the ledger's lock.
//
// A person who was invited but has no profile (never signed up) is erased by contact:
// [Program.ForgetContact] blanks their e-mail or phone in the invitations sent to it,
// found by equality with the contact as [Program.Invite] recorded it (the package
// normalises no signal, as attribution does not), records a forget record naming no
// profile and those invitations' keys, and rewrites the store as Forget does, with the
// same guarantees and the same idempotence. The invitations stay in the invite tree
// and no longer attribute a later sign-up.
//
// The package does not import identity: given [WithPeople], it asks a [PersonResolver]
// whether two profiles are one person, which *identity.Resolver satisfies.
//
// # Bulk apply from a queue
//
// A consumer of a queue or a topic hands a batch of events to [Program.Apply], which
// group-commits them. When Apply stops at an event, its [*EventError] says which
// (Index: the events before it are durable) and whose fault it is, in one test: when
// its Permanent field is set, the event is malformed or refused (dead-letter it and go
// on with the next); otherwise Apply stopped for a passing reason, a done context or a
// shared store it could not lead (send the rest again later). When the store fails
// an append, an [*AppendError] says which events are durable (send the rest again, on
// a Program opened again). The EventError example is that consumer.
//
// The event methods ([Program.Order] and the others) return their error unclassified,
// and a consumer that sends one event at a time classifies it by what it wraps: a
// refusal sentinel ([ErrInvalid], [ErrKeyReused], [ErrConflict], [ErrNotFound],
// [ErrCode], [ErrRefundBeforeOrder], [ErrRefundExceeds], [ErrInsufficient]) is the
// event's fault (dead-letter it); a done context ([context.Canceled],
// [context.DeadlineExceeded]) or a store's failure, any other error, is not (send it
// again). The rule holds but for a store whose failure wraps one of those sentinels
// (referral/pgstore wraps ErrInvalid for a call out of order), which it would call the
// event's fault; Apply of the one event, whose Permanent is set where the error is
// made, is exact on every store.
//
// # Viral growth
//
// [NewTree] builds the invite tree (generations, descent from seed users), [ViralGrowth]
// measures the viral coefficient K = invitations per user × invitation conversion per
// sign-up cohort with confidence intervals, the share of new users that came by
// referral and the viral cycle time, and [Project] and [Limit] project users over
// viral cycles.
//
// # Multi-touch attribution
//
// Sharing conversions among the channels of customer journeys is a product of its own,
// with no types in common with the programme ledger: see package referral/attribution.
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): Store, MemStore (zero value ready) and
// OpenFileStore(path, *FileOptions) with referral/storetest's Harness{Open, Reopen,
// Close}; bad input is ErrInvalid, damaged records ErrCorrupt, unknown orders
// ErrNotFound, a closed store ErrClosed, with the ledger's specific sentinels, all in
// errors.go, each message naming "referral:" once; ApplyMerge(survivor, absorbed) error;
// arguments go ctx, instant, subject (Forget(ctx, at, profiles...), as identity's, and
// ForgetContact(ctx, at, contacts...));
// Open takes the programme's Rules and functional Options (WithPeople, WithClock,
// WithReplayContext), as loyalty.Open and identity.New do, and refuses a bad one with
// ErrInvalid.
package referral
