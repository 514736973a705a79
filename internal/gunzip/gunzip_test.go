package gunzip

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func zip(t *testing.T, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts {
		w := gzip.NewWriter(&b)
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestReader(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"plain", []byte("customer,date,amount\n"), "customer,date,amount\n"},
		{"one byte", []byte{0x1f}, "\x1f"},
		{"gzip", zip(t, "c1,2025-01-01,10\n"), "c1,2025-01-01,10\n"},
		{"members", zip(t, "a\n", "b\n"), "a\nb\n"},
		{"a BOM first", []byte("\ufeffx"), "\ufeffx"},
	} {
		got, err := io.ReadAll(Reader(bytes.NewReader(c.in)))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
		got, err = io.ReadAll(Reader(iotest.OneByteReader(bytes.NewReader(c.in))))
		if err != nil || string(got) != c.want {
			t.Errorf("%s, a byte a read: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestReaderDamaged: a cut or damaged compressed file is an error naming gzip, not text
// read on as if it were the file's.
func TestReaderDamaged(t *testing.T) {
	whole := zip(t, strings.Repeat("c1,2025-01-01,10\n", 100))
	for name, in := range map[string][]byte{
		"cut":    whole[:len(whole)/2],
		"header": {0x1f, 0x8b, 0x00},
	} {
		_, err := io.ReadAll(Reader(bytes.NewReader(in)))
		if err == nil || !strings.Contains(err.Error(), "gzip-compressed input") {
			t.Errorf("%s: %v, want an error naming gzip", name, err)
		}
		// "unexpected EOF" alone did not say the file was incomplete.
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "the file is cut short") {
			t.Errorf("%s: %v, want it to say the file is cut short", name, err)
		}
	}
	flipped := bytes.Clone(whole)
	flipped[len(flipped)-6] ^= 0xff // the CRC32 of the trailer
	if _, err := io.ReadAll(Reader(bytes.NewReader(flipped))); !errors.Is(err, gzip.ErrChecksum) {
		t.Errorf("a flipped checksum: %v, want gzip.ErrChecksum", err)
	}
}

// TestReaderLazy: nothing is read before the first Read.
func TestReaderLazy(t *testing.T) {
	r := Reader(readFunc(func([]byte) (int, error) {
		t.Fatal("read before the first Read")
		return 0, nil
	}))
	_ = r
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
