package loyalty

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

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

// Batch encoding, one per store append:
//
//	version byte (1) | uvarint count | count × record
//
// and a record:
//
//	kind byte | key | at | member uvarint | order | amount varint |
//	uvarint n, n × (product | category | amount varint) | points varint |
//	unlockAt | expiresAt | reason [| absorbed uvarint, for KindMerge only]
//
// where a string is a uvarint length and its bytes, and a time is a varint of Unix
// nanoseconds plus one (0 is the zero time). Decoded times are in UTC. KindMerge came
// later: its trailing field is written only for it, so the records of the kinds before
// it, and the logs written before it, keep their bytes and batchVersion stays 1.
const batchVersion = 1

func appendBatch(dst []byte, recs []Record) []byte {
	dst = append(dst, batchVersion)
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for i := range recs {
		dst = appendRecord(dst, &recs[i])
	}
	return dst
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano()+1)
}

func appendRecord(b []byte, r *Record) []byte {
	b = append(b, byte(r.Kind))
	b = appendString(b, r.Key)
	b = appendTime(b, r.At)
	b = binary.AppendUvarint(b, uint64(r.Member))
	b = appendString(b, r.Order)
	b = binary.AppendVarint(b, r.Amount)
	b = binary.AppendUvarint(b, uint64(len(r.Lines)))
	for _, l := range r.Lines {
		b = appendString(b, l.Product)
		b = appendString(b, l.Category)
		b = binary.AppendVarint(b, l.Amount)
	}
	b = binary.AppendVarint(b, r.Points)
	b = appendTime(b, r.UnlockAt)
	b = appendTime(b, r.ExpiresAt)
	b = appendString(b, r.Reason)
	if r.Kind == KindMerge {
		b = binary.AppendUvarint(b, uint64(r.Absorbed))
	}
	return b
}

type decoder struct{ codec.Reader }

func (d *decoder) str(what string) string { return string(d.Prefixed(math.MaxInt, what)) }

func (d *decoder) time(what string) time.Time {
	v := d.Varint(what)
	if v == 0 || d.Err() != nil {
		return time.Time{}
	}
	return time.Unix(0, v-1).UTC()
}

// decodeBatch decodes one batch. It never panics; errors wrap ErrCorrupt and give the
// byte offset. Decoding checks the encoding, not the meaning: replay checks that.
func decodeBatch(b []byte) ([]Record, error) {
	var d decoder
	d.Reset(b)
	if v := d.Byte("batch version"); d.Err() == nil && v != batchVersion {
		d.FailAt(0, "unknown batch version %d", v)
	}
	n := d.Count(11, "record count") // a record is at least 11 bytes
	recs := make([]Record, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		var r Record
		start := d.Offset()
		r.Kind = Kind(d.Byte("record kind"))
		if d.Err() == nil && (r.Kind == 0 || r.Kind >= kindEnd) {
			d.FailAt(start, "unknown record kind %d", r.Kind)
			break
		}
		r.Key = d.str("key")
		r.At = d.time("time")
		r.Member = uint32(d.Uvarint(math.MaxUint32, "member"))
		r.Order = d.str("order")
		r.Amount = d.Varint("amount")
		if k := d.Count(3, "line count"); k > 0 {
			r.Lines = make([]Line, k)
			for x := range r.Lines {
				r.Lines[x] = Line{Product: d.str("product"), Category: d.str("category"), Amount: d.Varint("line amount")}
			}
		}
		r.Points = d.Varint("points")
		r.UnlockAt = d.time("unlock time")
		r.ExpiresAt = d.time("expiry time")
		r.Reason = d.str("reason")
		if r.Kind == KindMerge {
			r.Absorbed = uint32(d.Uvarint(math.MaxUint32, "absorbed member"))
		}
		recs = append(recs, r)
	}
	if err := d.End(); err != nil {
		return nil, fmt.Errorf("%w: decode %w", ErrCorrupt, err)
	}
	return recs, nil
}

// MarshalBinary encodes r in the ledger file's format (a batch of one record), for a
// Store that keeps records as bytes, such as referral/loyalty/pgstore.
func (r Record) MarshalBinary() ([]byte, error) {
	return appendBatch(nil, []Record{r}), nil
}

// UnmarshalBinary decodes what MarshalBinary returned. Bytes that do not decode as
// exactly one record fail with an error wrapping ErrCorrupt and leave r unchanged.
func (r *Record) UnmarshalBinary(b []byte) error {
	recs, err := decodeBatch(b)
	if err != nil {
		return err
	}
	if len(recs) != 1 {
		return fmt.Errorf("%w: decode: %d records where one was expected", ErrCorrupt, len(recs))
	}
	*r = recs[0]
	return nil
}
