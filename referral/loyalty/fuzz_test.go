package loyalty

import (
	"errors"
	"testing"
	"time"
)

// FuzzDecodeBatch: the record decoder never panics, refuses what it cannot decode with
// ErrCorrupt, and what it accepts encodes back to the same bytes (every accepted
// encoding is canonical), and replays without panicking.
func FuzzDecodeBatch(f *testing.F) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Add(appendBatch(nil, []Record{
		{Kind: KindEarn, Key: "e", At: at, Member: 1, Order: "O", Amount: 1000, Lines: []Line{{Product: "p", Category: "c", Amount: 10}}, Points: 10, UnlockAt: at, ExpiresAt: at.Add(time.Hour)},
		{Kind: KindSpend, Key: "s", At: at, Member: 1, Points: 5},
		{Kind: KindRefund, Key: "r", At: at, Member: 1, Order: "O", Points: 5},
		{Kind: KindMerge, Key: "merge:2<[1]", At: at, Member: 2, Absorbed: 1},
		{Kind: KindSpend, Key: "s2", At: at, Member: 1, Points: 1}, // names an absorbed member: refused by replay
	}))
	f.Add([]byte{1, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeBatch(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if again := appendBatch(nil, recs); string(again) != string(b) {
			t.Fatalf("decoded and encoded again: %x, was %x", again, b)
		}
		s := newState(&Rules{Unit: 100, Rate: 1, Location: time.UTC})
		for _, r := range recs {
			if err := s.replay(r); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("replay error %v does not wrap ErrCorrupt", err)
			}
		}
	})
}
