package loyalty

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

const maxText = 512 // bytes of a key, order id, product, category or reason

func badText(s string) bool {
	return len(s) > maxText || strings.IndexFunc(s, unicode.IsControl) >= 0
}

// checkShape checks the fields of r that do not depend on the ledger. input says r is
// an event from the host, whose decided fields (the points of an earn or a refund,
// the unlock and expiry instants) must be empty; otherwise r is a stored record.
func checkShape(r *Record, input bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s event %q: "+format, append([]any{ErrInvalid, r.Kind, r.Key}, args...)...)
	}
	if r.Kind == 0 || r.Kind >= kindEnd {
		return fmt.Errorf("%w: event %q: unknown kind %d", ErrInvalid, r.Key, r.Kind)
	}
	if r.Key == "" || badText(r.Key) {
		return bad("key must be 1 to %d bytes without control characters", maxText)
	}
	if r.Kind == KindMerge {
		return checkMerge(r, input, bad)
	}
	if r.Absorbed != 0 {
		return bad("field Absorbed is for merges")
	}
	if r.At.IsZero() {
		return bad("field At: missing time")
	}
	if y := r.At.Year(); y < 1900 || y > 2200 {
		return bad("field At: year %d out of range 1900 to 2200", y)
	}
	if r.Member == 0 && !(input && r.Kind == KindRefund) {
		return bad("field Member: 0 is no member")
	}
	if badText(r.Reason) || badText(r.Order) {
		return bad("fields Order and Reason must be at most %d bytes without control characters", maxText)
	}
	if input && (!r.UnlockAt.IsZero() || !r.ExpiresAt.IsZero()) {
		return bad("fields UnlockAt and ExpiresAt are the ledger's to set")
	}
	if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(r.At) {
		return bad("field ExpiresAt: %v not after the event", r.ExpiresAt)
	}
	if !r.UnlockAt.IsZero() && r.UnlockAt.Before(r.At) {
		return bad("field UnlockAt: %v before the event", r.UnlockAt)
	}
	switch r.Kind {
	case KindEarn:
		if r.Order == "" {
			return bad("field Order: missing order id")
		}
		if r.Amount < 1 || r.Amount > maxAmount {
			return bad("field Amount: %d out of range 1 to %d", r.Amount, int64(maxAmount))
		}
		if len(r.Lines) > maxLines {
			return bad("%d lines, more than %d", len(r.Lines), maxLines)
		}
		var sum int64
		for i, l := range r.Lines {
			if l.Amount < 0 || l.Amount > maxAmount || badText(l.Product) || badText(l.Category) {
				return bad("line %d: amount %d out of range, or a product or category too long", i, l.Amount)
			}
			sum += l.Amount
		}
		if sum > r.Amount {
			return bad("the lines add up to %d, more than the order's amount %d", sum, r.Amount)
		}
		if input && r.Points != 0 {
			return bad("field Points is the ledger's to set")
		}
		if r.Points < 0 {
			return bad("field Points: %d negative", r.Points)
		}
		if r.Reason != "" {
			return bad("field Reason is for bonuses and adjustments")
		}
	case KindRefund:
		if r.Order == "" {
			return bad("field Order: missing order id")
		}
		if r.Amount < 0 || r.Amount > maxAmount {
			return bad("field Amount: %d out of range 0 (the rest of the order) to %d", r.Amount, int64(maxAmount))
		}
		if input && r.Points != 0 {
			return bad("field Points is the ledger's to set")
		}
		if r.Points < 0 || len(r.Lines) > 0 || r.Reason != "" || !r.ExpiresAt.IsZero() || !r.UnlockAt.IsZero() {
			return bad("negative Points, or Lines, Reason, UnlockAt or ExpiresAt set")
		}
	case KindSpend, KindBonus, KindAdjust:
		if r.Order != "" || r.Amount != 0 || len(r.Lines) > 0 {
			return bad("fields Order, Amount and Lines are for earns and refunds")
		}
		switch {
		case r.Points > maxPoints || r.Points < -maxPoints:
			// Name the range, so that the host knows what it may send.
			if r.Kind == KindAdjust {
				return bad("field Points: %d out of range -%d to %d", r.Points, int64(maxPoints), int64(maxPoints))
			}
			return bad("field Points: %d out of range 1 to %d", r.Points, int64(maxPoints))
		case r.Kind != KindAdjust && r.Points <= 0:
			return bad("field Points: %d, want a positive number", r.Points)
		case r.Points == 0:
			return bad("field Points: 0 adjusts nothing")
		case (r.Kind == KindSpend || r.Points < 0) && (!r.ExpiresAt.IsZero() || !r.UnlockAt.IsZero()):
			return bad("a debit has no unlock or expiry")
		}
	}
	return nil
}

// checkMerge checks the shape of a merge: two members, distinct and not zero, and no
// other field; its date is the ledger's to set (see Ledger.ApplyMerge).
func checkMerge(r *Record, input bool, bad func(string, ...any) error) error {
	if r.Member == 0 || r.Absorbed == 0 {
		return bad("fields Member and Absorbed: 0 is no member")
	}
	if r.Member == r.Absorbed {
		return bad("member %d merged into itself", r.Member)
	}
	if r.Order != "" || r.Amount != 0 || len(r.Lines) > 0 || r.Points != 0 || r.Reason != "" || !r.UnlockAt.IsZero() || !r.ExpiresAt.IsZero() {
		return bad("a merge has only Member and Absorbed")
	}
	switch y := r.At.Year(); {
	case input && !r.At.IsZero():
		return bad("field At is the ledger's to set")
	case !input && (y < 1900 || y > 2200):
		return bad("field At: year %d out of range 1900 to 2200", y)
	}
	return nil
}

// sameInput reports whether ev, an event from the host, is the event first was
// recorded from: the same fields, leaving aside those the ledger decided.
func sameInput(first, ev *Record) bool {
	if ev.Kind == KindMerge {
		return first.Kind == KindMerge // the key names the merge; the ledger dates it
	}
	if first.Kind != ev.Kind || !first.At.Equal(ev.At) || first.Order != ev.Order || first.Amount != ev.Amount ||
		first.Reason != ev.Reason || !slices.Equal(first.Lines, ev.Lines) {
		return false
	}
	if ev.Kind == KindRefund {
		return ev.Member == 0 || ev.Member == first.Member
	}
	if first.Member != ev.Member {
		return false
	}
	return ev.Kind == KindEarn || first.Points == ev.Points
}

// sameRecord reports whether two stored records are the same.
func sameRecord(a, b *Record) bool {
	if a.Kind == KindMerge || b.Kind == KindMerge {
		return a.Kind == b.Kind && a.Member == b.Member && a.Absorbed == b.Absorbed && a.At.Equal(b.At)
	}
	return sameInput(a, b) && a.Member == b.Member && a.Points == b.Points &&
		a.UnlockAt.Equal(b.UnlockAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}
