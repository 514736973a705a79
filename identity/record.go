package identity

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/codec"
)

// A record is one entry of the history log: the decision a call took, not its input. Link
// records say which identifiers were new, which joined the event's anchor, which were
// refused and by which limit, which were quarantined and which were dropped; replaying
// them rebuilds the same profiles and keys without running normalisers or rules again, so
// a log stays valid when the rules change (they govern new events only) and when values
// are stored as HMAC digests that cannot be normalised again.
//
// Encoding (integers are unsigned LEB128 varints unless noted; strings are a length and
// bytes):
//
//	config:  4 | version | flags byte (1: values are HMAC digests) | key check (8 bytes)
//	link:    1 | at (signed varint, Unix ns) | source | new count | [first new node]
//	           | per new identifier: kind, value length<<1|erased, value
//	           | member count | per member: node, status byte
//	           |   [refused: limit kind, limit byte, would-hold byte]
//	           | drop count | per drop: kind, reason byte
//	matched link (version 2): 6 | the link's fields | weight (float64 bits, 8 bytes
//	           little-endian, finite)
//	unmerge: 2 | at | node
//	forget:  3 | at | profile key | node count | nodes
//	quarantine: 5 | at | node count | nodes
//
// Version 2 added the matched link (LinkMatch), a link record of its own type so that a
// log without matches is byte for byte what version 1 wrote. The reader takes both
// versions: a version-1 log stays readable and appendable (a matched link appended to
// it is refused by a version-1 reader as an unknown record type, never misread), and a
// compaction rewrites it as version 2.
type record struct {
	op      uint8
	at      int64
	source  string
	first   uint32 // node id of news[0]
	news    []newID
	members []member
	drops   []dropped
	key     uint32 // forget: the profile forgotten
	matched bool   // link: a probabilistic match (LinkMatch), whose weight follows
	weight  float64
	hashed  bool // config
	check   [8]byte
}

type newID struct {
	kind   string
	value  string // the value, unless raw holds it
	raw    []byte // the value as decoded, in the decoder's chunks (valid while they are)
	erased bool   // a forgotten identifier restored by a compacted log: a node without a value
	code   uint8  // the kind's code, set by whoever registered the kind before apply
	hash   uint64 // maphash of the value under the table's seed, if the decoder computed it
	tag    uint32 // the value's tag in the identifier table, when tagged (Link looked it up)
	tagged bool
}

type member struct {
	node   uint32
	status uint8
	// refused members: the kind whose limit refused the link, the limit, and how many
	// identifiers of that kind the profile would have held.
	limitKind    string
	limit, would uint8
}

type dropped struct {
	kind   string
	reason uint8
}

const (
	opLink       = 1
	opUnmerge    = 2
	opForget     = 3
	opConfig     = 4
	opQuarantine = 5
	// opMatch is the type byte of a link record that carries a match weight; decoded,
	// such a record is an opLink with matched set.
	opMatch = 6

	configVersion    = 2
	minConfigVersion = 1 // the oldest version this package reads
)

// Member statuses. A link record's members are in the order the event was processed.
const (
	stAnchor   = 1 // the identifier the event was linked around
	stAccepted = 2 // joined the anchor's profile (or was already in it)
	stRefused  = 3 // kept apart by a limit
	stHot      = 4 // quarantined (a new identifier in a link; every node of a quarantine record)
	stSkipped  = 5 // quarantined before, ignored
	stUnmerged = 6 // unmerge: the identifier split off
	stForgot   = 7 // forget: an identifier erased
)

// Drop reasons.
const (
	dropBlocked     = 1
	dropUnparseable = 2
)

