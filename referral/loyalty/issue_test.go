package loyalty_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestRefundsProportionalWithDebt: partial refunds of an order reverse its points in
// proportion, floor(P·R/A) in all after refunds adding up to R, so that refunds adding
// up to the whole order reverse exactly its points; what the order's lot no longer
// holds (spent) is charged to the member's other points and then becomes a debt, never
// a negative balance; the next credit repays the debt first.
func TestRefundsProportionalWithDebt(t *testing.T) {
	ctx := context.Background()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := l.Earn(ctx, day(1), "e1", 7, "O-1", 10000); err != nil || rec.Points != 100 {
		t.Fatalf("earn: %+v %v", rec, err)
	}
	if _, err := l.Bonus(ctx, day(1), "b1", 7, 10, "welcome"); err != nil {
		t.Fatal(err)
	}
	// Neither lot expires and both were earned at one instant: the order's, created
	// first, is spent first, and keeps 5 points; the bonus keeps its 10.
	if _, err := l.Spend(ctx, day(2), "s1", 7, 95); err != nil {
		t.Fatal(err)
	}
	if b := l.Balance(day(2), 7); b != (loyalty.Balance{Available: 15}) {
		t.Fatalf("after the spend: %+v", b)
	}
	steps := []struct {
		amount, reversed int64
		want             loyalty.Balance
	}{
		{3333, 33, loyalty.Balance{Debt: 18}}, // floor(100·3333/10000) = 33: 15 taken, 18 owed
		{3333, 33, loyalty.Balance{Debt: 51}}, // floor(100·6666/10000) - 33 = 33
		{3334, 34, loyalty.Balance{Debt: 85}}, // the whole order: 100 - 66 = 34
	}
	var total int64
	for i, s := range steps {
		rec, err := l.Refund(ctx, day(3+i), "r"+string(rune('a'+i)), "O-1", s.amount)
		if err != nil {
			t.Fatal(err)
		}
		total += rec.Points
		if rec.Points != s.reversed {
			t.Fatalf("refund %d of %d: %d points reversed, want %d", i, s.amount, rec.Points, s.reversed)
		}
		b := l.Balance(day(3+i), 7)
		if b != s.want || b.Net() != -s.want.Debt {
			t.Fatalf("after refund %d: %+v, want %+v", i, b, s.want)
		}
	}
	if total != 100 {
		t.Fatalf("refunds adding up to the whole order reversed %d points, the order earned 100", total)
	}
	if _, err := l.Refund(ctx, day(9), "r-more", "O-1", 1); !errors.Is(err, loyalty.ErrRefundExceeds) {
		t.Fatalf("a refund beyond the order: %v, want ErrRefundExceeds", err)
	}
	if _, err := l.Spend(ctx, day(9), "s-debt", 7, 1); !errors.Is(err, loyalty.ErrInsufficient) {
		t.Fatalf("a spend in debt: %v, want ErrInsufficient", err)
	}
	// The next credit repays the debt first.
	if _, err := l.Bonus(ctx, day(10), "b2", 7, 100, "goodwill"); err != nil {
		t.Fatal(err)
	}
	if b := l.Balance(day(10), 7); b != (loyalty.Balance{Available: 15}) {
		t.Fatalf("after a bonus of 100 against a debt of 85: %+v", b)
	}
	// At every instant, no part of the balance is negative and debt never sits beside
	// points.
	for h := range 24 * 12 {
		b := l.Balance(day(1).Add(time.Duration(h)*time.Hour), 7)
		if b.Available < 0 || b.Locked < 0 || b.Debt < 0 || b.Expired < 0 || b.Debt > 0 && b.Available+b.Locked > 0 {
			t.Fatalf("hour %d: %+v", h, b)
		}
	}
}

// TestExpiryAtExactInstant: a lot expiring at T can be spent until T and not at T;
// at T its points count as expired, and Lots no longer lists it.
func TestExpiryAtExactInstant(t *testing.T) {
	ctx := context.Background()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 30}})
	if err != nil {
		t.Fatal(err)
	}
	earned := day(1).Add(13*time.Hour + 7*time.Minute)
	rec, err := l.Earn(ctx, earned, "e1", 7, "O-1", 5000)
	if err != nil {
		t.Fatal(err)
	}
	T := earned.AddDate(0, 0, 30)
	if !rec.ExpiresAt.Equal(T) {
		t.Fatalf("expires at %v, want %v", rec.ExpiresAt, T)
	}
	before := T.Add(-time.Nanosecond)
	if b := l.Balance(before, 7); b != (loyalty.Balance{Available: 50}) {
		t.Fatalf("a nanosecond before expiry: %+v", b)
	}
	if b := l.Balance(T, 7); b != (loyalty.Balance{Expired: 50}) {
		t.Fatalf("at expiry: %+v", b)
	}
	if lots := l.Lots(T, 7); len(lots) != 0 {
		t.Fatalf("lots at expiry: %+v", lots)
	}
	if _, err := l.Spend(ctx, before, "s1", 7, 20); err != nil {
		t.Fatalf("a spend a nanosecond before expiry: %v", err)
	}
	if _, err := l.Spend(ctx, T, "s2", 7, 1); !errors.Is(err, loyalty.ErrInsufficient) {
		t.Fatalf("a spend at the expiry instant: %v, want ErrInsufficient", err)
	}
	if b := l.Balance(T, 7); b != (loyalty.Balance{Expired: 30}) {
		t.Fatalf("at expiry after spending 20: %+v", b)
	}
	li, err := l.Liability(T, nil)
	if err != nil {
		t.Fatal(err)
	}
	if li.Outstanding != 0 || li.Expired != 30 {
		t.Fatalf("liability at expiry: outstanding %d, expired %d; want 0 and 30", li.Outstanding, li.Expired)
	}
}
