package referral_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/golden"
	"github.com/clientele-go/clientele/referral"
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
	golden.Binary(t, formatRecords(), want)
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
	if err := errors.Join(fs.Append(recs[:1]...), fs.Append(recs[1:5]...), fs.Append(recs[5:]...), fs.Close()); err != nil {
		t.Fatal(err)
	}
	golden.SHA256(t, path, want)
}

// TestForgetRecordBytes pins the encoding of a forget record, the kind Forget added to
// the ledger's format (kind 13): the record layout is the one every kind shares, so
// ledgers written before Forget read as before, and a forget record names profiles and
// invitation keys, never a signal.
func TestForgetRecordBytes(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	recs := []referral.Record{{Kind: referral.KindForget, Key: "\x00forget:300#1", At: at, Profile: 300,
		Reasons: []string{"invite:bob"}, Absorbed: []uint32{300, 70000}}}
	golden.Binary(t, recs, []string{"01010d0d00666f726765743a333030233192d8f5d9b0c0c59931ac02000000000000010a696e766974653a626f620000000002ac02f0a204"})
}

// TestForgetContactRecordBytes pins the forget record ForgetContact writes: the same
// layout, Profile 0 and no Absorbed, the erased invitations' keys in Reasons, so that a
// reader of forget records replays it without a new format version.
func TestForgetContactRecordBytes(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	recs := []referral.Record{{Kind: referral.KindForget, Key: "\x00forget:contact#1", At: at,
		Reasons: []string{"invite:zoe", "invite:zoe-phone"}}}
	golden.Binary(t, recs, []string{"01010d1100666f726765743a636f6e74616374233192d8f5d9b0c0c5993100000000000000020a696e766974653a7a6f6510696e766974653a7a6f652d70686f6e650000000000"})
}