func (r *record) reset(op uint8) {
	r.op, r.at, r.source, r.first, r.key, r.hashed = op, 0, "", 0, 0, false
	r.matched, r.weight = false, 0
	r.news, r.members, r.drops = r.news[:0], r.members[:0], r.drops[:0]
	r.check = [8]byte{}
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

func (r *record) encode(dst []byte) []byte {
	if r.op == opLink && r.matched {
		dst = append(dst, opMatch)
	} else {
		dst = append(dst, r.op)
	}
	switch r.op {
	case opConfig:
		dst = binary.AppendUvarint(dst, configVersion)
		var flags byte
		if r.hashed {
			flags = 1
		}
		dst = append(append(dst, flags), r.check[:]...)
	case opLink:
		dst = binary.AppendVarint(dst, r.at)
		dst = appendString(dst, r.source)
		dst = binary.AppendUvarint(dst, uint64(len(r.news)))
		if len(r.news) > 0 {
			dst = binary.AppendUvarint(dst, uint64(r.first))
		}
		for _, n := range r.news {
			dst = appendString(dst, n.kind)
			v := n.value
			if n.raw != nil {
				v = string(n.raw)
			}
			l := uint64(len(v)) << 1
			if n.erased {
				l |= 1
			}
			dst = append(binary.AppendUvarint(dst, l), v...)
		}
		dst = binary.AppendUvarint(dst, uint64(len(r.members)))
		for _, m := range r.members {
			dst = append(binary.AppendUvarint(dst, uint64(m.node)), m.status)
			if m.status == stRefused {
				dst = append(appendString(dst, m.limitKind), m.limit, m.would)
			}
		}
		dst = binary.AppendUvarint(dst, uint64(len(r.drops)))
		for _, d := range r.drops {
			dst = append(appendString(dst, d.kind), d.reason)
		}
		if r.matched {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(r.weight))
		}
	case opUnmerge:
		dst = binary.AppendVarint(dst, r.at)
		dst = binary.AppendUvarint(dst, uint64(r.members[0].node))
	case opForget, opQuarantine:
		dst = binary.AppendVarint(dst, r.at)
		if r.op == opForget {
			dst = binary.AppendUvarint(dst, uint64(r.key))
		}
		dst = binary.AppendUvarint(dst, uint64(len(r.members)))
		for _, m := range r.members {
			dst = binary.AppendUvarint(dst, uint64(m.node))
		}
	}
	return dst
}

// decoder reads one record. It never panics: every length is checked against what
// remains (by codec.Reader), and the first problem is kept with its byte offset.
type decoder struct {
	codec.Reader
	names map[string]string // kind and source names seen, so each is allocated once
	// Values are copied into chunks rather than each into a string of its own: replay
	// interns them at once, and a string per identifier would keep the collector busy.
	// The caller owns the chunks (use) and says when they may be overwritten.
	chunks *[][]byte
	ci     int
	// seed, when set, makes the decoder hash each new value (replay does it on the
	// decoding goroutine, ahead of building the index).
	seed   maphash.Seed
	hashes bool
}

// use makes the decoder copy values into chunks, overwriting what they held.
func (d *decoder) use(chunks *[][]byte) {
	d.chunks, d.ci = chunks, 0
	for i := range *chunks {
		(*chunks)[i] = (*chunks)[i][:0]
	}
}

func (d *decoder) save(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	if d.chunks == nil {
		return append([]byte(nil), v...)
	}
	cs := *d.chunks
	for d.ci < len(cs) && len(v) > cap(cs[d.ci])-len(cs[d.ci]) {
		d.ci++
	}
	if d.ci == len(cs) {
		cs = append(cs, make([]byte, 0, max(64<<10, len(v))))
		*d.chunks = cs
	}
	c := append(cs[d.ci], v...)
	cs[d.ci] = c
	return c[len(c)-len(v) : len(c) : len(c)]
}

