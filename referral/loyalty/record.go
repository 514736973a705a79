package loyalty

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/batchstore"
	"github.com/clientele-go/clientele/internal/codec"
)

// Kind says what a [Record] states.
type Kind uint8

const (
	KindEarn   Kind = iota + 1 // Member placed Order worth Amount (with Lines) and earned Points, locked until UnlockAt, expiring at ExpiresAt
	KindSpend                  // Member spent Points
	KindRefund                 // Amount of Order was refunded (0: all that remained of it); Points is the points reversed
	KindBonus                  // Member was given Points for Reason, expiring at ExpiresAt
	KindAdjust                 // Member's points were corrected by Points (negative takes points away) for Reason; a positive one expires at ExpiresAt
	KindMerge                  // Member absorbed member Absorbed (an identity merge) at At, which the ledger sets: see Ledger.ApplyMerge
	kindEnd
)

var kindNames = [...]string{"", "earn", "spend", "refund", "bonus", "adjust", "merge"}

// String names the kind as its constant without the Kind prefix, in lower case.
func (k Kind) String() string {
	if k < kindEnd {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Line is one line of an order: an amount (minor units) of a product in a category.
type Line struct {
	Product, Category string
	Amount            int64
}

// Record is one entry of the append-only ledger that a [Store] keeps: an event and what
// the ledger decided about it (the points of an order, when they unlock and expire, the
// points a refund reversed), so that a replay reproduces the decisions after the rules
// change. Key makes it idempotent. Points are integers; amounts are integers in the
// currency's minor unit.
type Record struct {
	Kind      Kind
	Key       string
	At        time.Time
	Member    uint32
	Order     string
	Amount    int64
	Lines     []Line
	Points    int64
	UnlockAt  time.Time
	ExpiresAt time.Time // zero: never
	Reason    string
	Absorbed  uint32 // KindMerge only: the member merged into Member
}

func (r Record) clone() Record {
	r.Lines = slices.Clone(r.Lines)
	return r
}

// recordCodec is the ledger's record encoding, a record of the batches that
// internal/batchstore frames:
//
//	kind byte | key | at | member uvarint | order | amount varint |
//	uvarint n, n × (product | category | amount varint) | points varint |
//	unlockAt | expiresAt | reason [| absorbed uvarint, for KindMerge only]
//
// where a string is a uvarint length and its bytes, and a time is a varint of Unix
// nanoseconds plus one (0 is the zero time). Decoded times are in UTC. KindMerge came
// later: its trailing field is written only for it, so the records of the kinds before
// it, and the logs written before it, keep their bytes and the batch version stays 1.
type recordCodec struct{}

var _ batchstore.Codec[Record] = recordCodec{}

func (recordCodec) MinRecord() int        { return 11 }
func (recordCodec) Clone(r Record) Record { return r.clone() }
func (recordCodec) Errors() batchstore.Errors {
	return batchstore.Errors{Corrupt: ErrCorrupt, Closed: ErrClosed, Errorf: errorf}
}

func appendBatch(dst []byte, recs []Record) []byte {
	return batchstore.AppendBatch[Record, recordCodec](dst, recs)
}

// decodeBatch decodes one batch. It never panics; errors wrap ErrCorrupt and give the
// byte offset. Decoding checks the encoding, not the meaning: replay checks that.
func decodeBatch(b []byte) ([]Record, error) {
	return batchstore.DecodeBatch[Record, recordCodec](b)
}

func (recordCodec) AppendRecord(b []byte, r *Record) []byte {
	b = append(b, byte(r.Kind))
	b = batchstore.AppendString(b, r.Key)
	b = batchstore.AppendTime(b, r.At)
	b = binary.AppendUvarint(b, uint64(r.Member))
	b = batchstore.AppendString(b, r.Order)
	b = binary.AppendVarint(b, r.Amount)
	b = binary.AppendUvarint(b, uint64(len(r.Lines)))
	for _, l := range r.Lines {
		b = batchstore.AppendString(b, l.Product)
		b = batchstore.AppendString(b, l.Category)
		b = binary.AppendVarint(b, l.Amount)
	}
	b = binary.AppendVarint(b, r.Points)
	b = batchstore.AppendTime(b, r.UnlockAt)
	b = batchstore.AppendTime(b, r.ExpiresAt)
	b = batchstore.AppendString(b, r.Reason)
	if r.Kind == KindMerge {
		b = binary.AppendUvarint(b, uint64(r.Absorbed))
	}
	return b
}

func (recordCodec) ReadRecord(d *codec.Reader) Record {
	var r Record
	r.Kind = batchstore.Kind(d, kindEnd)
	r.Key = batchstore.String(d, "key")
	r.At = batchstore.Time(d, "time")
	r.Member = uint32(d.Uvarint(math.MaxUint32, "member"))
	r.Order = batchstore.String(d, "order")
	r.Amount = d.Varint("amount")
	if k := d.Count(3, "line count"); k > 0 {
		r.Lines = make([]Line, k)
		for x := range r.Lines {
			r.Lines[x] = Line{Product: batchstore.String(d, "product"), Category: batchstore.String(d, "category"), Amount: d.Varint("line amount")}
		}
	}
	r.Points = d.Varint("points")
	r.UnlockAt = batchstore.Time(d, "unlock time")
	r.ExpiresAt = batchstore.Time(d, "expiry time")
	r.Reason = batchstore.String(d, "reason")
	if r.Kind == KindMerge {
		r.Absorbed = uint32(d.Uvarint(math.MaxUint32, "absorbed member"))
	}
	return r
}

// MarshalBinary encodes r in the ledger file's format (a batch of one record), for a
// Store that keeps records as bytes, such as referral/loyalty/pgstore.
func (r Record) MarshalBinary() ([]byte, error) {
	return batchstore.Marshal[Record, recordCodec](r), nil
}

// UnmarshalBinary decodes what MarshalBinary returned. Bytes that do not decode as
// exactly one record fail with an error wrapping ErrCorrupt and leave r unchanged.
func (r *Record) UnmarshalBinary(b []byte) error {
	v, err := batchstore.Unmarshal[Record, recordCodec](b)
	if err != nil {
		return err
	}
	*r = v
	return nil
}
