package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"pgregory.net/rapid"
)

const testMagic = "TESTMAGC"

// reference builds a frame from the format's definition, with the standard library's
// CRC32C, independently of AppendHeader and Seal.
func reference(version uint32, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(testMagic)
	binary.Write(&b, binary.LittleEndian, version)
	b.Write(body)
	sum := crc32.Checksum(b.Bytes(), crc32.MakeTable(crc32.Castagnoli))
	binary.Write(&b, binary.LittleEndian, sum)
	return b.Bytes()
}

// TestFrameRoundTrip: AppendHeader, Seal and the streaming Writer build the frame the
// definition gives, Open returns its version and body, and any one flipped bit or any
// truncation fails with an *Error.
func TestFrameRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		version := rapid.Uint32().Draw(t, "version")
		body := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "body")
		want := reference(version, body)
		if got := Seal(append(AppendHeader(nil, testMagic, version), body...)); !bytes.Equal(got, want) {
			t.Fatalf("AppendHeader+Seal = %x, want %x", got, want)
		}
		var streamed bytes.Buffer
		w := NewWriter(&streamed, testMagic, version)
		for rest := body; len(rest) > 0; {
			k := rapid.IntRange(1, len(rest)).Draw(t, "chunk")
			w.Write(rest[:k])
			rest = rest[k:]
		}
		if err := w.Close(); err != nil || !bytes.Equal(streamed.Bytes(), want) || w.Offset() != int64(len(want)) {
			t.Fatalf("Writer = %x (offset %d, %v), want %x", streamed.Bytes(), w.Offset(), err, want)
		}
		v, got, err := Open(want, testMagic)
		if err != nil || v != version || !bytes.Equal(got, body) {
			t.Fatalf("Open = %d, %x, %v", v, got, err)
		}
		bit := rapid.IntRange(0, 8*len(want)-1).Draw(t, "bit")
		bad := bytes.Clone(want)
		bad[bit/8] ^= 1 << (bit % 8)
		var fe *Error
		if _, _, err := Open(bad, testMagic); !errors.As(err, &fe) {
			t.Fatalf("bit %d flipped: err = %v", bit, err)
		}
		cut := rapid.IntRange(0, len(want)-1).Draw(t, "cut")
		if _, _, err := Open(want[:cut], testMagic); !errors.As(err, &fe) {
			t.Fatalf("cut to %d bytes: err = %v", cut, err)
		}
	})
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriterKeepsFirstError(t *testing.T) {
	w := NewWriter(&failWriter{after: HeaderSize + 2}, testMagic, 1)
	w.Write([]byte("ab"))
	if _, err := w.Write([]byte("c")); err == nil {
		t.Fatal("write past the failure succeeded")
	}
	if err := w.Close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Close = %v, want the first error", err)
	}
}

func TestOpenReportsOffsets(t *testing.T) {
	good := Seal(append(AppendHeader(nil, testMagic, 3), "body"...))
	for _, c := range []struct {
		name string
		data []byte
		off  int
	}{
		{"short", good[:Overhead-1], 0},
		{"magic", append([]byte("OTHERMAG"), good[MagicSize:]...), 0},
		{"checksum", append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1), len(good) - 4},
	} {
		var fe *Error
		if _, _, err := Open(c.data, testMagic); !errors.As(err, &fe) || fe.Offset != c.off {
			t.Errorf("%s: err = %v, want an *Error at offset %d", c.name, err, c.off)
		}
	}
}

// TestOpenShortSaysByte: the message for a one-byte input agrees in number.
func TestOpenShortSaysByte(t *testing.T) {
	for n, want := range map[int]string{1: "at offset 0: 1 byte, shorter than a frame's 16", 2: "at offset 0: 2 bytes, shorter than a frame's 16"} {
		if _, _, err := Open(make([]byte, n), testMagic); err == nil || err.Error() != want {
			t.Errorf("Open of a %d-byte input: %v, want %q", n, err, want)
		}
	}
}

// FuzzOpen: whatever the bytes, Open returns a body within them or an *Error, and a
// frame it accepts is sealed again to the same bytes.
func FuzzOpen(f *testing.F) {
	f.Add(Seal(append(AppendHeader(nil, testMagic, 1), "body"...)))
	f.Add([]byte(testMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, body, err := Open(data, testMagic)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > len(data) {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if again := Seal(append(AppendHeader(nil, testMagic, v), body...)); !bytes.Equal(again, data) {
			t.Fatalf("resealed %x, read %x", again, data)
		}
	})
}

func ExampleOpen() {
	f := Seal(append(AppendHeader(nil, "EXAMPLE1", 2), "hello"...))
	v, body, err := Open(f, "EXAMPLE1")
	fmt.Println(len(f), v, string(body), err)
	f[13] ^= 1 // damage the body
	_, _, err = Open(f, "EXAMPLE1")
	fmt.Println(err)
	// Output:
	// 21 2 hello <nil>
	// at offset 17: checksum b44057b8, want 6905fd00
}