// name reads a kind or source name: UTF-8, at most max bytes, non-empty if required.
func (d *decoder) name(max int, nonEmpty bool, what string) string {
	start := d.Offset()
	b := d.Prefixed(uint64(max), what)
	if d.Err() != nil {
		return ""
	}
	if nonEmpty && len(b) == 0 {
		d.FailAt(start, "empty %s", what)
		return ""
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if !utf8.Valid(b) {
		d.FailAt(start, "%s is not UTF-8", what)
		return ""
	}
	s := string(b)
	if d.names == nil {
		d.names = map[string]string{}
	}
	if len(d.names) < 1<<16 {
		d.names[s] = s
	}
	return s
}

func (d *decoder) node(what string) uint32 {
	start := d.Offset()
	n := uint32(d.Uvarint(maxNode, what))
	if d.Err() == nil && n == 0 {
		d.FailAt(start, "%s is node 0", what)
	}
	return n
}

// decode parses b into r. Semantic checks against the graph come later (graph.check).
func (d *decoder) decode(b []byte, r *record) error {
	d.Reset(b)
	r.reset(d.Byte("record type"))
	if r.op == opMatch {
		r.op, r.matched = opLink, true
	}
	switch r.op {
	case opConfig:
		if v := d.Uvarint(1<<16, "config version"); d.Err() == nil && (v < minConfigVersion || v > configVersion) {
			d.Failf("config version %d, this package reads %d to %d", v, minConfigVersion, configVersion)
		}
		switch f := d.Byte("config flags"); f {
		case 0, 1:
			r.hashed = f == 1
		default:
			d.Failf("config flags %#x", f)
		}
		copy(r.check[:], d.Bytes(8, "key check"))
	case opLink:
		r.at = d.Varint("time")
		r.source = d.name(maxSourceLen, false, "source")
		if n := d.Count(3, "new identifier count"); n > 0 {
			r.first = d.node("first new node")
			for range n {
				kind := d.name(maxKindLen, true, "kind")
				l := d.Uvarint(maxValueCap<<1|1, "value length")
				v := d.Bytes(int(l>>1), "value")
				erased := l&1 == 1
				if d.Err() == nil && (erased && len(v) > 0 || !erased && len(v) == 0) {
					d.Failf("value of %d bytes with erased=%v", len(v), erased)
				}
				n := newID{kind: kind, raw: d.save(v), erased: erased}
				if d.hashes && len(v) > 0 {
					n.hash = maphash.Bytes(d.seed, v)
				}
				r.news = append(r.news, n)
			}
		}
		for n := d.Count(2, "member count"); n > 0 && d.Err() == nil; n-- {
			m := member{node: d.node("member node"), status: d.Byte("member status")}
			switch m.status {
			case stAnchor, stAccepted, stHot, stSkipped:
			case stRefused:
				m.limitKind = d.name(maxKindLen, true, "limit kind")
				m.limit, m.would = d.Byte("limit"), d.Byte("would-be count")
			default:
				d.Failf("member status %d", m.status)
			}
			r.members = append(r.members, m)
		}
		for n := d.Count(2, "drop count"); n > 0 && d.Err() == nil; n-- {
			k := d.name(maxKindLen, true, "dropped kind")
			reason := d.Byte("drop reason")
			if d.Err() == nil && reason != dropBlocked && reason != dropUnparseable {
				d.Failf("drop reason %d", reason)
			}
			r.drops = append(r.drops, dropped{kind: k, reason: reason})
		}
		if r.matched {
			start := d.Offset()
			if b := d.Bytes(8, "match weight"); d.Err() == nil {
				r.weight = math.Float64frombits(binary.LittleEndian.Uint64(b))
				if math.IsNaN(r.weight) || math.IsInf(r.weight, 0) {
					d.FailAt(start, "match weight %v is not finite", r.weight)
				}
			}
		}
	case opUnmerge:
		r.at = d.Varint("time")
		r.members = append(r.members, member{node: d.node("unmerged node"), status: stUnmerged})
	case opForget:
		r.at = d.Varint("time")
		r.key = uint32(d.Uvarint(keyMask, "profile key"))
		for n := d.Count(1, "node count"); n > 0 && d.Err() == nil; n-- {
			r.members = append(r.members, member{node: d.node("forgotten node"), status: stForgot})
		}
	case opQuarantine:
		r.at = d.Varint("time")
		for n := d.Count(1, "node count"); n > 0 && d.Err() == nil; n-- {
			r.members = append(r.members, member{node: d.node("quarantined node"), status: stHot})
		}
	default:
		d.FailAt(0, "unknown record type %d", r.op)
	}
	return d.End()
}
