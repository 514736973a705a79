package scoring

import (
	"bytes"
	"testing"
)

// TestReadAllocatesNoMoreThanNaive holds the reader to its baseline's allocations on
// the benchmarks' inputs: no more a row than naiveRead's. Allocations are counted, not
// timed, so the test is exact on a shared machine. The reader made 13 a row of the
// CDNOW sample (three slices grown anew for every row) and 5 a row of the CSV export
// (two position slices, a fresh fields slice, an escaping errors.As target), against
// the baseline's 2.
func TestReadAllocatesNoMoreThanNaive(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
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
