package loyalty_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestErrors: bad input fails with the sentinel, names what and where, carries the
// package prefix once, and leaves the ledger (and its store) unchanged.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	store := &loyalty.MemStore{}
	l, err := loyalty.Open(store, shopRules())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Earn(ctx, day(10), "e1", 1, "O1", 10000); err != nil {
		t.Fatal(err)
	}
	records := func() int {
		n := 0
		for range store.Records() {
			n++
		}
		return n
	}
	before, balance := records(), l.Balance(day(30), 1)
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"key reused for another event", func() error { _, err := l.Earn(ctx, day(10), "e1", 1, "O1", 9999); return err }, loyalty.ErrKeyReused},
		{"order earned twice", func() error { _, err := l.Earn(ctx, day(11), "e2", 1, "O1", 10000); return err }, loyalty.ErrConflict},
		{"event before the member's last", func() error { _, err := l.Bonus(ctx, day(9), "b1", 1, 5, "x"); return err }, loyalty.ErrInvalid},
		{"spend of locked points", func() error { _, err := l.Spend(ctx, day(11), "s1", 1, 1); return err }, loyalty.ErrInsufficient},
		{"spend beyond the balance", func() error { _, err := l.Spend(ctx, day(25), "s2", 1, 101); return err }, loyalty.ErrInsufficient},
		{"refund of an unknown order", func() error { _, err := l.Refund(ctx, day(12), "r1", "nope", 0); return err }, loyalty.ErrNotFound},
		{"refund above the order", func() error { _, err := l.Refund(ctx, day(12), "r2", "O1", 10001); return err }, loyalty.ErrRefundExceeds},
		{"zero member", func() error { _, err := l.Earn(ctx, day(12), "e3", 0, "O3", 100); return err }, loyalty.ErrInvalid},
		{"zero amount", func() error { _, err := l.Earn(ctx, day(12), "e4", 1, "O4", 0); return err }, loyalty.ErrInvalid},
		{"lines above the amount", func() error {
			_, err := l.Earn(ctx, day(12), "e5", 1, "O5", 100, loyalty.Line{Amount: 101})
			return err
		}, loyalty.ErrInvalid},
		{"empty key", func() error { _, err := l.Bonus(ctx, day(12), "", 1, 5, "x"); return err }, loyalty.ErrInvalid},
		{"negative spend", func() error { _, err := l.Spend(ctx, day(25), "s3", 1, -1); return err }, loyalty.ErrInvalid},
		{"zero adjustment", func() error { _, err := l.Adjust(ctx, day(25), "a1", 1, 0, "x"); return err }, loyalty.ErrInvalid},
		{"missing time", func() error { _, err := l.Bonus(ctx, time.Time{}, "b2", 1, 5, "x"); return err }, loyalty.ErrInvalid},
		{"decided fields given", func() error {
			return l.Apply(ctx, loyalty.Record{Kind: loyalty.KindEarn, Key: "e6", At: day(12), Member: 1, Order: "O6", Amount: 100, Points: 5})
		}, loyalty.ErrInvalid},
		{"self-merge", func() error { return l.ApplyMerge(1, 1) }, loyalty.ErrInvalid},
		{"merge of member 0", func() error { return l.ApplyMerge(0, 1) }, loyalty.ErrInvalid},
		{"merge dated by the host", func() error {
			return l.Apply(ctx, loyalty.Record{Kind: loyalty.KindMerge, Key: "m", At: day(12), Member: 2, Absorbed: 1})
		}, loyalty.ErrInvalid},
		{"order earned twice, through Apply", func() error {
			return l.Apply(ctx, loyalty.Record{Kind: loyalty.KindEarn, Key: "e7", At: day(12), Member: 1, Order: "O1", Amount: 100})
		}, loyalty.ErrConflict},
		{"unknown kind", func() error { return l.Apply(ctx, loyalty.Record{Kind: 99, Key: "k", At: day(12), Member: 1}) }, loyalty.ErrInvalid},
	} {
		err := tc.call()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		}
		if n := strings.Count(err.Error(), "loyalty: "); n != 1 || !strings.HasPrefix(err.Error(), "loyalty: ") {
			t.Errorf("%s: %q names the package %d times, or not at its start", tc.name, err, n)
		}
	}
	if records() != before || l.Balance(day(30), 1) != balance {
		t.Fatalf("failed events changed the ledger: %d records (was %d), balance %+v (was %+v)", records(), before, l.Balance(day(30), 1), balance)
	}
}

