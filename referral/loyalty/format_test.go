package loyalty_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/golden"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// formatRecords is one record of every kind with every field set, and one with every
// field empty: what TestRecordBytes and TestFileBytes pin.
func formatRecords() []loyalty.Record {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	var recs []loyalty.Record
	for k := loyalty.KindEarn; k <= loyalty.KindMerge; k++ {
		recs = append(recs, loyalty.Record{
			Kind: k, Key: "key-" + k.String(), At: at, Member: 300, Order: "O-1", Amount: -1250,
			Lines:  []loyalty.Line{{Product: "sku-1", Category: "wine", Amount: 900}, {Amount: -7}},
			Points: -75, UnlockAt: at.Add(time.Hour), ExpiresAt: at.AddDate(1, 0, 0), Reason: "goodwill",
		})
	}
	recs[loyalty.KindMerge-1].Absorbed = 70000 // written for KindMerge only
	return append(recs, loyalty.Record{Kind: loyalty.KindSpend})
}

// TestRecordBytes pins the encoding of a record (a batch of one), which
// referral/loyalty/pgstore's rows hold: a change to it must be a new format version,
// never a silent one. The pinned bytes must also decode to the record.
func TestRecordBytes(t *testing.T) {
	want := []string{
		"010101086b65792d6561726e92d8f5d9b0c0c59931ac02034f2d31c3130205736b752d310477696e65880e00000d950192d8bae5f691c7993192d88db496b5ca893208676f6f6477696c6c",
		"010102096b65792d7370656e6492d8f5d9b0c0c59931ac02034f2d31c3130205736b752d310477696e65880e00000d950192d8bae5f691c7993192d88db496b5ca893208676f6f6477696c6c",
		"0101030a6b65792d726566756e6492d8f5d9b0c0c59931ac02034f2d31c3130205736b752d310477696e65880e00000d950192d8bae5f691c7993192d88db496b5ca893208676f6f6477696c6c",
		"010104096b65792d626f6e757392d8f5d9b0c0c59931ac02034f2d31c3130205736b752d310477696e65880e00000d950192d8bae5f691c7993192d88db496b5ca893208676f6f6477696c6c",
		"0101050a6b65792d61646a75737492d8f5d9b0c0c59931ac02034f2d31c3130205736b752d310477696e65880e00000d950192d8bae5f691c7993192d88db496b5ca893208676f6f6477696c6c",
		"010106096b65792d6d6572676592d8f5d9b0c0c59931ac02034f2d31c3130205736b752d310477696e65880e00000d950192d8bae5f691c7993192d88db496b5ca893208676f6f6477696c6cf0a204",
		"01010200000000000000000000",
	}
	golden.Binary(t, formatRecords(), want)
}

// TestFileBytes pins a whole ledger file: the wal's header and frames around batches of
// those records, as OpenFileStore writes them with fsync.
func TestFileBytes(t *testing.T) {
	const want = "1e4d0c20f31d6f59f6f2537bed32be55cc56743e5d6bd1534c1ed6185fc3f5ff"
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := loyalty.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := formatRecords()
	if err := errors.Join(fs.Append(recs[:1]...), fs.Append(recs[1:5]...), fs.Append(recs[5:]...), fs.Close()); err != nil {
		t.Fatal(err)
	}
	golden.SHA256(t, path, want)
}
