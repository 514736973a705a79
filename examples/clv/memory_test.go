package main

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"
)

// generated is a file of n rows made as it is read, row i written by row (by
// default "customer,date,amount": 30 customers buying on 90 days, many times a day).
// At EOF it calls atEOF once, when every row has been read and the report not yet
// begun.
type generated struct {
	n, i  int
	buf   []byte
	row   func(b []byte, i int) []byte
	atEOF func()
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i == g.n {
			if g.atEOF != nil {
				g.atEOF()
				g.atEOF = nil
			}
			return 0, io.EOF
		}
		row := g.row
		if row == nil {
			row = dayRow
		}
		g.buf = row(nil, g.i)
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// dayRow is generated's default row i.
func dayRow(b []byte, i int) []byte {
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/30%90)
	return fmt.Appendf(b, "c%d,%s,%d.%02d\n", i%30, day.Format(time.DateOnly), 5+i%97, i%100)
}

// TestMemoryByCustomerDay: what the report holds once the file is read grows with the
// customers' purchase days, not with the rows. The example held every row (1.9 GB for
// a 200 MB file of 7 million): here 100,000 rows of 2,700 customer-days kept over 8 MB
// alive.
func TestMemoryByCustomerDay(t *testing.T) {
	var before, atEOF runtime.MemStats
	measured := false
	in := &generated{n: 100_000, atEOF: func() {
		runtime.GC()
		runtime.ReadMemStats(&atEOF)
		measured = true
	}}
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := run(io.Discard, in, config{format: "csv", unit: 7 * 24 * time.Hour, top: 1}); err != nil {
		t.Fatal(err)
	}
	if !measured {
		t.Fatal("the file was not read to its end")
	}
	grown := int64(atEOF.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%.2f MB held once the file was read", float64(grown)/(1<<20))
	if grown > 2<<20 {
		t.Errorf("%.1f MB held once 100,000 rows of 2,700 customer-days were read, want under 2 MB", float64(grown)/(1<<20))
	}
}
