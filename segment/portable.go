package segment

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/internal/english"
)

// The roaring portable format (RoaringFormatSpec, github.com/RoaringBitmap/RoaringFormatSpec),
// shared by CRoaring, Java roaring, Go roaring and the SQL engines built on them:
//
//	cookie  uint32: 12346, then the container count as a uint32; or
//	        12347 | (count−1)<<16, then a bitset of which containers are run containers
//	header  per container: key uint16, cardinality−1 uint16
//	offsets per container: uint32 byte offset of its data (absent with cookie 12347
//	        when there are fewer than 4 containers)
//	data    run container: run count uint16, then (start, length−1) uint16 pairs;
//	        array (cardinality ≤ 4096): sorted uint16 values;
//	        bitmap (cardinality > 4096): 1024 uint64 words.
//
// All integers are little-endian.
const (
	cookieNoRuns   = 12346
	cookieRuns     = 12347
	noOffsetBelow  = 4
	arrayMaxCard   = 4096
	bitmapDataSize = 8192
)

// checkPortable validates the portable serialization at the start of b, strictly: it
// accepts exactly what a correct writer produces (keys increasing, offsets matching the
// data, arrays sorted, bitmap cardinalities matching their population count, runs
// sorted, disjoint, non-adjacent and inside their container, unused bits zero, the
// run cookie only with a run container). It
// returns the serialization's length, so that b[:n] re-serializes to itself. base is
// b's offset in the enclosing input, for error messages. It never allocates in
// proportion to its input and runs in linear time.
func checkPortable(b []byte, base int64) (int, error) {
	fail := func(off int, format string, args ...any) (int, error) {
		return 0, fmt.Errorf("bitmap at offset %d: offset %d: %s: %w", base, base+int64(off), fmt.Sprintf(format, args...), ErrCorrupt)
	}
	if len(b) < 4 {
		return fail(0, "%s, too short for a cookie", english.Count(len(b), "byte"))
	}
	cookie := binary.LittleEndian.Uint32(b)
	var size, pos int
	var runFlags []byte
	switch {
	case cookie == cookieNoRuns:
		if len(b) < 8 {
			return fail(4, "truncated container count")
		}
		n := binary.LittleEndian.Uint32(b[4:])
		if n > 1<<16 {
			return fail(4, "%d containers, more than 65536", n)
		}
		size, pos = int(n), 8
	case cookie&0xffff == cookieRuns:
		size, pos = int(cookie>>16)+1, 4
		nf := (size + 7) / 8
		if len(b) < pos+nf {
			return fail(pos, "truncated run-container bitset")
		}
		runFlags = b[pos : pos+nf]
		if extra := size % 8; extra != 0 && runFlags[nf-1]>>extra != 0 {
			return fail(pos+nf-1, "bits set past the last container in the run-container bitset")
		}
		if !slices.ContainsFunc(runFlags, func(f byte) bool { return f != 0 }) {
			return fail(pos, "run-container cookie, but no run container (writers use cookie %d then)", cookieNoRuns)
		}
		pos += nf
	default:
		return fail(0, "unknown cookie 0x%08x", cookie)
	}
	headerAt := pos
	if len(b)-pos < 4*size {
		return fail(pos, "truncated header of %s", english.Count(size, "container"))
	}
	pos += 4 * size
	offsetsAt := -1
	if runFlags == nil || size >= noOffsetBelow {
		offsetsAt = pos
		if len(b)-pos < 4*size {
			return fail(pos, "truncated offset table of %s", english.Count(size, "container"))
		}
		pos += 4 * size
	}
	for i := range size {
		h := b[headerAt+4*i:]
		key := binary.LittleEndian.Uint16(h)
		card := int(binary.LittleEndian.Uint16(h[2:])) + 1
		if i > 0 && key <= binary.LittleEndian.Uint16(b[headerAt+4*(i-1):]) {
			return fail(headerAt+4*i, "container %d: key %d not above the previous key", i, key)
		}
		if offsetsAt >= 0 {
			if off := binary.LittleEndian.Uint32(b[offsetsAt+4*i:]); int64(off) != int64(pos) {
				return fail(offsetsAt+4*i, "container %d: offset %d, but its data is at %d", i, off, pos)
			}
		}
		var err error
		switch {
		case runFlags != nil && runFlags[i/8]>>(i%8)&1 == 1:
			pos, err = checkRuns(b, pos, card)
		case card <= arrayMaxCard:
			pos, err = checkArray(b, pos, card)
		default:
			pos, err = checkBitmap(b, pos, card)
		}
		if err != nil {
			return fail(pos, "container %d (key %d): %v", i, key, err)
		}
	}
	return pos, nil
}

