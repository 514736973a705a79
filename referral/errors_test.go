package referral_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the package's sentinel that names its kind, and carry "referral:" exactly once.
func TestErrorPaths(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p, err := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	zero := strings.NewReader(strings.Repeat("\x00", 64))
	code, err := p.IssueCode(context.Background(), at, "c1", 1, referral.Signals{}, zero)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SignUp(context.Background(), at.Add(time.Hour), "s2", 2, string(code), referral.Signals{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Order(context.Background(), at.Add(2*time.Hour), "o2", 2, "A", 1000); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(t.TempDir(), "ledger.wal")
	if err := os.WriteFile(damaged, []byte("this is not a ledger file at all, and long enough"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed, err := referral.OpenFileStore(filepath.Join(t.TempDir(), "l.wal"), nil)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Open with a negative reward", second(referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: -1})), referral.ErrInvalid},
		{"Open with WithPeople(nil)", second(referral.Open(&referral.MemStore{}, referral.Rules{}, referral.WithPeople(nil))), referral.ErrInvalid},
		{"Open with WithClock(nil)", second(referral.Open(&referral.MemStore{}, referral.Rules{}, referral.WithClock(nil))), referral.ErrInvalid},
		{"Open with a nil Option", second(referral.Open(&referral.MemStore{}, referral.Rules{}, nil)), referral.ErrInvalid},
		{"Order with a negative amount", p.Order(context.Background(), at, "o3", 2, "B", -5), referral.ErrInvalid},
		{"Order with an empty key", p.Order(context.Background(), at, "", 2, "B", 5), referral.ErrInvalid},
		{"Order key reused for another event", p.Order(context.Background(), at.Add(2*time.Hour), "o2", 2, "A", 999), referral.ErrKeyReused},
		{"SignUp of a profile already signed up", second(p.SignUp(context.Background(), at.Add(4*time.Hour), "s4", 2, "", referral.Signals{})), referral.ErrConflict},
		{"Apply of an order id used twice", p.Apply(context.Background(), referral.Record{Kind: referral.KindOrder, Key: "o5", At: at.Add(3 * time.Hour), Profile: 2, Order: "A", Amount: 1}), referral.ErrConflict},
		{"Apply of a refund of an unknown order", p.Apply(context.Background(), referral.Record{Kind: referral.KindRefund, Key: "r5", At: at.Add(3 * time.Hour), Order: "nope"}), referral.ErrNotFound},
		{"Apply of an unknown code", p.Apply(context.Background(), referral.Record{Kind: referral.KindSignup, Key: "s5", At: at.Add(3 * time.Hour), Profile: 5, Code: "ZZZZ-ZZZZ-ZZZZ"}), referral.ErrCode},
		{"Order with a cancelled context", p.Order(cancelled, at.Add(3*time.Hour), "o6", 2, "C", 5), context.Canceled},
		{"Apply with a cancelled context", p.Apply(cancelled, referral.Record{Kind: referral.KindOrder, Key: "o7", At: at.Add(3 * time.Hour), Profile: 2, Order: "D", Amount: 5}), context.Canceled},
		{"Order id used twice", p.Order(context.Background(), at.Add(3*time.Hour), "o4", 2, "A", 1000), referral.ErrConflict},
		{"Refund of an unknown order", p.Refund(context.Background(), at.Add(3*time.Hour), "r1", "nope"), referral.ErrNotFound},
		{"Refund before its order", p.RefundAmount(context.Background(), at.Add(time.Hour), "r2", "A", 10), referral.ErrRefundBeforeOrder},
		{"Refund beyond the order", p.RefundAmount(context.Background(), at.Add(3*time.Hour), "r3", "A", 5000), referral.ErrRefundExceeds},
		{"Payout beyond the balance", p.Payout(context.Background(), at.Add(3*time.Hour), "p1", 1, 1<<40), referral.ErrInsufficient},
		{"ApplyMerge into itself", p.ApplyMerge(2, 2), referral.ErrInvalid},
		{"ParseCode of a typo", second(referral.ParseCode("7K3M-Q8ZE-Y15")), referral.ErrCode},
		{"SignUp with an unknown code", second(p.SignUp(context.Background(), at, "s3", 3, "ZZZZ-ZZZZ-ZZZZ", referral.Signals{})), referral.ErrCode},
		{"CodeFromLink without a code", second(referral.CodeFromLink("https://example.com/")), referral.ErrCode},
		{"Limit at K >= 1", second(referral.Limit(100, 1.1)), referral.ErrInvalid},
		{"NewTree with a cycle", second(referral.NewTree([]referral.Signup{{Profile: 1, Referrer: 2}, {Profile: 2, Referrer: 1}})), referral.ErrCycle},
		{"Cohorts with level 2", second(referral.ViralGrowth([]referral.Signup{{Profile: 1, At: at}}, nil, at, 24*time.Hour, 1, 2)), referral.ErrInvalid},
		{"OpenFileStore of a damaged file", second(referral.OpenFileStore(damaged, nil)), referral.ErrCorrupt},
		{"UnmarshalBinary of garbage", new(referral.Record).UnmarshalBinary([]byte{0xff, 0xff}), referral.ErrCorrupt},
		{"Append after Close", closed.Append(referral.Record{Kind: referral.KindOrder, Key: "k"}), referral.ErrClosed},
	} {
		checkErr(t, c.name, c.err, c.want, "referral:")
	}
}

func second[T any](_ T, err error) error { return err }

// checkErr holds err to wrapping want and naming the package exactly once, at the start
// (CONVENTIONS.md: "referral: what and where"), and no subpackage (a store) besides.
func checkErr(t *testing.T, name string, err, want error, prefix string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", name, err, want)
		return
	}
	msg := err.Error()
	if n := strings.Count(msg, prefix); n != 1 || !strings.HasPrefix(msg, prefix) {
		t.Errorf("%s: %q carries %q %d times, or not at its start", name, err, prefix, n)
	}
	if sub := strings.TrimSuffix(prefix, ":") + "/"; strings.Contains(msg, sub) {
		t.Errorf("%s: %q names a subpackage (%s...) besides", name, err, sub)
	}
}
