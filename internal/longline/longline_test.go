package longline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"pgregory.net/rapid"
)

// TestLines: lines up to the bound are read as they are, in reads of any size; the
// first line past it fails the read, naming it.
func TestLines(t *testing.T) {
	in := "abc\n" + strings.Repeat("x", 10) + "\n\nde"
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		got, err := io.ReadAll(New(r, 10, nil))
		if err != nil || string(got) != in {
			t.Errorf("read %q, %v; want %q", got, err, in)
		}
	}
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		_, err := io.ReadAll(New(r, 9, nil))
		if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "line 2: line longer than 9 bytes") {
			t.Errorf("error %v, want line 2 too long", err)
		}
	}
}

// TestEndlessLine: a stream without a newline fails after the bound, not at its end.
func TestEndlessLine(t *testing.T) {
	endless := iotest.OneByteReader(bytes.NewReader(bytes.Repeat([]byte("a"), 1<<16)))
	r := New(endless, 100, nil)
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, ErrTooLong) || n > 100 {
		t.Errorf("read %d bytes, %v; want at most 100 and ErrTooLong", n, err)
	}
}

// TestKind: the error of a line too long is the caller's sentinel too, whose message
// leads it.
func TestKind(t *testing.T) {
	kind := errors.New("pkg: syntax error")
	_, err := io.ReadAll(New(strings.NewReader("ab\nabcd\n"), 3, kind))
	if !errors.Is(err, ErrTooLong) || !errors.Is(err, kind) || err.Error() != "pkg: syntax error: line 2: line longer than 3 bytes" {
		t.Errorf("error %v; want ErrTooLong and kind, kind's message first", err)
	}
}

// byteLoopLimit is Reader.Read as it was in scoring (limitedLines), a loop over every byte: the reference
// the IndexByte version must agree with.
func byteLoopLimit(l *Reader, p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			l.lines++
		} else if l.run++; l.run > l.max {
			return 0, fmt.Errorf("%w: line %d: line longer than %d bytes", l.kind, l.lines+1, l.max)
		}
	}
	return n, err
}

// chunks reads its text in the sizes drawn, as a network stream would.
type chunks struct {
	text  string
	sizes []int
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.text == "" {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.sizes) > 0 {
		n, c.sizes = min(n, c.sizes[0]), c.sizes[1:]
	}
	n = copy(p, c.text[:min(n, len(c.text))])
	c.text = c.text[n:]
	return n, nil
}

// TestAsByteLoop: a Reader passes the same bytes and fails at the same
// read with the same line as the byte loop it replaced, whatever the lines' lengths
// around the limit and however the stream is cut into reads. Its count of the line is
// compared only until an error, which ends the read.
func TestAsByteLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(1, 8).Draw(t, "max")
		var b strings.Builder
		for _, n := range rapid.SliceOfN(rapid.IntRange(0, 10), 0, 6).Draw(t, "lines") {
			b.WriteString(strings.Repeat("x", n))
			if rapid.IntRange(0, 5).Draw(t, "newline") > 0 {
				b.WriteByte('\n')
			}
		}
		sizes := rapid.SliceOfN(rapid.IntRange(1, 12), 0, 20).Draw(t, "reads")
		kind := errors.New("syntax error")
		got := New(&chunks{b.String(), sizes}, limit, kind)
		want := New(&chunks{b.String(), sizes}, limit, kind)
		p, q := make([]byte, 12), make([]byte, 12)
		for {
			n, err := got.Read(p)
			m, werr := byteLoopLimit(want, q)
			if n != m || string(p[:n]) != string(q[:m]) || fmt.Sprint(err) != fmt.Sprint(werr) ||
				err == nil && (got.run != want.run || got.lines != want.lines) {
				t.Fatalf("%q: read %q, %v (run %d, lines %d); byte loop %q, %v (run %d, lines %d)",
					b.String(), p[:n], err, got.run, got.lines, q[:m], werr, want.run, want.lines)
			}
			if err != nil {
				return
			}
		}
	})
}
