package scoring

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// byteLoopLimit is limitedLines.Read as it was, a loop over every byte: the reference
// the IndexByte version must agree with.
func byteLoopLimit(l *limitedLines, p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			l.lines++
		} else if l.run++; l.run > l.max {
			return 0, fmt.Errorf("%w: line %d: line longer than %d bytes", ErrSyntax, l.lines+1, l.max)
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

// TestLimitedLinesAsByteLoop: limitedLines passes the same bytes and fails at the same
// read with the same line as the byte loop it replaced, whatever the lines' lengths
// around the limit and however the stream is cut into reads. Its count of the line is
// compared only until an error, which ends the read.
func TestLimitedLinesAsByteLoop(t *testing.T) {
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
		got := &limitedLines{r: &chunks{b.String(), sizes}, max: limit}
		want := &limitedLines{r: &chunks{b.String(), sizes}, max: limit}
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
