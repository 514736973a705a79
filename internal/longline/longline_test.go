package longline

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestLines: lines up to the bound are read as they are, in reads of any size; the
// first line past it fails the read, naming it.
func TestLines(t *testing.T) {
	in := "abc\n" + strings.Repeat("x", 10) + "\n\nde"
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		got, err := io.ReadAll(New(r, 10))
		if err != nil || string(got) != in {
			t.Errorf("read %q, %v; want %q", got, err, in)
		}
	}
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		_, err := io.ReadAll(New(r, 9))
		if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "line 2 is longer than 9 bytes") {
			t.Errorf("error %v, want line 2 too long", err)
		}
	}
}

// TestEndlessLine: a stream without a newline fails after the bound, not at its end.
func TestEndlessLine(t *testing.T) {
	endless := iotest.OneByteReader(bytes.NewReader(bytes.Repeat([]byte("a"), 1<<16)))
	r := New(endless, 100)
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, ErrTooLong) || n > 100 {
		t.Errorf("read %d bytes, %v; want at most 100 and ErrTooLong", n, err)
	}
}
