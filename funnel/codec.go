package funnel

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/codec"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/frame"
)

// The package's encodings (a Batch, every analysis's Partial, Journeys) are frames
// of the SDK's one checksummed framing (internal/frame):
//
//	magic (8 bytes) | version uint32 LE | body | CRC32C of everything before, uint32 LE
//
// The decoders check the magic, the checksum and the version first, then every length
// in the body against the bytes that remain, so that damaged input fails with an error
// naming the offset instead of allocating or panicking.

const frameVersion = 1

// seenVersion is the version the partials of Spec and Cohorts are written in. Version 2
// added a flag before the latest event's time saying whether any event was seen (and,
// for Spec, one before AsOf saying whether it is set): version 1 wrote 0 for "none",
// which is also 1970-01-01, so partials whose events all came before 1970 merged to the
// wrong end of observation, and a Spec's AsOf before 1970 did not decode. Both versions
// are read (see v1End).
const seenVersion = 2

// countedVersion is the version the partials of Trend and Stickiness are written in.
// Version 2 added, after the counts, the set of profiles the partial counted (a
// roaring bitmap), so that Merge can refuse a profile counted in both partials, as
// those of Spec, Cohorts and Correlate do. Version 1, which held counts only, is read
// still: such a partial knows none of its profiles (see Partial).
const countedVersion = 2

type writer struct{ buf []byte }

func newWriter(magic string) *writer { return newWriterVersion(magic, frameVersion) }

func newWriterVersion(magic string, version uint32) *writer {
	return &writer{buf: frame.AppendHeader(nil, magic, version)}
}

func (w *writer) uvarint(v uint64)  { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *writer) varint(v int64)    { w.buf = binary.AppendVarint(w.buf, v) }
func (w *writer) u32(v uint32)      { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *writer) i64(v int64)       { w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(v)) }
func (w *writer) bytes(b []byte)    { w.uvarint(uint64(len(b))); w.buf = append(w.buf, b...) }
func (w *writer) str(s string)      { w.uvarint(uint64(len(s))); w.buf = append(w.buf, s...) }
func (w *writer) finish() []byte    { return frame.Seal(w.buf) }
func (w *writer) flag(b bool)       { w.buf = append(w.buf, boolByte(b)) }
func (w *writer) int64s(vs []int64) { w.uvarint(uint64(len(vs))); appendVarints(w, vs) }

// profileSet writes a set of profile ids as a length-prefixed roaring bitmap, which
// reader.profileSet reads.
func (w *writer) profileSet(bm *roaring.Bitmap) error {
	raw, err := bm.ToBytes()
	if err != nil {
		return err
	}
	w.bytes(raw)
	return nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func appendVarints(w *writer, vs []int64) {
	for _, v := range vs {
		w.varint(v)
	}
}

// reader decodes a frame's body: codec.Reader keeps the first problem with its offset
// (counted from the start of the frame) and makes later reads return zeros; end wraps
// it with what was being decoded and ErrCorrupt.
type reader struct {
	codec.Reader
	what     string // "batch", "partial": for error messages
	profiles uint64 // profile ids materialised from bitmaps so far
}

// MaxDecodedProfiles bounds the profile ids one decoded Partial (of any analysis) may
// hold (2^26, 256 MiB of ids). A roaring bitmap of a few bytes can describe billions of
// profiles (one run container), so without a bound a tiny damaged or hostile input
// could ask for gigabytes; a shard holding more profiles than this is split further.
const MaxDecodedProfiles = 1 << 26

// openFrame checks data's magic, version (frameVersion) and checksum and returns a
// reader of its body.
func openFrame(what, magic string, data []byte) (*reader, error) {
	r, _, err := openFrameUpTo(what, magic, data, frameVersion)
	return r, err
}

// openFrameUpTo is openFrame for an encoding read in versions 1 to latest: it returns
// the frame's version too.
func openFrameUpTo(what, magic string, data []byte, latest uint32) (*reader, uint32, error) {
	v, _, err := frame.Open(data, magic)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: decode %s %v", ErrCorrupt, what, err)
	}
	if v < 1 || v > latest {
		return nil, 0, fmt.Errorf("%w: decode %s at offset %d: unknown version %d", ErrCorrupt, what, frame.MagicSize, v)
	}
	r := &reader{what: what}
	r.Reset(data[:len(data)-4])
	r.Bytes(frame.HeaderSize, "header") // checked above; offsets count from the frame's start
	return r, v, nil
}

func (r *reader) failed() bool { return r.Err() != nil }

