package funnel

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The package's encodings (a Batch, a Partial, a CohortPartial, Journeys) share one
// frame:
//
//	magic (8 bytes) | version uint32 LE | body | CRC32C of everything before, uint32 LE
//
// The decoders check the magic, the version and the checksum first, then every length
// in the body against the bytes that remain, so that damaged input fails with an error
// naming the offset instead of allocating or panicking.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const frameVersion = 1

type writer struct{ buf []byte }

func newWriter(magic string) *writer {
	w := &writer{buf: append([]byte(nil), magic...)}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, frameVersion)
	return w
}

func (w *writer) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *writer) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }
func (w *writer) u32(v uint32)     { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *writer) i64(v int64)      { w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(v)) }
func (w *writer) bytes(b []byte)   { w.uvarint(uint64(len(b))); w.buf = append(w.buf, b...) }
func (w *writer) str(s string)     { w.uvarint(uint64(len(s))); w.buf = append(w.buf, s...) }
func (w *writer) finish() []byte {
	return binary.LittleEndian.AppendUint32(w.buf, crc32.Checksum(w.buf, castagnoli))
}
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

// reader decodes a frame's body; the first error sticks and later reads return zeros.
type reader struct {
	what string // "batch", "partial": for error messages
	data []byte
	off  int
	err  error
}

// openFrame checks data's magic, version and checksum and returns a reader of its body.
func openFrame(what, magic string, data []byte) (*reader, error) {
	min := len(magic) + 4 + 4
	if len(data) < min {
		return nil, fmt.Errorf("funnel: decode %s: %d bytes, shorter than a frame's %d: %w", what, len(data), min, ErrCorrupt)
	}
	if string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("funnel: decode %s at offset 0: bad magic %q: %w", what, data[:len(magic)], ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(data[len(magic):]); v != frameVersion {
		return nil, fmt.Errorf("funnel: decode %s at offset %d: unknown version %d: %w", what, len(magic), v, ErrCorrupt)
	}
	body := data[:len(data)-4]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return nil, fmt.Errorf("funnel: decode %s at offset %d: checksum %08x, want %08x: %w", what, len(body), got, want, ErrCorrupt)
	}
	return &reader{what: what, data: body, off: len(magic) + 4}, nil
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("funnel: decode %s at offset %d: %s: %w", r.what, r.off, fmt.Sprintf(format, a...), ErrCorrupt)
	}
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.data[r.off:])
	if k <= 0 || !r.minimal(k) {
		r.fail("bad varint")
		return 0
	}
	r.off += k
	return v
}

// minimal reports whether the k-byte varint at the offset is in its shortest form. The
// decoders accept exactly the bytes the encoders write, so that what decodes re-encodes
// to the same bytes; binary.Uvarint also accepts padded forms such as 0x80 0x00 for 0.
func (r *reader) minimal(k int) bool { return k == 1 || r.data[r.off+k-1] != 0 }

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.data[r.off:])
	if k <= 0 || !r.minimal(k) {
		r.fail("bad varint")
		return 0
	}
	r.off += k
	return v
}

// count reads a length and checks that at least min bytes per item remain.
func (r *reader) count(what string, limit uint64, min int) int {
	v := r.uvarint()
	if r.err != nil {
		return 0
	}
	if v > limit || v*uint64(min) > uint64(len(r.data)-r.off) {
		r.fail("%s count %d too large for the %d bytes left", what, v, len(r.data)-r.off)
		return 0
	}
	return int(v)
}

func (r *reader) take(k int) []byte {
	if r.err != nil {
		return nil
	}
	if k < 0 || k > len(r.data)-r.off {
		r.fail("%d bytes wanted, %d left", k, len(r.data)-r.off)
		return nil
	}
	b := r.data[r.off : r.off+k]
	r.off += k
	return b
}

func (r *reader) bytes() []byte { return r.take(r.count("byte", 1<<40, 1)) }
func (r *reader) str() string   { return string(r.bytes()) }

func (r *reader) flag() bool {
	b := r.take(1)
	if r.err != nil {
		return false
	}
	if b[0] > 1 {
		r.fail("flag byte %d", b[0])
	}
	return b[0] == 1
}

func (r *reader) int64s(what string) []int64 {
	n := r.count(what, 1<<40, 1)
	vs := make([]int64, 0, n)
	for range n {
		vs = append(vs, r.varint())
	}
	return vs
}

func (r *reader) end() error {
	if r.err == nil && r.off != len(r.data) {
		r.fail("%d trailing bytes", len(r.data)-r.off)
	}
	return r.err
}
