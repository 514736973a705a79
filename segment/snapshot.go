package segment

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/codec"
	"github.com/clientele-go/clientele/internal/frame"
)

// Snapshot format, version 1. All integers little-endian.
//
//	header   "CLTSEGIX" | version uint32 | flags uint32 (0)                 16 bytes
//	bitmaps  portable roaring serializations, one after another
//	dir      the directory (below), which locates every bitmap by (offset, length)
//	trailer  dir offset uint64 | dir length uint64 | "CSEG" | CRC-32C uint32  24 bytes
//
// The CRC-32C (Castagnoli) covers every byte before it: a snapshot is a frame of the
// SDK's one checksummed framing (internal/frame) whose body runs from the flags to the
// trailer's "CSEG". The directory is a sequence of
// unsigned varints (u), zig-zag varints (z), strings (u length, bytes), bitmap
// references (u offset from the file's start, u length) and bit-sliced indexes
// (byte signed, u width, existence reference, width slice references):
//
//	location string | retention u | horizon z | sequence z | known ref
//	u trait keys,    each: key string, u values, each: value string, ref  (sorted)
//	u number fields, each: name string, rule byte, bsi, byte has-sequence, [bsi] (sorted)
//	u events,        each: name string, older ref, u days, each: day z, present ref,
//	                 byte has-extra, [bsi]                                 (sorted, days ascending)
//	u segments,      each: name string, expression string, members ref     (sorted)
const (
	snapMagic   = "CLTSEGIX"
	snapEnd     = "CSEG"
	snapVersion = 1
	snapHeader  = 16
	snapTrailer = 24
)

// snapWriter writes a snapshot through a frame.Writer, which checksums and counts as
// it goes, and gathers the directory.
type snapWriter struct {
	*frame.Writer
	err error // a bitmap's own failure to serialise
	dir []byte
}

func (s *snapWriter) u(v uint64)   { s.dir = binary.AppendUvarint(s.dir, v) }
func (s *snapWriter) z(v int64)    { s.dir = binary.AppendVarint(s.dir, v) }
func (s *snapWriter) byte(v byte)  { s.dir = append(s.dir, v) }
func (s *snapWriter) str(v string) { s.u(uint64(len(v))); s.dir = append(s.dir, v...) }

func (s *snapWriter) bitmap(b *roaring.Bitmap) {
	start := s.Offset()
	if _, err := b.WriteTo(s); err != nil && s.err == nil {
		s.err = err
	}
	s.u(uint64(start))
	s.u(uint64(s.Offset() - start))
}

func (s *snapWriter) bsi(b *bsi) {
	if b.signed {
		s.byte(1)
	} else {
		s.byte(0)
	}
	s.u(uint64(len(b.slices)))
	s.bitmap(b.exist)
	for _, sl := range b.slices {
		s.bitmap(sl)
	}
}

// optionalBSI writes a presence byte, then b if it is not nil.
func (s *snapWriter) optionalBSI(b *bsi) {
	if b == nil {
		s.byte(0)
		return
	}
	s.byte(1)
	s.bsi(b)
}

