package referral_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
	"github.com/google/go-cmp/cmp"
)

// formatRecords is one record of every kind with every field set, and one with every
// field empty: what TestRecordBytes and TestFileBytes pin.
func formatRecords() []referral.Record {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	var recs []referral.Record
	for k := referral.KindCode; k <= referral.KindClawback; k++ {
		recs = append(recs, referral.Record{
			Kind: k, Key: "key-" + k.String(), At: at, Profile: 300, Other: 7, Code: "ABCD-EFGH",
			Order: "O-1", Amount: -1250, PayableAt: at.Add(time.Hour), Ref: "ref",
			Reasons:  []string{"self", "velocity"},
			Signals:  referral.Signals{Email: "e@x", Phone: "+1", Device: "dev", Network: "10.0.0.0/24"},
			Absorbed: []uint32{1, 70000},
		})
	}
	return append(recs, referral.Record{Kind: referral.KindOrder})
}

// TestRecordBytes pins the encoding of a record (a batch of one), which referral/pgstore's
// rows hold: a change to it must be a new format version, never a silent one. The
// pinned bytes must also decode to the record.
func TestRecordBytes(t *testing.T) {
	want := []string{
		"010101086b65792d636f646592d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"0101020a6b65792d696e7669746592d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"010103096b65792d636c69636b92d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"0101040a6b65792d7369676e757092d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"010105096b65792d6f7264657292d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"0101060a6b65792d726566756e6492d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"0101070a6b65792d7061796f757492d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"010108096b65792d6d6572676592d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"0101090f6b65792d6174747269627574696f6e92d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"01010a0b6b65792d626c6f636b656492d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"01010b0a6b65792d72657761726492d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"01010c0c6b65792d636c61776261636b92d8f5d9b0c0c59931ac020709414243442d45464748034f2d31c31392d8bae5f691c7993103726566020473656c660876656c6f6369747903654078022b31036465760b31302e302e302e302f32340201f0a204",
		"010105000000000000000000000000000000",
	}
	recs := formatRecords()
	if len(recs) != len(want) {
		t.Fatalf("%d records, %d pinned", len(recs), len(want))
	}
	for i, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b); got != want[i] {
			t.Errorf("%s record:\n got %s\nwant %s", r.Kind, got, want[i])
		}
		pinned, _ := hex.DecodeString(want[i])
		var back referral.Record
		if err := back.UnmarshalBinary(pinned); err != nil {
			t.Fatalf("%s record: decode the pinned bytes: %v", r.Kind, err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("%s record: the pinned bytes decode to (-want +got):\n%s", r.Kind, diff)
		}
	}
}

// TestFileBytes pins a whole ledger file: the wal's header and frames around batches of
// those records, as OpenFileStore writes them with fsync.
func TestFileBytes(t *testing.T) {
	const want = "4a3252675d046d381167337915176c06dcd4557379e8ef83f47a170adadbdbe8"
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := referral.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := formatRecords()
	for _, batch := range [][]referral.Record{recs[:1], recs[1:5], recs[5:]} {
		if err := fs.Append(batch...); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(b); got != want {
		t.Errorf("ledger file of %d bytes: SHA-256 %s, want %s", len(b), got, want)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
