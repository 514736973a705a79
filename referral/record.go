package referral

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrRecord means bytes that do not decode as a batch of ledger records.
var ErrRecord = errors.New("referral: bad record encoding")

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
	KindRefund                 // input: Order was refunded
	KindPayout                 // input: Profile was paid Amount
	KindMerge                  // input: Profile absorbed the Absorbed profiles (identity merge)

	KindAttribution // derived: Profile was referred by Other through Code; Reasons hold flags
	KindBlocked     // derived: Profile's referral by Other was refused by a guard, or voided by a later merge (Ref names the attribution); Reasons say why
	KindReward      // derived: Profile earns Amount, payable at PayableAt; Other is the other side
	KindClawback    // derived: reverses the reward whose key is Ref (Amount is negative)
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

// decoder reads a batch, remembering the offset of the first error.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("referral: decode at byte %d: %s: %w", d.off, what, ErrRecord)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad " + what)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad " + what)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) u32(what string) uint32 {
	v := d.uvarint(what)
	if v > math.MaxUint32 {
		d.fail(what + " out of range")
		return 0
	}
	return uint32(v)
}

func (d *decoder) str(what string) string {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(what + " runs past the end")
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

func (d *decoder) time(what string) time.Time {
	v := d.varint(what)
	if v == 0 || d.err != nil {
		return time.Time{}
	}
	return time.Unix(0, v-1).UTC()
}

// count reads a length prefix and checks it against the bytes left, each element
// taking at least one byte, so that a damaged count cannot ask for huge allocations.
func (d *decoder) count(what string) int {
	n := d.uvarint(what)
	if d.err == nil && n > uint64(len(d.b)-d.off) {
		d.fail(what + " larger than the input")
		return 0
	}
	return int(n)
}

// decodeBatch decodes one batch. It never panics; errors wrap [ErrRecord] and give the
// byte offset.
func decodeBatch(b []byte) ([]Record, error) {
	d := &decoder{b: b}
	if len(b) == 0 || b[0] != batchVersion {
		d.fail("unknown batch version")
		return nil, d.err
	}
	d.off = 1
	n := d.count("record count")
	recs := make([]Record, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		var r Record
		if d.off >= len(b) {
			d.fail("missing record")
			break
		}
		r.Kind = Kind(b[d.off])
		if r.Kind == 0 || r.Kind >= kindEnd {
			d.fail(fmt.Sprintf("unknown record kind %d", b[d.off]))
			break
		}
		d.off++
		r.Key = d.str("key")
		r.At = d.time("time")
		r.Profile = d.u32("profile")
		r.Other = d.u32("other profile")
		r.Code = Code(d.str("code"))
		r.Order = d.str("order")
		r.Amount = d.varint("amount")
		r.PayableAt = d.time("payable time")
		r.Ref = d.str("ref")
		if k := d.count("reason count"); k > 0 {
			r.Reasons = make([]string, k)
			for x := range r.Reasons {
				r.Reasons[x] = d.str("reason")
			}
		}
		r.Signals.Email = d.str("email")
		r.Signals.Phone = d.str("phone")
		r.Signals.Device = d.str("device")
		r.Signals.Network = d.str("network")
		if k := d.count("absorbed count"); k > 0 {
			r.Absorbed = make([]uint32, k)
			for x := range r.Absorbed {
				r.Absorbed[x] = d.u32("absorbed profile")
			}
		}
		recs = append(recs, r)
	}
	if d.err == nil && d.off != len(b) {
		d.fail(fmt.Sprintf("%d bytes after the last record", len(b)-d.off))
	}
	if d.err != nil {
		return nil, d.err
	}
	return recs, nil
}