func (r *reader) fail(format string, a ...any) { r.Failf(format, a...) }

func (r *reader) uvarint() uint64 { return r.Uvarint(math.MaxUint64, "varint") }
func (r *reader) varint() int64   { return r.Varint("varint") }

// count reads a length, at most limit, and checks that at least min bytes per item
// remain.
func (r *reader) count(what string, limit uint64, min int) int {
	start := r.Offset()
	v := r.Count(min, what+" count")
	if uint64(v) > limit {
		r.FailAt(start, "%s count %d above %d", what, v, limit)
		return 0
	}
	return v
}

func (r *reader) take(k int) []byte { return r.Bytes(k, "bytes") }
func (r *reader) bytes() []byte     { return r.take(r.count("byte", 1<<40, 1)) }
func (r *reader) str() string       { return string(r.bytes()) }

// profileIDs reads a length-prefixed roaring bitmap of profile ids, validated, and
// returns its members, counting them against MaxDecodedProfiles.
func (r *reader) profileIDs(what string) []uint32 {
	bm := r.profileSet(what)
	if bm == nil {
		return nil
	}
	return bm.ToArray()
}

// profileSet reads a length-prefixed roaring bitmap of profile ids, validated, counting
// them against MaxDecodedProfiles; nil on failure.
func (r *reader) profileSet(what string) *roaring.Bitmap {
	start := r.Offset()
	raw := r.bytes()
	if r.failed() {
		return nil
	}
	bm := roaring.New()
	if err := bm.UnmarshalBinary(raw); err != nil {
		r.FailAt(start, "%s: %v", what, err)
		return nil
	}
	if err := bm.Validate(); err != nil {
		r.FailAt(start, "%s: %v", what, err)
		return nil
	}
	n := bm.GetCardinality()
	if n > MaxDecodedProfiles-r.profiles {
		// The bound is on the whole value: a set of 1 fails after a full one.
		before := ""
		if r.profiles > 0 {
			before = fmt.Sprintf(" after %d others", r.profiles)
		}
		r.FailAt(start, "%s: %s%s, more than the %d one decoded value may hold", what, english.Count(n, "profile"), before, uint64(MaxDecodedProfiles))
		return nil
	}
	r.profiles += n
	return bm
}

func (r *reader) flag() bool {
	b := r.Byte("flag")
	if b > 1 {
		r.fail("flag byte %d", b)
	}
	return b == 1
}

// optTime writes an instant that may be absent (noTime): a flag saying whether it is
// present, then the time, 0 when absent.
func (w *writer) optTime(t int64) {
	w.flag(t != noTime)
	if t == noTime {
		t = 0
	}
	w.varint(t)
}

// optTime reads what writer.optTime wrote: noTime when the flag is clear, whose time
// must then be 0 (one state, one encoding), else a time within 1900-2189.
func (r *reader) optTime(what string) int64 {
	set := r.flag()
	start := r.Offset()
	t := r.varint()
	switch {
	case r.failed():
		return noTime
	case !set && t != 0:
		r.FailAt(start, "%s %d given but flagged absent", what, t)
	case set && (t < minNano || t >= maxNano):
		r.FailAt(start, "%s %d outside 1900-2189", what, t)
	case !set:
		return noTime
	}
	return t
}

// v1End is the end of observation a version-1 partial recorded as raw (see
// seenVersion), which wrote 0 both for "no event seen" and for the latest event's time
// when that was 1970-01-01 or before (raised to 0). A partial holding no profile reads
// 0 as no event, as version 1 did; one holding profiles keeps the Unix epoch, the end
// version 1 gave them, the true latest time not having been recorded.
func v1End(raw int64, profiles bool) int64 {
	if raw == 0 && !profiles {
		return noTime
	}
	return raw
}

func (r *reader) int64s(what string) []int64 {
	return r.int64sIn(what, math.MinInt64, math.MaxInt64)
}

// int64sIn reads a list of int64s as int64s does, each in [lo, hi].
func (r *reader) int64sIn(what string, lo, hi int64) []int64 {
	n := r.count(what, 1<<40, 1)
	vs := make([]int64, 0, n)
	for range n {
		start := r.Offset()
		v := r.varint()
		if !r.failed() && (v < lo || v > hi) {
			r.FailAt(start, "%s %d outside [%d, %d]", what, v, lo, hi)
		}
		vs = append(vs, v)
	}
	return vs
}

func (r *reader) end() error {
	if err := r.End(); err != nil {
		return errorf("decode %s: %w: %w", r.what, err, ErrCorrupt)
	}
	return nil
}
