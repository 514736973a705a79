// Package loyalty runs a points-and-tiers loyalty programme: points earned on orders by
// rules, held as lots that unlock after a returns window and expire, spent
// earliest-expiring first, reversed by refunds; tiers reached and lost over a rolling
// window; and the liability the outstanding points are to the business.
//
//	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{
//		Lock:   14 * 24 * time.Hour,                         // the returns window
//		Expiry: loyalty.Expiry{Rule: loyalty.EndOfMonth, N: 6}, // end of the sixth month
//	})
//	_, _ = l.Earn(ctx, at, "order:O-1", member, "O-1", 12000) // 120 points for 120.00
//	_, _ = l.Spend(ctx, later, "voucher:1", member, 100)      // earliest-expiring first
//	b := l.Balance(later, member)                              // Available, Locked, Debt, Expired
//	li, _ := l.Liability(later, &loyalty.LiabilityOptions{CostPerPoint: 0.5})
//
// It is a package of its own beside the referral programme ledger, not part of it:
// the two are separate products with no types in common (a referral programme pays
// rewards for bringing people; a loyalty programme pays points for buying), and they
// share only the storage machinery, which lives in internal/ (internal/wal for the
// file store, internal/codec for the record decoder, internal/pg for PostgreSQL,
// internal/storecheck for the conformance suite).
//
// # The ledger
//
// A [Ledger] runs over a [Store] ([MemStore], a durable [FileStore], or a host's own,
// checked by referral/loyalty/storetest; referral/loyalty/pgstore keeps it in
// PostgreSQL, one log shared by every replica of a service: see [SharedStore], under
// which each event is decided on the whole log, so that a key is recorded once across
// replicas and spends never overdraw a balance between them). Events ([Ledger.Earn], [Ledger.Spend],
// [Ledger.Refund], [Ledger.Bonus], [Ledger.Adjust], and merges) carry an event key: the ledger is
// append-only and idempotent by key (the same event again returns the first record; a
// different event under a used key fails with [ErrKeyReused]), and replaying the
// store gives the state the live ledger had ([Open] does; [WithReplayContext] lets a
// host's shutdown signal end a long replay). Time always comes from the events; the
// package never reads the clock. A member's events are recorded in time order (an
// event dated before the member's last one is refused): points spent depend on what
// was available when they were spent.
//
// [Ledger.ApplyMerge] records an identity merge (CONVENTIONS.md): the absorbed member's
// lots, debt, orders and tier window move to the survivor and its later events are
// redirected there. The merge is dated by the ledger at the later of the two members'
// last events, so the time-order rule holds for the merged member: its events dated
// before the merge are refused. Queries before the merge instant see the two members
// as they were.
//
// # Bulk apply from a queue
//
// A consumer of a queue or a topic hands a batch of events to [Ledger.Apply], which
// group-commits them. When Apply stops at an event, its [*EventError] says which
// (Index: the events before it are durable) and whose fault it is, in one test: when
// its Permanent field is set, the event is malformed or refused (dead-letter it and go
// on with the next); otherwise Apply stopped for a passing reason, a done context or a
// shared store it could not lead (send the rest again later). When the store fails
// an append, an [*AppendError] says which events are durable (send the rest again, on
// a Ledger opened again). The EventError example is that consumer.
//
// The event methods ([Ledger.Earn] and the others) return their error unclassified,
// and a consumer that sends one event at a time classifies it by what it wraps: a
// refusal sentinel ([ErrInvalid], [ErrKeyReused], [ErrConflict], [ErrNotFound],
// [ErrInsufficient], [ErrRefundExceeds]) is the event's fault (dead-letter it); a done
// context ([context.Canceled], [context.DeadlineExceeded]) or a store's failure, any
// other error, is not (send it again). The rule holds but for a store whose failure
// wraps one of those sentinels (referral/loyalty/pgstore wraps ErrInvalid for a call
// out of order), which it would call the event's fault; Apply of the one event, whose
// Permanent is set where the error is made, is exact on every store.
//
// # Lots, locks and expiry
//
// Each credit is a lot: its points, the instant earned, the instant it unlocks
// (Rules.Lock after an order: locked points count but cannot be spent) and the instant
// it expires ([Expiry]: after N days, at the end of a month or a year, or never, in
// Rules.Location). Expiry is exact: a lot expiring at T can be spent until T and not at
// T. Spending consumes the available lots earliest-expiring first. A refund reverses
// the order's points proportionally; points already spent are charged to the member's
// other points and, if there are none, recorded as a debt that the next points repay
// (see [Ledger.Refund]): a balance never goes negative silently.
//
// # Tiers
//
// Rules.Tiers are reached by the points (or the amounts) of orders over a rolling
// window, net of refunds, with a grace period before a downgrade, and evaluated as of
// any instant, past or future ([Ledger.Tier], [Ledger.TierHistory]): the changes the
// recorded events made, and those time alone will make (an order leaving the window,
// a grace period ending). An order earns at the multiplier of the tier held when it is
// recorded. [WithOnTier] and [Ledger.TierChanges] keep segment tags of the current
// tiers live (see the WithOnTier example).
//
// # Liability
//
// [Ledger.Liability] values the points outstanding at an instant at a cost per point,
// less the expected breakage, estimated per [Vintage] (month of issue) from the member base's
// own redemption history with an interval (see [Liability] for the method). Every
// ledger entry adds up to it: the points credited, minus those spent and taken back,
// equal the outstanding and expired points less the debt.
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): Store, MemStore (zero value ready) and
// OpenFileStore(path, *FileOptions) with storetest's Harness{Open, Reopen, Close};
// bad input is ErrInvalid, damaged records ErrCorrupt, unknown orders ErrNotFound, a
// closed store ErrClosed, with the ledger's own sentinels, all in errors.go, each
// message naming "loyalty:" once; methods take (ctx, at, key, subject...); Open takes
// the programme's Rules and functional Options (WithOnTier, WithReplayContext), as
// referral.Open and identity.New do, and refuses a bad one with ErrInvalid.
package loyalty
