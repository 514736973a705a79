package scoring

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestReadAllocatesNoMoreThanNaive holds the reader to its baseline's allocations on
// the benchmarks' inputs: no more a row than naiveRead's. Allocations are counted, not
// timed, so the test is exact on a shared machine. The reader made 13 a row of the
// CDNOW sample (three slices grown anew for every row) and 5 a row of the CSV export
// (two position slices, a fresh fields slice, an escaping errors.As target), against
// the baseline's 2.
func TestReadAllocatesNoMoreThanNaive(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 57,000 rows a few times")
	}
	for _, c := range []struct {
		name string
		data []byte
		opt  func() ReadOptions
	}{
		{"CDNOW", cdnowBytes(t), func() ReadOptions { return cdnowReadOptions }},
		{"CSV50k", csv50k(), func() ReadOptions { return ReadOptions{Header: true, Keys: &Keys{}} }},
	} {
		rows := 0
		got := testing.AllocsPerRun(2, func() {
			opt := c.opt()
			rows = 0
			for _, err := range ReadTransactions(bytes.NewReader(c.data), &opt) {
				if err != nil {
					t.Fatal(err)
				}
				rows++
			}
		})
		want := testing.AllocsPerRun(2, func() {
			if err := naiveRead(c.data, c.opt(), func(Transaction) {}); err != nil {
				t.Fatal(err)
			}
		})
		if got > want {
			t.Errorf("%s: the reader allocates %.2f times a row, the naive baseline %.2f", c.name, got/float64(rows), want/float64(rows))
		}
	}
}

// TestReadRowsFieldStringsKept: the fields slice of a row is reused for the next, as
// Row.Fields allows, but its strings are kept unchanged by a caller that keeps them
// (not the slice) until the read ends, on both readers, over more rows than their
// buffers hold (a string of a reused buffer would change under the caller).
func TestReadRowsFieldStringsKept(t *testing.T) {
	for _, opt := range []ReadOptions{{}, {Comma: ' ', TimeLayout: "20060102"}} {
		var b strings.Builder
		var want [][]string
		for i := range 5000 {
			row := []string{fmt.Sprint(i + 1), fmt.Sprintf("2025%02d%02d", 1+i%12, 1+i%28), fmt.Sprintf("%d.%02d", i, i%100), fmt.Sprintf("note-%d", i)}
			if opt.Comma == ' ' {
				b.WriteString(strings.Join(row, " 	") + "\r\n")
			} else {
				row[1] = row[1][:4] + "-" + row[1][4:6] + "-" + row[1][6:]
				row[3] = "n," + row[3]
				b.WriteString(row[0] + "," + row[1] + "," + row[2] + ",\"" + row[3] + "\"\n")
			}
			want = append(want, row)
		}
		var kept [][]string
		for row, err := range ReadRows(strings.NewReader(b.String()), &opt) {
			if err != nil {
				t.Fatal(err)
			}
			kept = append(kept, []string{row.Fields[0], row.Fields[1], row.Fields[2], row.Fields[3]})
		}
		if fmt.Sprint(kept) != fmt.Sprint(want) {
			t.Errorf("separator %q: the fields kept changed", opt.Comma)
		}
	}
}
