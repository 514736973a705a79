package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// field is one value of a random encoding: the reference model is the list of fields.
type field struct {
	kind int // 0 uvarint, 1 varint, 2 prefixed bytes, 3 byte
	u    uint64
	i    int64
	b    []byte
}

func encode(fs []field) []byte {
	var out []byte
	for _, f := range fs {
		switch f.kind {
		case 0:
			out = binary.AppendUvarint(out, f.u)
		case 1:
			out = binary.AppendVarint(out, f.i)
		case 2:
			out = binary.AppendUvarint(out, uint64(len(f.b)))
			out = append(out, f.b...)
		case 3:
			out = append(out, byte(f.u))
		}
	}
	return out
}

func read(r *Reader, fs []field) []field {
	got := make([]field, len(fs))
	for i, f := range fs {
		got[i].kind = f.kind
		switch f.kind {
		case 0:
			got[i].u = r.Uvarint(^uint64(0), "u")
		case 1:
			got[i].i = r.Varint("i")
		case 2:
			got[i].b = bytes.Clone(r.Prefixed(1<<20, "b"))
		case 3:
			got[i].u = uint64(r.Byte("c"))
		}
	}
	return got
}

func drawFields(t *rapid.T) []field {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) field {
		f := field{kind: rapid.IntRange(0, 3).Draw(t, "kind")}
		switch f.kind {
		case 0:
			f.u = rapid.Uint64().Draw(t, "u")
		case 1:
			f.i = rapid.Int64().Draw(t, "i")
		case 2:
			f.b = rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "b")
		case 3:
			f.u = uint64(rapid.Byte().Draw(t, "c"))
		}
		return f
	}), 0, 12).Draw(t, "fields")
}

// Whatever binary.Append* wrote reads back exactly, and the reader ends at the end.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fs := drawFields(t)
		b := encode(fs)
		r := NewReader(b)
		got := read(r, fs)
		if err := r.End(); err != nil {
			t.Fatalf("End = %v", err)
		}
		for i := range fs {
			if fs[i].u != got[i].u || fs[i].i != got[i].i || !bytes.Equal(fs[i].b, got[i].b) {
				t.Fatalf("field %d: got %+v, want %+v", i, got[i], fs[i])
			}
		}
	})
}

// Any proper prefix of a non-empty encoding fails, at an offset inside the prefix, and
// any extra byte is reported by End.
func TestTruncatedAndTrailing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fs := drawFields(t)
		b := encode(fs)
		cut := rapid.IntRange(0, len(b)).Draw(t, "cut")
		r := NewReader(b[:cut])
		read(r, fs)
		err := r.End()
		if cut < len(b) && err == nil {
			t.Fatalf("prefix of %d of %d bytes accepted", cut, len(b))
		}
		if cut == len(b) && err != nil {
			t.Fatalf("whole input refused: %v", err)
		}
		if r.Offset() > cut {
			t.Fatalf("offset %d beyond the %d bytes", r.Offset(), cut)
		}
		r = NewReader(append(bytes.Clone(b), 0))
		read(r, fs)
		if err := r.End(); err == nil || !strings.Contains(err.Error(), "1 byte after the end") {
			t.Fatalf("trailing byte: %v", err)
		}
	})
}

