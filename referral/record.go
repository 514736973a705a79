package referral

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/clientele-go/clientele/internal/codec"
)

// Kind says what a [Record] states. Input kinds come from the host (through the
// [Program] methods or [Program.Apply]); derived kinds are the programme's decisions,
// recorded so that a replay reproduces them even after the rules change.
type Kind uint8

const (
	KindCode   Kind = iota + 1 // input: Profile owns Code
	KindInvite                 // input: Profile invited the person whose Signals are given
	KindClick                  // input: Profile (a prospect) followed a link or entered Code
	KindSignup                 // input: Profile signed up, with Code if one was entered, and Signals
	KindOrder                  // input: Profile placed Order worth Amount
	KindRefund                 // input: Amount of Order was refunded; Amount 0 means all that remained of it
	KindPayout                 // input: Profile was paid Amount
	KindMerge                  // input: Profile absorbed the Absorbed profiles (identity merge)

	KindAttribution // derived: Profile was referred by Other through Code; Reasons hold flags
	KindBlocked     // derived: Profile's referral by Other was refused by a guard, or voided by a later merge (Ref names the attribution); Reasons say why
	KindReward      // derived: Profile earns Amount, payable at PayableAt; Other is the other side
	KindClawback    // derived: reverses the reward whose key is Ref (Amount is its negation), or cancels the claw-back whose key is Ref when a refund that arrived late moves it earlier
	kindEnd
)

var kindNames = [...]string{"", "code", "invite", "click", "signup", "order", "refund", "payout", "merge",
	"attribution", "blocked", "reward", "clawback"}

func (k Kind) String() string {
	if k < kindEnd {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// derived reports whether records of this kind are decisions of the programme.
func (k Kind) derived() bool { return k >= KindAttribution }

// Signals are the contact points and devices seen with a profile, as the host chooses to
// represent them (normalised or hashed: the programme only compares them for equality).
// The fraud guards use them: a shared email, phone or device between referrer and
// referred is a self-referral, and Device and Network feed velocity limits.
type Signals struct {
	Email, Phone, Device, Network string
}

// Record is one entry of the append-only ledger that a [Store] keeps: an input event or
// a derived decision. Key makes it idempotent: a second input with the key of one already
// recorded changes nothing. Which fields matter depends on Kind (see the Kind constants).
// Amounts are integers in the currency's minor unit (cents), so that balances add up
// exactly.
type Record struct {
	Kind      Kind
	Key       string
	At        time.Time
	Profile   uint32
	Other     uint32
	Code      Code
	Order     string
	Amount    int64
	PayableAt time.Time
	Ref       string
	Reasons   []string
	Signals   Signals
	Absorbed  []uint32
}

// Batch encoding, one per store append:
//
//	version byte (1) | uvarint count | count × record
//
// and a record:
//
//	kind byte | key | at | profile uvarint | other uvarint | code | order |
//	amount varint | payableAt | ref | uvarint n, n × reason | email | phone | device |
//	network | uvarint n, n × absorbed uvarint
//
// where a string is a uvarint length and its bytes, and a time is a varint of Unix
// nanoseconds plus one (0 is the zero time). Decoded times are in UTC.
const batchVersion = 1

// appendBatch encodes recs onto dst.
func appendBatch(dst []byte, recs []Record) []byte {
	dst = append(dst, batchVersion)
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for i := range recs {
		dst = appendRecord(dst, &recs[i])
	}
	return dst
}

func appendRecord(b []byte, r *Record) []byte {
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	tm := func(t time.Time) {
		if t.IsZero() {
			b = binary.AppendVarint(b, 0)
			return
		}
		b = binary.AppendVarint(b, t.UnixNano()+1)
	}
	b = append(b, byte(r.Kind))
	str(r.Key)
	tm(r.At)
	b = binary.AppendUvarint(b, uint64(r.Profile))
	b = binary.AppendUvarint(b, uint64(r.Other))
	str(string(r.Code))
	str(r.Order)
	b = binary.AppendVarint(b, r.Amount)
	tm(r.PayableAt)
	str(r.Ref)
	b = binary.AppendUvarint(b, uint64(len(r.Reasons)))
	for _, s := range r.Reasons {
		str(s)
	}
	str(r.Signals.Email)
	str(r.Signals.Phone)
	str(r.Signals.Device)
	str(r.Signals.Network)
	b = binary.AppendUvarint(b, uint64(len(r.Absorbed)))
	for _, a := range r.Absorbed {
		b = binary.AppendUvarint(b, uint64(a))
	}
	return b
}

// decoder reads a batch; codec.Reader keeps the first problem with its byte offset.
type decoder struct{ codec.Reader }

func (d *decoder) u32(what string) uint32 { return uint32(d.Uvarint(math.MaxUint32, what)) }

func (d *decoder) str(what string) string {
	return string(d.Prefixed(math.MaxInt, what))
}

func (d *decoder) time(what string) time.Time {
	v := d.Varint(what)
	if v == 0 || d.Err() != nil {
		return time.Time{}
	}
	return time.Unix(0, v-1).UTC()
}

// decodeBatch decodes one batch. It never panics; errors wrap [ErrCorrupt] and give the
// byte offset.
func decodeBatch(b []byte) ([]Record, error) {
	var d decoder
	d.Reset(b)
	if v := d.Byte("batch version"); d.Err() == nil && v != batchVersion {
		d.FailAt(0, "unknown batch version %d", v)
	}
	n := d.Count(1, "record count")
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
		r.Profile = d.u32("profile")
		r.Other = d.u32("other profile")
		r.Code = Code(d.str("code"))
		r.Order = d.str("order")
		r.Amount = d.Varint("amount")
		r.PayableAt = d.time("payable time")
		r.Ref = d.str("ref")
		if k := d.Count(1, "reason count"); k > 0 {
			r.Reasons = make([]string, k)
			for x := range r.Reasons {
				r.Reasons[x] = d.str("reason")
			}
		}
		r.Signals.Email = d.str("email")
		r.Signals.Phone = d.str("phone")
		r.Signals.Device = d.str("device")
		r.Signals.Network = d.str("network")
		if k := d.Count(1, "absorbed count"); k > 0 {
			r.Absorbed = make([]uint32, k)
			for x := range r.Absorbed {
				r.Absorbed[x] = d.u32("absorbed profile")
			}
		}
		recs = append(recs, r)
	}
	if err := d.End(); err != nil {
		return nil, errorf("decode %w: %w", err, ErrCorrupt)
	}
	return recs, nil
}