// WriteTo writes a snapshot of the index to w (the format is described under
// Persistence in the package documentation): every
// tag, trait, number, day of activity and saved segment with its members, and the
// index's settings. It implements io.WriterTo. Writes wait while it runs; queries do not.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	if x.zero() {
		return 0, errZeroIndex
	}
	// The snapshot records the location by name and the reader finds it again with
	// time.LoadLocation: a zone it cannot find (time.FixedZone) would make a snapshot
	// that every Load refuses, discovered only when it is needed to restore.
	// time.Local is named "Local", which LoadLocation finds on every machine, but as
	// that machine's own zone: a snapshot written in Shanghai and read in London would
	// bucket its days in London's, silently. Its IANA name cannot be read reliably
	// (TZ may be unset and /etc/localtime a copy rather than a link), so it is refused
	// as an unnamed zone is.
	if x.loc.String() == "Local" {
		return 0, fmt.Errorf("%w: write snapshot: location Local is whatever zone the reading machine has, so its days could shift when read back; make the index WithLocation(time.LoadLocation(\"Area/City\"))", ErrInvalid)
	}
	if x.loc != time.UTC {
		if _, err := time.LoadLocation(x.loc.String()); err != nil {
			return 0, fmt.Errorf("%w: write snapshot: location %q is not a named time zone, so the snapshot could not be read back; make the index WithLocation(time.LoadLocation(\"Area/City\"))", ErrInvalid, x.loc.String())
		}
	}
	x.rlock()
	defer x.mu.RUnlock()
	bw := bufio.NewWriterSize(w, 1<<20)
	s := &snapWriter{Writer: frame.NewWriter(bw, snapMagic, snapVersion)}
	s.Write(make([]byte, snapHeader-frame.HeaderSize)) // flags: none

	s.str(x.loc.String())
	s.u(uint64(x.retention))
	s.z(int64(x.horizon))
	s.z(x.seq)
	s.bitmap(x.known)
	s.u(uint64(len(x.traits)))
	for _, key := range slices.Sorted(maps.Keys(x.traits)) {
		values := x.traits[key]
		s.str(key)
		s.u(uint64(len(values)))
		for _, v := range slices.Sorted(maps.Keys(values)) {
			s.str(v)
			s.bitmap(values[v])
		}
	}
	s.u(uint64(len(x.numbers)))
	for _, name := range slices.Sorted(maps.Keys(x.numbers)) {
		f := x.numbers[name]
		s.str(name)
		s.byte(byte(f.rule))
		s.bsi(f.v)
		s.optionalBSI(f.seq)
	}
	s.u(uint64(len(x.events)))
	for _, name := range slices.Sorted(maps.Keys(x.events)) {
		ev := x.events[name]
		s.str(name)
		s.bitmap(ev.older)
		s.u(uint64(len(ev.days)))
		for _, d := range ev.days {
			s.z(int64(d.day))
			s.bitmap(d.present)
			s.optionalBSI(d.extra)
		}
	}
	s.u(uint64(len(x.saved)))
	for _, name := range slices.Sorted(maps.Keys(x.saved)) {
		sv := x.saved[name]
		s.str(name)
		s.str(sv.q.String())
		s.bitmap(sv.members)
	}

	dirOff := s.Offset()
	s.Write(s.dir)
	var t [snapTrailer - 4]byte // the checksum is the frame's
	binary.LittleEndian.PutUint64(t[0:], uint64(dirOff))
	binary.LittleEndian.PutUint64(t[8:], uint64(len(s.dir)))
	copy(t[16:], snapEnd)
	s.Write(t[:])
	err := s.Close()
	if err == nil {
		err = s.err
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return s.Offset(), errorf("write snapshot: %w", err)
	}
	return s.Offset(), nil
}

// snapReader decodes a snapshot held in memory (read from a Store, or mapped). Its
// codec.Reader reads the directory, positioned at it within the whole file, so that a
// problem is reported at its byte offset in the file.
type snapReader struct {
	codec.Reader
	data   []byte
	dirOff int
}

func (r *snapReader) failed() bool { return r.Err() != nil }

func (r *snapReader) u(what string) uint64 { return r.Uvarint(math.MaxUint64, what) }

// count reads a number of items each taking at least one directory byte, so that a
// damaged count cannot ask for more memory than the directory could describe.
func (r *snapReader) count(what string) int { return r.Count(1, what) }