func TestErrorsNameTheOffsetAndStick(t *testing.T) {
	r := NewReader([]byte{0x05, 0xff})
	if n := r.Count(2, "item count"); n != 0 {
		t.Errorf("Count = %d, want 0 (5 items of 2 bytes cannot fit in 1 byte)", n)
	}
	want := "at byte 0: item count 5 too large for the 1 byte left"
	if err := r.Err(); err == nil || err.Error() != want {
		t.Fatalf("Err = %v, want %q", err, want)
	}
	// Later reads return zero values and keep the first error.
	if v := r.Uvarint(10, "x"); v != 0 || r.Err().Error() != want {
		t.Errorf("after an error: %d, %v", v, r.Err())
	}
	r.Reset([]byte{0x0b})
	if v := r.Uvarint(10, "kind"); v != 0 || r.Err() == nil || r.Err().Error() != "at byte 0: kind 11 exceeds 10" {
		t.Errorf("limit: %d, %v", v, r.Err())
	}
	r.Reset([]byte{0x03, 'a'})
	if b := r.Prefixed(10, "name"); b != nil || r.Err() == nil || r.Err().Error() != "at byte 0: name of 3 bytes runs past the end (1 left)" {
		t.Errorf("Prefixed: %q, %v", b, r.Err())
	}
	r.Reset([]byte{0x80})
	if r.Varint("time"); r.Err() == nil || r.Err().Error() != "at byte 0: bad varint for the time" {
		t.Errorf("Varint: %v", r.Err())
	}
	r.Reset([]byte{0x80, 0x00})
	if r.Uvarint(10, "count"); r.Err() == nil || r.Err().Error() != "at byte 0: padded varint for the count" {
		t.Errorf("padded Uvarint: %v", r.Err())
	}
	r.Reset([]byte{0x81, 0x80, 0x00})
	if r.Varint("time"); r.Err() == nil {
		t.Error("padded Varint accepted")
	}
	r.Reset(nil)
	if r.Bytes(-1, "x"); r.Err() == nil {
		t.Error("Bytes(-1) accepted")
	}
}

// FuzzReader: reading any bytes by any script of calls never panics, never reads past
// the input and never reports a count the input cannot hold.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0x02, 'h', 'i', 0x7f, 0x01}, []byte{2, 0, 1, 4})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, []byte{0, 1})
	f.Fuzz(func(t *testing.T, data, script []byte) {
		r := NewReader(data)
		for _, op := range script {
			switch op % 6 {
			case 0:
				r.Uvarint(uint64(op)*1000, "u")
			case 1:
				r.Varint("i")
			case 2:
				r.Prefixed(uint64(op), "p")
			case 3:
				r.Byte("c")
			case 4:
				if n := r.Count(int(op%4)+1, "n"); n*(int(op%4)+1) > len(data) {
					t.Fatalf("count %d for %d bytes", n, len(data))
				}
			case 5:
				r.Bytes(int(op)-128, "b")
			}
			if r.Offset() > len(data) || r.Remaining() < 0 {
				t.Fatalf("offset %d beyond %d bytes", r.Offset(), len(data))
			}
		}
		_ = r.End()
	})
}

// FuzzCanonical: whatever varint the reader accepts, encoding/binary writes back as the
// same bytes.
func FuzzCanonical(f *testing.F) {
	f.Add([]byte{0x80, 0x00})
	f.Add([]byte{0xac, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(data)
		start := r.Offset()
		if v := r.Uvarint(^uint64(0), "u"); r.Err() == nil {
			if got := binary.AppendUvarint(nil, v); !bytes.Equal(got, data[start:r.Offset()]) {
				t.Fatalf("accepted % x as %d, which encodes as % x", data[start:r.Offset()], v, got)
			}
		}
		r.Reset(data)
		if v := r.Varint("i"); r.Err() == nil {
			if got := binary.AppendVarint(nil, v); !bytes.Equal(got, data[:r.Offset()]) {
				t.Fatalf("accepted % x as %d, which encodes as % x", data[:r.Offset()], v, got)
			}
		}
	})
}

// BenchmarkPrefixed reads length-prefixed names as a record decoder does; the naive
// baseline names the length by concatenation on every call, as Prefixed once did.
func BenchmarkPrefixed(b *testing.B) {
	var buf []byte
	for i := range 64 {
		name := fmt.Sprintf("source-%d", i%8)
		buf = binary.AppendUvarint(buf, uint64(len(name)))
		buf = append(buf, name...)
	}
	b.Run("Prefixed", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			r := NewReader(buf)
			for r.Remaining() > 0 {
				r.Prefixed(64, "source")
			}
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		what := "source"
		for range b.N {
			r := NewReader(buf)
			for r.Remaining() > 0 {
				n := r.Uvarint(64, what+" length")
				r.Bytes(int(n), what)
			}
		}
	})
}
