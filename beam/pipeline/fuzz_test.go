package pipeline

import (
	"errors"
	"testing"
	"time"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"
)

// FuzzDecoders feeds arbitrary bytes to every coder's decoder: each must return a
// value or an error wrapping ErrInvalid (or the SDK's own error for a damaged state),
// never panic or allocate beyond its input, and a value it returns must encode back
// to bytes that decode to the same value.
func FuzzDecoders(f *testing.F) {
	e := funnel.Event{Profile: 7, Time: time.Date(2025, 3, 1, 10, 0, 0, 5, time.UTC), Name: "visit", Props: map[string]string{"channel": "web"}}
	f.Add(uint8(0), encodeEvent(e))
	f.Add(uint8(1), gatherProfile(7, func(x *funnel.Event) bool { *x = e; return false }))
	f.Add(uint8(2), encodeTransaction(scoring.Transaction{Profile: 3, Time: e.Time, Amount: 9.5}))
	f.Add(uint8(3), encodeSummary(scoring.Summary{Profile: 3, Customer: scoring.Customer{Frequency: 2, Recency: 3, T: 9, Monetary: 4, Unit: 24 * time.Hour}}))
	f.Add(uint8(4), encodePath(attribution.Path{Touches: []string{"a", "b"}, Conversions: 1, Ages: []time.Duration{time.Hour, 0}}))
	f.Add(uint8(5), encodeHistories(&histories{H: map[history]float64{{1, 2, 3, 7 * 24 * time.Hour}: 4}, S: map[spendKey]float64{{1, 2}: 3}}))
	acc, _ := encodeFunnelAcc(&funnelAcc{accum[*funnelPartial]{pend: []funnel.Event{e}}})
	f.Add(uint8(6), acc)
	f.Add(uint8(7), encodeShard(Shard{Audience: "a", Shard: 1, Bitmap: []byte{1}}))
	f.Add(uint8(8), encodeTrait(Trait{Profile: 1, Key: "plan", Value: "pro"}))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		var err error
		switch which % 10 {
		case 0:
			var v funnel.Event
			if v, err = decodeEvent(b); err == nil {
				if _, err2 := decodeEvent(encodeEvent(v)); err2 != nil {
					t.Fatal(err2)
				}
			}
		case 1:
			_, err = decodeProfile(nil, b)
		case 2:
			var v scoring.Transaction
			if v, err = decodeTransaction(b); err == nil {
				if w, err2 := decodeTransaction(encodeTransaction(v)); err2 != nil || !w.Time.Equal(v.Time) {
					t.Fatal(err2)
				}
			}
		case 3:
			_, err = decodeSummary(b)
		case 4:
			_, err = decodePath(b)
		case 5:
			_, err = decodeHistories(b)
		case 6:
			var a *funnelAcc
			if a, err = decodeFunnelAcc(b); err == nil {
				// The raw states are decoded by the SDK, which checks them.
				f := &funnelFn{Spec: specWire{Steps: []stepWire{{Name: "visit"}}}}
				_, _ = f.ExtractOutput(a)
			}
		case 7:
			_, err = decodeShard(b)
		case 8:
			_, err = decodeTrait(b)
		case 9:
			_, err = decodePathSet(b)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
	})
}