// zoneName reports whether name could be one WriteTo wrote: a name of the IANA
// database ("UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"), which is short,
// printable ASCII, and neither "Local" nor a path LoadLocation would refuse.
func zoneName(name string) bool {
	if name == "" || name == "Local" || len(name) > 255 || name[0] == '/' || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

func (r *snapReader) str(what string) string { return string(r.Prefixed(math.MaxUint32, what)) }

func (r *snapReader) bitmap(what string) *roaring.Bitmap {
	start := r.Offset()
	off, n := r.u(what+": bitmap offset"), r.u(what+": bitmap length")
	if r.failed() {
		return roaring.New()
	}
	if off < snapHeader || off > uint64(r.dirOff) || n > uint64(r.dirOff)-off {
		r.FailAt(start, "%s: bitmap reference (%d, %d) outside the bitmap area [%d, %d)", what, off, n, snapHeader, r.dirOff)
		return roaring.New()
	}
	b, err := viewBitmap(r.data[off:off+n], int64(off))
	if err != nil {
		// err wraps ErrCorrupt, as the whole snapshot's error will: quote it without.
		r.FailAt(start, "%s: %s", what, strings.TrimSuffix(err.Error(), ": "+ErrCorrupt.Error()))
		return roaring.New()
	}
	return b
}

func (r *snapReader) bsi(what string, signed bool) *bsi {
	start := r.Offset()
	s := r.Byte(what + ": sign flag")
	w := r.u(what + ": width")
	if r.failed() {
		return newBSI(signed)
	}
	if (s == 1) != signed || s > 1 || w > 64 {
		r.FailAt(start, "%s: bit-sliced index with sign flag %d and width %d", what, s, w)
		return newBSI(signed)
	}
	b := &bsi{signed: signed, exist: r.bitmap(what)}
	for i := range int(w) {
		sl := r.bitmap(fmt.Sprintf("%s, slice %d", what, i))
		if !r.failed() && sl.AndCardinality(b.exist) != sl.GetCardinality() {
			r.Failf("%s: slice %d holds profiles without a value", what, i)
		}
		b.slices = append(b.slices, sl)
	}
	return b
}

// subset fails unless every element of a is in b.
func (r *snapReader) subset(a, b *roaring.Bitmap, what string) {
	if !r.failed() && a.AndCardinality(b) != a.GetCardinality() {
		r.Failf("%s", what)
	}
}

// decodeSnapshot rebuilds an index from a snapshot. Bitmaps share data's memory.
func decodeSnapshot(data []byte) (*Index, error) {
	bad := func(off int, format string, args ...any) error {
		return fmt.Errorf("%w: snapshot at offset %d: %s", ErrCorrupt, off, fmt.Sprintf(format, args...))
	}
	v, _, err := frame.Open(data, snapMagic)
	var fe *frame.Error
	if errors.As(err, &fe) {
		if n := len(data); n >= snapHeader && string(data[:len(snapMagic)]) == snapMagic && string(data[n-8:n-4]) != snapEnd {
			// A snapshot's last bytes are its trailer, so a checksum failure without one
			// is almost always a copy cut short: say so rather than quote the checksum
			// of bytes that were never a checksum.
			return nil, bad(n, "%d bytes end without the trailer %q: truncated, or not written whole", n, snapEnd)
		}
		return nil, bad(fe.Offset, "%s (not a segment snapshot, or damaged)", fe.Reason)
	}
	if len(data) < snapHeader+snapTrailer {
		return nil, bad(0, "%d bytes, too short for a snapshot", len(data))
	}
	end := len(data) - snapTrailer
	if string(data[end+16:end+20]) != snapEnd {
		return nil, bad(end+16, "bad trailer magic (truncated or not a snapshot)")
	}
	if v != snapVersion {
		return nil, bad(8, "unsupported version %d (want %d)", v, snapVersion)
	}
	if f := binary.LittleEndian.Uint32(data[12:]); f != 0 {
		return nil, bad(12, "unknown flags %#x", f)
	}
	dirOff, dirLen := binary.LittleEndian.Uint64(data[end:]), binary.LittleEndian.Uint64(data[end+8:])
	if dirOff < snapHeader || dirOff > uint64(end) || dirLen != uint64(end)-dirOff {
		return nil, bad(end, "directory (%d, %d) does not end at the trailer %d", dirOff, dirLen, end)
	}
	r := &snapReader{data: data, dirOff: int(dirOff)}
	r.Reset(data[:end])
	r.Bytes(int(dirOff), "header and bitmaps") // checked above: start at the directory
	fail := func() error { return errorf("snapshot: %w: %w", r.Err(), ErrCorrupt) }

	locStart := r.Offset()
	locName := r.str("location")
	start := r.Offset()
	retention, horizon, seq := r.u("retention"), r.Varint("horizon"), r.Varint("sequence")
	if r.failed() {
		return nil, fail()
	}
	if !zoneName(locName) {
		// WriteTo writes only names time.LoadLocation found, never "Local": any other
		// name is damage, not a zone this machine's database lacks.
		r.FailAt(locStart, "location %q is not a time zone name", locName)
		return nil, fail()
	}
	loc, err := time.LoadLocation(locName)
	if err != nil {
		return nil, errorf("snapshot: location %q: %w", locName, err)
	}
	if retention > MaxWindow*100 || horizon < math.MinInt32 || horizon > math.MaxInt32 || seq < 0 {
		r.FailAt(start, "settings out of range (retention %d, horizon %d, sequence %d)", retention, horizon, seq)
		return nil, fail()
	}
	x, err := NewIndex(WithLocation(loc), WithRetention(int(retention)))
	if err != nil {
		// Unreachable while the range check above matches WithRetention's; kept so
		// that the two cannot drift apart into a panic.
		return nil, bad(start, "settings refused (%s)", strings.TrimPrefix(err.Error(), "segment: "))
	}
	x.horizon, x.seq = int32(horizon), seq
	x.known = r.bitmap("known profiles")

	r.traits(x)
	r.numbers(x)
	r.events(x)
	r.segments(x)
	if r.End() != nil {
		return nil, fail()
	}
	// An empty trait key, numeric field or event name, which earlier versions kept
	// (Tag(":x"), SetNumber(""), Record with ""), is read and checked like any other,
	// then dropped: no query can name it, and Untag, ClearNumber and Forget's host could
	// not otherwise remove what it holds, which every later snapshot would carry.
	delete(x.traits, "")
	delete(x.numbers, "")
	delete(x.events, "")
	// Saved definitions must resolve against what was loaded, as Save required.
	for _, name := range slices.Sorted(maps.Keys(x.saved)) {
		c := x.newChecker(0, false)
		c.stack = []string{name}
		if _, err := c.check(x.saved[name].q.root, 0); err != nil {
			return nil, fmt.Errorf("%w: snapshot: saved segment %q does not resolve: %s", ErrCorrupt, name, strings.TrimPrefix(err.Error(), "segment: "))
		}
	}
	return x, nil
}

// sorted fails unless names arrive in strictly increasing order (written so, and so
// free of duplicates).
func (r *snapReader) sorted(prev *string, first bool, name, what string) {
	if !first && name <= *prev {
		r.Failf("%s %q out of order after %q", what, name, *prev)
	}
	*prev = name
}

func (r *snapReader) traits(x *Index) {
	var prevKey string
	for i := range r.count("trait keys") {
		key := r.str("trait key")
		r.sorted(&prevKey, i == 0, key, "trait key")
		values := x.traitKey(key)
		var prev string
		for j := range r.count("trait values") {
			v := r.str("trait value")
			r.sorted(&prev, j == 0, v, "trait value")
			b := r.bitmap("trait " + key + ":" + v)
			r.subset(b, x.known, "trait "+key+":"+v+" holds unknown profiles")
			values[v] = b
		}
	}
}

func (r *snapReader) numbers(x *Index) {
	var prev string
	for i := range r.count("numeric fields") {
		name := r.str("numeric field")
		r.sorted(&prev, i == 0, name, "numeric field")
		rule := MergeRule(r.Byte("merge rule"))
		if rule > MergeLast {
			r.Failf("numeric field %q: unknown merge rule %d", name, rule)
		}
		f := &numField{rule: rule, v: r.bsi("numeric field "+name, true)}
		r.subset(f.v.exist, x.known, "numeric field "+name+" holds unknown profiles")
		if has := r.Byte("sequence flag"); has > 1 || (has == 1) != (rule == MergeLast) {
			r.Failf("numeric field %q: sequence flag %d with rule %v", name, has, rule)
		} else if has == 1 {
			f.seq = r.bsi("numeric field "+name+" sequence", false)
		}
		x.numbers[name] = f
	}
}

func (r *snapReader) events(x *Index) {
	var prev string
	for i := range r.count("events") {
		name := r.str("event")
		r.sorted(&prev, i == 0, name, "event")
		ev := x.event(name)
		ev.older = r.bitmap("event " + name + " before the horizon")
		r.subset(ev.older, x.known, "event "+name+" holds unknown profiles")
		prevDay := int64(math.MinInt64)
		for range r.count("days") {
			start := r.Offset()
			day := r.Varint("day")
			if !r.failed() && (day <= prevDay || day < int64(x.horizon) || day > math.MaxInt32) {
				r.FailAt(start, "event %q: day %d out of order or range", name, day)
			}
			prevDay = day
			what := fmt.Sprintf("event %s on day %d", name, day)
			d := &dayBits{day: int32(day), present: r.bitmap(what)}
			r.subset(d.present, x.known, what+" holds unknown profiles")
			switch r.Byte("repeat flag") {
			case 0:
			case 1:
				d.extra = r.bsi(what+", repeats", false)
				r.subset(d.extra.exist, d.present, what+": repeats of absent profiles")
			default:
				r.Failf("%s: bad repeat flag", what)
			}
			ev.days = append(ev.days, d)
		}
	}
}

func (r *snapReader) segments(x *Index) {
	var prev string
	for i := range r.count("segments") {
		at := r.Offset()
		name := r.str("segment")
		r.sorted(&prev, i == 0, name, "segment")
		if name == "" && !r.failed() {
			r.FailAt(at, "saved segment with an empty name, which Save refuses")
			return
		}
		start := r.Offset()
		expr := r.str("segment definition")
		members := r.bitmap("segment " + name + " members")
		if r.failed() {
			return
		}
		q, err := Parse(expr)
		if err != nil {
			// The message wraps ErrCorrupt, which names the package: the parse error's
			// own "segment: " would name it twice.
			r.FailAt(start, "segment %q: %s", name, strings.TrimPrefix(err.Error(), "segment: "))
			return
		}
		x.saved[name] = &saved{q: q, members: members}
	}
}

// SaveTo writes a snapshot of the index to s under name (see Store for durability).
func (x *Index) SaveTo(s Store, name string) error {
	if x.zero() {
		return errZeroIndex
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		return err
	}
	return s.Put(name, buf.Bytes())
}

// Load reads the snapshot saved under name in s. A damaged snapshot fails with
// ErrCorrupt and the offset of the damage; every bitmap is validated.
func Load(s Store, name string) (*Index, error) {
	data, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	x, err := ReadSnapshot(data)
	if err != nil {
		// Name the blob, as Open names the file: a host loads several.
		return nil, errorf("load %q: %w", name, err)
	}
	return x, nil
}

// ReadSnapshot decodes a snapshot written by WriteTo. The index keeps references into
// data (its bitmaps are views of it, copied container by container as they change), so
// data must not be modified afterwards. An empty trait key, numeric field or event name,
// which earlier versions could write, is dropped (see Persistence in the package
// documentation).
func ReadSnapshot(data []byte) (*Index, error) {
	return decodeSnapshot(data)
}