func TestBadRules(t *testing.T) {
	for _, r := range []loyalty.Rules{
		{Unit: -1},
		{Rate: 1001},
		{Categories: map[string]int64{"x": -1}},
		{Lock: -time.Hour},
		{Expiry: loyalty.Expiry{Rule: loyalty.AfterDays}},
		{Expiry: loyalty.Expiry{Rule: loyalty.Never, N: 3}},
		{Expiry: loyalty.Expiry{Rule: 9}},
		{Tiers: []loyalty.Tier{{Name: "a", Threshold: 5}}},
		{Tiers: []loyalty.Tier{{Name: "a"}, {Name: "b", Threshold: 10}}}, // no window
		{Tiers: []loyalty.Tier{{Name: "a"}, {Name: "a", Threshold: 10}}, Window: time.Hour},
		{Tiers: []loyalty.Tier{{Name: "a"}, {Name: "b", Threshold: 10, Multiplier: 5000}}, Window: time.Hour},
		{QualifyBy: 7},
	} {
		if _, err := loyalty.Open(&loyalty.MemStore{}, r); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("rules %+v: %v, want ErrInvalid", r, err)
		}
	}
	if _, err := loyalty.Open(nil, loyalty.Rules{}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{}, loyalty.WithOnTier(nil)); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("nil hook: %v", err)
	}
	if _, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{}, nil); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("nil option: %v", err)
	}
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	if _, err := l.Liability(day(1), &loyalty.LiabilityOptions{CostPerPoint: -1}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("negative cost: %v", err)
	}
}

// TestTierNameErrors: a bad tier name was reported as "name … empty or repeated",
// leaving the reader to guess which of the two, and which tier it repeats.
func TestTierNameErrors(t *testing.T) {
	for _, c := range []struct {
		tiers []loyalty.Tier
		want  string
	}{
		{[]loyalty.Tier{{Name: ""}, {Name: "b", Threshold: 10}}, "loyalty: invalid input: rules: tier 0: empty Name"},
		{[]loyalty.Tier{{Name: "a"}, {Name: "", Threshold: 10}}, "loyalty: invalid input: rules: tier 1: empty Name"},
		{[]loyalty.Tier{{Name: "a"}, {Name: "b", Threshold: 10}, {Name: "a", Threshold: 20}},
			"loyalty: invalid input: rules: tier 2 (a): Name repeats tier 0's; each tier needs its own name"},
	} {
		_, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{Tiers: c.tiers, Window: time.Hour})
		if !errors.Is(err, loyalty.ErrInvalid) || err.Error() != c.want {
			t.Errorf("tiers %+v: %v, want %q", c.tiers, err, c.want)
		}
	}
}

// TestClosedAndBrokenStore: a closed file store fails with ErrClosed, and a ledger
// whose append failed refuses every later event with that error.
func TestClosedAndBrokenStore(t *testing.T) {
	ctx := context.Background()
	fs, err := loyalty.OpenFileStore(filepath.Join(t.TempDir(), "l.wal"), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := loyalty.Open(fs, loyalty.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); !errors.Is(err, loyalty.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Bonus(ctx, day(1), "b1", 1, 5, "x"); !errors.Is(err, loyalty.ErrClosed) {
		t.Fatalf("event on a closed store: %v, want ErrClosed", err)
	}
	if _, err := l.Bonus(ctx, day(2), "b2", 1, 5, "x"); !errors.Is(err, loyalty.ErrClosed) {
		t.Fatalf("event after a failed append: %v, want the store's error", err)
	}
	for _, err := range fs.Records() {
		if !errors.Is(err, loyalty.ErrClosed) {
			t.Fatalf("Records on a closed store: %v", err)
		}
	}
}

// TestContextCancelled: a cancelled context records nothing.
func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	if _, err := l.Bonus(ctx, day(1), "b1", 1, 5, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	if b := l.Balance(day(2), 1); b != (loyalty.Balance{}) {
		t.Fatalf("balance %+v after a cancelled event", b)
	}
}

// TestPointsRangeNamed: an event with too many points says which numbers are allowed,
// as an earn's amount does, rather than only "out of range".
func TestPointsRangeNamed(t *testing.T) {
	ctx := context.Background()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"bonus", func() error { _, err := l.Bonus(ctx, day(1), "b", 1, 1<<51, "x"); return err }, "out of range 1 to 1125899906842624"},
		{"spend", func() error { _, err := l.Spend(ctx, day(1), "s", 1, 1<<51); return err }, "out of range 1 to 1125899906842624"},
		{"adjust", func() error { _, err := l.Adjust(ctx, day(1), "a", 1, -1<<51, "x"); return err }, "out of range -1125899906842624 to 1125899906842624"},
	} {
		err := tc.call()
		if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
}

// TestBadRulesNameTheFirstFault: rules with several faults are refused for the same
// one on every call (fields as declared, map keys sorted). The checks ranged over Go
// maps, so the message named one fault or another from one call to the next.
func TestBadRulesNameTheFirstFault(t *testing.T) {
	r := loyalty.Rules{
		Products:   map[string]int64{"sku-b": -1, "sku-a": -2, "sku-c": 5000},
		Categories: map[string]int64{"shoes": -1},
		Lock:       -time.Hour,
		Grace:      -time.Hour,
	}
	const want = `loyalty: invalid input: rules: Products["sku-a"] = -2 out of range 0 to 1000`
	for range 50 {
		if _, err := loyalty.Open(&loyalty.MemStore{}, r); err == nil || err.Error() != want {
			t.Fatalf("Open: %v, want %q", err, want)
		}
	}
	r.Products = nil
	r.Categories = nil
	const wantSpan = "loyalty: invalid input: rules: Lock -1h0m0s out of range 0 to 100 years"
	for range 50 {
		if _, err := loyalty.Open(&loyalty.MemStore{}, r); err == nil || err.Error() != wantSpan {
			t.Fatalf("Open: %v, want %q", err, wantSpan)
		}
	}
}
