package referral

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordBinaryRoundTrip(t *testing.T) {
	want := Record{Kind: KindSignup, Key: "k1", At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Profile: 7, Other: 3,
		Code: "ABC", Order: "o1", Amount: -12, Ref: "r", Reasons: []string{"x"}, Signals: Signals{Email: "e"}, Absorbed: []uint32{9}}
	b, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	two := appendBatch(nil, []Record{want, want})
	if err := got.UnmarshalBinary(two); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("two records: %v, want ErrCorrupt", err)
	}
}

func FuzzRecordUnmarshalBinary(f *testing.F) {
	b, _ := Record{Kind: KindSignup, Key: "k"}.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if err := r.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, _ := r.MarshalBinary()
		var r2 Record
		if err := r2.UnmarshalBinary(again); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatal(diff)
		}
	})
}