func checkArray(b []byte, pos, card int) (int, error) {
	if len(b)-pos < 2*card {
		return pos, fmt.Errorf("truncated array of %s", english.Count(card, "value"))
	}
	prev := -1
	for j := range card {
		v := int(binary.LittleEndian.Uint16(b[pos+2*j:]))
		if v <= prev {
			return pos + 2*j, fmt.Errorf("array value %d not above %d", v, prev)
		}
		prev = v
	}
	return pos + 2*card, nil
}

func checkBitmap(b []byte, pos, card int) (int, error) {
	if len(b)-pos < bitmapDataSize {
		return pos, fmt.Errorf("truncated bitmap container")
	}
	ones := 0
	w := b[pos : pos+bitmapDataSize]
	for j := 0; j < bitmapDataSize; j += 32 { // four words a step: independent popcounts
		ones += bits.OnesCount64(binary.LittleEndian.Uint64(w[j:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(w[j+8:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(w[j+16:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(w[j+24:]))
	}
	if ones != card {
		return pos, fmt.Errorf("bitmap container holds %s, header says %d", english.Count(ones, "value"), card)
	}
	return pos + bitmapDataSize, nil
}

func checkRuns(b []byte, pos, card int) (int, error) {
	if len(b)-pos < 2 {
		return pos, fmt.Errorf("truncated run count")
	}
	n := int(binary.LittleEndian.Uint16(b[pos:]))
	pos += 2
	if n == 0 {
		return pos, fmt.Errorf("run container without runs")
	}
	if len(b)-pos < 4*n {
		return pos, fmt.Errorf("truncated run container of %s", english.Count(n, "run"))
	}
	total, end := 0, -2
	for j := range n {
		start := int(binary.LittleEndian.Uint16(b[pos+4*j:]))
		length := int(binary.LittleEndian.Uint16(b[pos+4*j+2:])) + 1
		if start <= end+1 {
			return pos + 4*j, fmt.Errorf("run at %d overlaps or touches the run ending at %d", start, end)
		}
		end = start + length - 1
		if end > 0xffff {
			return pos + 4*j, fmt.Errorf("run from %d of length %d passes the container's end", start, length)
		}
		total += length
	}
	if total != card {
		return pos, fmt.Errorf("runs hold %s, header says %d", english.Count(total, "value"), card)
	}
	return pos + 4*n, nil
}

// DecodeBitmap reads one bitmap in the portable roaring format, as CRoaring, Java roaring
// or a SQL engine's bitmap functions write it, after validating it strictly (see the
// package documentation on persistence). data must hold exactly one bitmap. The bitmap
// does not share memory with data.
func DecodeBitmap(data []byte) (*roaring.Bitmap, error) {
	n, err := checkPortable(data, 0)
	if err != nil {
		return nil, errorf("decode: %w", err)
	}
	if n != len(data) {
		return nil, fmt.Errorf("%w: decode: %s after the bitmap's %d", ErrCorrupt, english.Count(len(data)-n, "byte"), n)
	}
	b := roaring.New()
	if _, err := b.FromBuffer(data); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrCorrupt, err)
	}
	return b.Clone(), nil
}

// viewBitmap returns the bitmap serialized in b[:n], validated, sharing b's memory
// (roaring's copy-on-write buffer view: the index copies a container before changing it).
func viewBitmap(b []byte, base int64) (*roaring.Bitmap, error) {
	n, err := checkPortable(b, base)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, fmt.Errorf("bitmap at offset %d: %s long, but its entry says %d: %w", base, english.Count(n, "byte"), len(b), ErrCorrupt)
	}
	bm := roaring.New()
	if _, err := bm.FromBuffer(b); err != nil {
		return nil, fmt.Errorf("bitmap at offset %d: %v: %w", base, err, ErrCorrupt)
	}
	return bm, nil
}
