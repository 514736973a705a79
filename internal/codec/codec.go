// Package codec reads the varint-based binary encodings that the SDK's packages give
// their records and partial states (identity's and referral's log records, funnel's
// partials, segment's snapshot directory), so that each package writes only what its own
// format means.
//
// Writing needs nothing here: encoding/binary's AppendUvarint and AppendVarint do it.
// Reading untrusted bytes needs care that every decoder would otherwise repeat: every
// length is checked against what remains, a count cannot ask for more memory than the
// input could hold, nothing panics, and the first problem is kept with its byte offset
// while later reads return zero values, so a decoder reads a whole record and checks
// for an error once.
package codec

import (
	"encoding/binary"
	"fmt"

	"github.com/clientele-go/clientele/internal/english"
)

// Reader decodes one byte slice. Its zero value reads an empty input; Reset starts it
// on another. A Reader is not safe for concurrent use.
type Reader struct {
	b   []byte
	off int
	err error
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Reset makes r read b from its start and forgets any error.
func (r *Reader) Reset(b []byte) { r.b, r.off, r.err = b, 0, nil }

// Offset returns the byte offset of the next read.
func (r *Reader) Offset() int { return r.off }

// Remaining returns the number of bytes not yet read.
func (r *Reader) Remaining() int { return len(r.b) - r.off }

// Err returns the first problem found, as "at byte N: what", or nil.
func (r *Reader) Err() error { return r.err }

// Failf records a problem with the field at the current offset, unless one is already
// recorded.
func (r *Reader) Failf(format string, args ...any) { r.FailAt(r.off, format, args...) }

// FailAt records a problem with the field that starts at byte off, unless one is already
// recorded.
func (r *Reader) FailAt(off int, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d: %s", off, fmt.Sprintf(format, args...))
	}
}

// Byte reads one byte.
func (r *Reader) Byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.Failf("input ends before the %s", what)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// Uvarint reads an unsigned varint no larger than limit.
func (r *Reader) Uvarint(limit uint64, what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if !r.minimal(n, what) {
		return 0
	}
	if v > limit {
		r.Failf("%s %d exceeds %d", what, v, limit)
		return 0
	}
	r.off += n
	return v
}

// Varint reads a signed (zig-zag) varint.
func (r *Reader) Varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if !r.minimal(n, what) {
		return 0
	}
	r.off += n
	return v
}

// minimal reports whether a varint read n bytes and was written in as few bytes as its
// value needs. binary.Uvarint also accepts padded forms (0x80 0x00 is 0); refusing them
// keeps every accepted encoding canonical, so decoding and encoding again gives the
// same bytes and a checksum or key computed over them means one thing.
func (r *Reader) minimal(n int, what string) bool {
	switch {
	case n <= 0:
		r.Failf("bad varint for the %s", what)
		return false
	case n > 1 && r.b[r.off+n-1] == 0:
		r.Failf("padded varint for the %s", what)
		return false
	}
	return true
}

// Count reads the number of items that follow, each at least minSize bytes long
// (minSize >= 1), and refuses a count the remaining input cannot hold, so that a damaged
// count never asks for a huge allocation.
func (r *Reader) Count(minSize int, what string) int {
	start := r.off
	v := r.Uvarint(^uint64(0), what)
	if r.err == nil && v > uint64(r.Remaining()/max(minSize, 1)) {
		r.FailAt(start, "%s %d too large for the %s left", what, v, english.Count(r.Remaining(), "byte"))
		return 0
	}
	return int(v)
}

// Bytes returns the next n bytes (a view of the input, not a copy).
func (r *Reader) Bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.Remaining() {
		r.Failf("%s of %s runs past the end (%d left)", what, english.Count(n, "byte"), r.Remaining())
		return nil
	}
	b := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// Prefixed reads a length-prefixed byte string of at most limit bytes (a view of the
// input, not a copy). A length that runs past the end is reported at the prefix.
func (r *Reader) Prefixed(limit uint64, what string) []byte {
	start := r.off
	// The length is read here rather than by Uvarint(limit, what+" length"): that
	// concatenation allocated on every call, a sixth of an identity replay's decoding
	// (BENCHMARKS.md), for a name needed only in an error.
	if r.err != nil {
		return nil
	}
	n, k := binary.Uvarint(r.b[r.off:])
	if k <= 0 || k > 1 && r.b[r.off+k-1] == 0 {
		r.minimal(k, what+" length") // reports it
		return nil
	}
	if n > limit {
		r.Failf("%s length %d exceeds %d", what, n, limit)
		return nil
	}
	r.off += k
	if n > uint64(r.Remaining()) {
		r.FailAt(start, "%s of %s runs past the end (%d left)", what, english.Count(n, "byte"), r.Remaining())
		return nil
	}
	return r.Bytes(int(n), what)
}

// End reports trailing bytes as a problem and returns Err.
func (r *Reader) End() error {
	if r.err == nil && r.off != len(r.b) {
		r.Failf("%s after the end", english.Count(len(r.b)-r.off, "byte"))
	}
	return r.err
}
