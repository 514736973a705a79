package bom

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// An export of 50,000 rows with a quoted field each, and the same without quotes: what
// Rows costs over Skip, its baseline, which looks at the first bytes alone.
func rowsBenchData(quoted bool) []byte {
	var buf bytes.Buffer
	buf.WriteString("customer,date,amount,note\n")
	for i := range 50_000 {
		note := fmt.Sprintf("note %d", i)
		if quoted {
			note = fmt.Sprintf("\"note, %d\"", i)
		}
		fmt.Fprintf(&buf, "c%d@example.com,2025-%02d-%02d,%d.%02d,%s\n", i%3000, 1+i%12, 1+i%28, i%500, i%100, note)
	}
	return buf.Bytes()
}

func benchReader(b *testing.B, data []byte, wrap func(io.Reader) io.Reader) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, wrap(bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRowsQuoted(b *testing.B) {
	benchReader(b, rowsBenchData(true), func(r io.Reader) io.Reader { return Rows(r, ',', 0) })
}

func BenchmarkRowsQuotedSkip(b *testing.B) {
	benchReader(b, rowsBenchData(true), Skip)
}

func BenchmarkRowsPlain(b *testing.B) {
	benchReader(b, rowsBenchData(false), func(r io.Reader) io.Reader { return Rows(r, ',', 0) })
}

func BenchmarkRowsPlainSkip(b *testing.B) {
	benchReader(b, rowsBenchData(false), Skip)
}
