package loyalty_test

import (
	"context"
	"testing"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
)

// TestMergeTiers: the survivor's tier is re-evaluated from the merged window at the
// merge instant, its history before the merge unchanged; the absorbed member drops to
// the base tier at the merge; the changes reach WithOnTier and a replay gives the same
// histories; a merge of members already merged (through a third) records nothing.
func TestMergeTiers(t *testing.T) {
	ctx := context.Background()
	store := &loyalty.MemStore{}
	var seen []loyalty.TierChange
	l, err := loyalty.Open(store, tierRules(), loyalty.WithOnTier(func(c loyalty.TierChange) { seen = append(seen, c) }))
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, l.Apply(ctx,
		loyalty.Record{Kind: loyalty.KindEarn, Key: "a", At: day(1), Member: 8, Order: "O-8", Amount: 12000}, // silver
		loyalty.Record{Kind: loyalty.KindEarn, Key: "b", At: day(2), Member: 7, Order: "O-7", Amount: 6000},
		loyalty.Record{Kind: loyalty.KindEarn, Key: "c", At: day(3), Member: 9, Order: "O-9", Amount: 100},
	))
	before := l.TierHistory(day(2).Add(-1), 7)
	mustDo(t, l.ApplyMerge(7, 8))
	mustDo(t, l.ApplyMerge(9, 7))
	n := 0
	for range store.Records() {
		n++
	}
	mustDo(t, l.ApplyMerge(8, 9)) // 8 and 9 are one member already
	m := 0
	for range store.Records() {
		m++
	}
	if m != n {
		t.Fatalf("a merge of members already merged recorded %d records", m-n)
	}
	if diff := cmp.Diff(before, l.TierHistory(day(2).Add(-1), 7)); diff != "" {
		t.Fatalf("history before the merge changed:\n%s", diff)
	}
	h7, h8, h9 := l.TierHistory(day(3), 7), l.TierHistory(day(3), 8), l.TierHistory(day(3), 9)
	want7 := []loyalty.TierChange{{Member: 7, At: day(2), From: "member", To: "silver"}, {Member: 7, At: day(3), From: "silver", To: "member"}}
	want8 := []loyalty.TierChange{{Member: 8, At: day(1), From: "member", To: "silver"}, {Member: 8, At: day(2), From: "silver", To: "member"}}
	want9 := []loyalty.TierChange{{Member: 9, At: day(3), From: "member", To: "silver"}}
	for _, c := range []struct {
		got, want []loyalty.TierChange
	}{{h7, want7}, {h8, want8}, {h9, want9}} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("tier history (-want +got):\n%s", diff)
		}
	}
	if got := l.Balance(day(3), 9).Net(); got != 120+60+1 {
		t.Errorf("survivor of both merges: %d points, want 181", got)
	}
	if len(seen) != 5 {
		t.Errorf("WithOnTier saw %d changes, want 5: %+v", len(seen), seen)
	}
	r, err := loyalty.Open(store, tierRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint32{7, 8, 9} {
		if diff := cmp.Diff(l.TierHistory(day(60), id), r.TierHistory(day(60), id)); diff != "" {
			t.Errorf("member %d: replay (-live +replay):\n%s", id, diff)
		}
		if l.Balance(day(60), id) != r.Balance(day(60), id) {
			t.Errorf("member %d: replay balance differs", id)
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
