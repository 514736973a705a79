package referral

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/clientele-go/clientele/internal/batchstore"
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

	// KindForget is an input, recorded by [Program.Forget] and [Program.ForgetContact]
	// only (Apply refuses it): the person whose profile is Profile, holding the raw
	// profile keys Absorbed, is forgotten, and the Signals of their records recorded
	// before it, and of the invitations whose keys are Reasons (sent to their e-mail or
	// phone), are blank. ForgetContact's names no profile (Profile 0, no Absorbed): only
	// the invitations whose keys are Reasons are blank.
	// It comes after the derived kinds because kinds are numbered in the ledger's
	// format: a ledger that holds one cannot be read by a version of the package
	// older than Forget, which refuses it as an unknown kind (ErrCorrupt).
	KindForget
	kindEnd
)

var kindNames = [...]string{"", "code", "invite", "click", "signup", "order", "refund", "payout", "merge",
	"attribution", "blocked", "reward", "clawback", "forget"}

// String names the kind as its constant without the Kind prefix, in lower case.
func (k Kind) String() string {
	if k < kindEnd {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// derived reports whether records of this kind are decisions of the programme.
func (k Kind) derived() bool { return k >= KindAttribution && k != KindForget }

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

// recordCodec is the ledger's record encoding, a record of the batches that
// internal/batchstore frames:
//
//	kind byte | key | at | profile uvarint | other uvarint | code | order |
//	amount varint | payableAt | ref | uvarint n, n × reason | email | phone | device |
//	network | uvarint n, n × absorbed uvarint
//
// where a string is a uvarint length and its bytes, and a time is a varint of Unix
// nanoseconds plus one (0 is the zero time). Decoded times are in UTC.
type recordCodec struct{}

var _ batchstore.Codec[Record] = recordCodec{}

func (recordCodec) MinRecord() int        { return 1 }
func (recordCodec) Clone(r Record) Record { return r.clone() }
func (recordCodec) Errors() batchstore.Errors {
	return batchstore.Errors{Corrupt: ErrCorrupt, Closed: ErrClosed, Errorf: errorf}
}

// appendBatch encodes recs onto dst.
func appendBatch(dst []byte, recs []Record) []byte {
	return batchstore.AppendBatch[Record, recordCodec](dst, recs)
}

// decodeBatch decodes one batch. It never panics; errors wrap [ErrCorrupt] and give the
// byte offset.
func decodeBatch(b []byte) ([]Record, error) {
	return batchstore.DecodeBatch[Record, recordCodec](b)
}

func appendRecord(b []byte, r *Record) []byte { return recordCodec{}.AppendRecord(b, r) }

func (recordCodec) AppendRecord(b []byte, r *Record) []byte {
	b = append(b, byte(r.Kind))
	b = batchstore.AppendString(b, r.Key)
	b = batchstore.AppendTime(b, r.At)
	b = binary.AppendUvarint(b, uint64(r.Profile))
	b = binary.AppendUvarint(b, uint64(r.Other))
	b = batchstore.AppendString(b, string(r.Code))
	b = batchstore.AppendString(b, r.Order)
	b = binary.AppendVarint(b, r.Amount)
	b = batchstore.AppendTime(b, r.PayableAt)
	b = batchstore.AppendString(b, r.Ref)
	b = binary.AppendUvarint(b, uint64(len(r.Reasons)))
	for _, s := range r.Reasons {
		b = batchstore.AppendString(b, s)
	}
	b = batchstore.AppendString(b, r.Signals.Email)
	b = batchstore.AppendString(b, r.Signals.Phone)
	b = batchstore.AppendString(b, r.Signals.Device)
	b = batchstore.AppendString(b, r.Signals.Network)
	b = binary.AppendUvarint(b, uint64(len(r.Absorbed)))
	for _, a := range r.Absorbed {
		b = binary.AppendUvarint(b, uint64(a))
	}
	return b
}

func (recordCodec) ReadRecord(d *codec.Reader) Record {
	u32 := func(what string) uint32 { return uint32(d.Uvarint(math.MaxUint32, what)) }
	var r Record
	r.Kind = batchstore.Kind(d, kindEnd)
	r.Key = batchstore.String(d, "key")
	r.At = batchstore.Time(d, "time")
	r.Profile = u32("profile")
	r.Other = u32("other profile")
	r.Code = Code(batchstore.String(d, "code"))
	r.Order = batchstore.String(d, "order")
	r.Amount = d.Varint("amount")
	r.PayableAt = batchstore.Time(d, "payable time")
	r.Ref = batchstore.String(d, "ref")
	if k := d.Count(1, "reason count"); k > 0 {
		r.Reasons = make([]string, k)
		for x := range r.Reasons {
			r.Reasons[x] = batchstore.String(d, "reason")
		}
	}
	r.Signals.Email = batchstore.String(d, "email")
	r.Signals.Phone = batchstore.String(d, "phone")
	r.Signals.Device = batchstore.String(d, "device")
	r.Signals.Network = batchstore.String(d, "network")
	if k := d.Count(1, "absorbed count"); k > 0 {
		r.Absorbed = make([]uint32, k)
		for x := range r.Absorbed {
			r.Absorbed[x] = u32("absorbed profile")
		}
	}
	return r
}
