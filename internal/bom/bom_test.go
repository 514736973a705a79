package bom

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSkip(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"\ufeff", ""},
		{"\ufeffpath,conversions\n", "path,conversions\n"},
		{"path,conversions\n", "path,conversions\n"},
		{"\xef\xbb", "\xef\xbb"},             // a cut mark is data, left to the parser
		{"a\ufeffb", "a\ufeffb"},             // only at the start
		{"\ufeff\ufeffx", "\ufeffx"},         // one mark, not every one
		{"\xef\xbb\xbe,1", "\xef\xbb\xbe,1"}, // not the mark
	} {
		got, err := io.ReadAll(Skip(strings.NewReader(c.in)))
		if err != nil || string(got) != c.want {
			t.Errorf("Skip(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		// A reader that returns one byte at a time still has the mark skipped.
		got, err = io.ReadAll(Skip(iotest.OneByteReader(strings.NewReader(c.in))))
		if err != nil || string(got) != c.want {
			t.Errorf("Skip(OneByteReader(%q)) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestSkipLazy checks that Skip reads nothing before the first Read.
func TestSkipLazy(t *testing.T) {
	r := &countingReader{r: strings.NewReader("\ufeffx")}
	s := Skip(r)
	if r.n != 0 {
		t.Fatalf("Skip read %d bytes before the first Read", r.n)
	}
	if got, _ := io.ReadAll(s); string(got) != "x" {
		t.Fatalf("got %q, want %q", got, "x")
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestField(t *testing.T) {
	for _, c := range []struct {
		in, want string
		n        int
	}{
		{"", "", 0},
		{"\ufeff", "", 3},
		{"\ufeffc1", "c1", 3},
		{"\ufeff\ufeffc1", "\ufeffc1", 3},
		{"c1\ufeff", "c1\ufeff", 0},
		{"\xef\xbb", "\xef\xbb", 0},
	} {
		if got, n := Field(c.in); got != c.want || n != c.n {
			t.Errorf("Field(%q) = %q, %d; want %q, %d", c.in, got, n, c.want, c.n)
		}
	}
}
