// Package frame is the SDK's one checksummed framing of a stored or sent blob:
//
//	magic (8 bytes) | version uint32 LE | body | CRC32C of everything before, uint32 LE
//
// funnel's encodings (Batch, Partial, Journeys), segment's snapshots
// (whose body is flags, bitmaps, directory and trailer) and the header of a wal log (a
// frame with an empty body) are frames. The checksum is CRC32C (Castagnoli),
// hardware-accelerated on amd64 and arm64; Checksum and Update expose it for the wal's
// record chain and acknowledged end, which checksum fields rather than blobs.
//
// Open checks a frame before anything reads its body, so that a decoder meets only
// bytes that were written as they are; it reports a problem as an *Error with the
// offset at fault, which each package wraps with its own ErrCorrupt.
package frame

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

const (
	// MagicSize is the length of a frame's magic.
	MagicSize = 8
	// HeaderSize is the length of the magic and the version.
	HeaderSize = MagicSize + 4
	// Overhead is what a frame adds to its body: header and checksum.
	Overhead = HeaderSize + 4
)

var table = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC32C of b.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, table) }

// Update returns the CRC32C of the bytes summed into crc followed by b.
func Update(crc uint32, b []byte) uint32 { return crc32.Update(crc, table, b) }

// AppendHeader appends a frame's header to dst. magic must be MagicSize bytes.
func AppendHeader(dst []byte, magic string, version uint32) []byte {
	if len(magic) != MagicSize {
		panic("frame: magic of " + fmt.Sprint(len(magic)) + " bytes")
	}
	return binary.LittleEndian.AppendUint32(append(dst, magic...), version)
}

// Seal appends the checksum of b to b: b is a frame from its header to the end of its
// body, or any field that carries its own checksum.
func Seal(b []byte) []byte { return binary.LittleEndian.AppendUint32(b, Checksum(b)) }

// Sealed reports whether b ends in the checksum of the bytes before it, as Seal wrote.
func Sealed(b []byte) bool {
	return len(b) >= 4 && Checksum(b[:len(b)-4]) == binary.LittleEndian.Uint32(b[len(b)-4:])
}

// Error is a frame that fails a check. Offset is the byte at fault, from the frame's
// start.
type Error struct {
	Offset int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Reason) }

// Open checks f's length, magic and checksum, in that order, and returns its version
// and its body (a view of f). The version is the caller's to check: a format that
// reads older versions reads them through the same frame.
func Open(f []byte, magic string) (version uint32, body []byte, err error) {
	switch {
	case len(f) < Overhead:
		unit := "bytes"
		if len(f) == 1 {
			unit = "byte"
		}
		return 0, nil, &Error{0, fmt.Sprintf("%d %s, shorter than a frame's %d", len(f), unit, Overhead)}
	case string(f[:MagicSize]) != magic:
		return 0, nil, &Error{0, fmt.Sprintf("bad magic %q", f[:MagicSize])}
	case !Sealed(f):
		end := len(f) - 4
		return 0, nil, &Error{end, fmt.Sprintf("checksum %08x, want %08x", Checksum(f[:end]), binary.LittleEndian.Uint32(f[end:]))}
	}
	return binary.LittleEndian.Uint32(f[MagicSize:]), f[HeaderSize : len(f)-4], nil
}

// Writer streams a frame to an io.Writer, summing the checksum as it goes, for a
// frame too large to build in memory first.
type Writer struct {
	w   io.Writer
	crc uint32
	n   int64
	err error
}

// NewWriter returns a Writer to w, the frame's header written.
func NewWriter(w io.Writer, magic string, version uint32) *Writer {
	fw := &Writer{w: w}
	fw.Write(AppendHeader(make([]byte, 0, HeaderSize), magic, version))
	return fw
}

// Write writes p to the frame's body. After an error it writes nothing and returns the
// error again.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	w.crc = Update(w.crc, p[:n])
	w.n += int64(n)
	w.err = err
	return n, err
}

// Offset returns the bytes written so far, header included: the offset of the next
// byte from the frame's start.
func (w *Writer) Offset() int64 { return w.n }

// Close writes the checksum, ending the frame, and returns the first error of any
// write. It does not close the underlying writer.
func (w *Writer) Close() error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w.crc)
	w.Write(b[:])
	return w.err
}
