package funnel

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/codec"
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

type writer struct{ buf []byte }

func newWriter(magic string) *writer {
	return &writer{buf: frame.AppendHeader(nil, magic, frameVersion)}
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

// MaxDecodedProfiles bounds the profile ids one decoded Partial (of a funnel, a cohort
// table or a correlation) may hold (2^26, 256 MiB of ids). A roaring bitmap of a few bytes can describe billions of
// profiles (one run container), so without a bound a tiny damaged or hostile input
// could ask for gigabytes; a shard holding more profiles than this is split further.
const MaxDecodedProfiles = 1 << 26

// openFrame checks data's magic, version and checksum and returns a reader of its body.
func openFrame(what, magic string, data []byte) (*reader, error) {
	v, _, err := frame.Open(data, magic)
	if err != nil {
		return nil, fmt.Errorf("%w: decode %s %v", ErrCorrupt, what, err)
	}
	if v != frameVersion {
		return nil, fmt.Errorf("%w: decode %s at offset %d: unknown version %d", ErrCorrupt, what, frame.MagicSize, v)
	}
	r := &reader{what: what}
	r.Reset(data[:len(data)-4])
	r.Bytes(frame.HeaderSize, "header") // checked above; offsets count from the frame's start
	return r, nil
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
		r.FailAt(start, "%s: %d profiles, more than the %d one decoded value may hold", what, n, uint64(MaxDecodedProfiles))
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
