package scoring

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readAll(input string, opt ReadOptions) ([]Transaction, error) {
	var out []Transaction
	for tx, err := range ReadTransactions(strings.NewReader(input), opt) {
		if err != nil {
			return out, err
		}
		out = append(out, tx)
	}
	return out, nil
}

func TestReadTransactionsCSV(t *testing.T) {
	input := "customer,date,amount\r\n" +
		"0042,2025-01-03,19.99\r\n" +
		"\r\n" +
		"7,\"2025-01-04\",5\n" +
		"7, 2025-02-01 ,0.5\n"
	got, err := readAll(input, ReadOptions{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	want := []Transaction{{42, day("2025-01-03"), 19.99}, {7, day("2025-01-04"), 5}, {7, day("2025-02-01"), 0.5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadTransactionsColumnsAndLayout(t *testing.T) {
	input := "x;2025-01-03T10:00:00Z;12.5;77\n"
	got, err := readAll(input, ReadOptions{Comma: ';', ProfileColumn: 3, TimeColumn: 1, AmountColumn: 2, TimeLayout: time.RFC3339})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Profile != 77 || got[0].Amount != 12.5 || got[0].Time.Hour() != 10 {
		t.Errorf("got %+v", got)
	}
}

func TestReadTransactionsErrorsNameLineAndColumn(t *testing.T) {
	for _, c := range []struct {
		name, input, where string
		opt                ReadOptions
	}{
		{"bad profile", "1,2025-01-01,3\nabc,2025-01-01,3\n", "line 2, column 1", ReadOptions{}},
		{"profile 0", "0,2025-01-01,3\n", "line 1, column 1", ReadOptions{}},
		{"profile too big", "4294967296,2025-01-01,3\n", "line 1, column 1", ReadOptions{}},
		{"bad date", "1,2025-13-01,3\n", "line 1, column 3", ReadOptions{}},
		{"bad amount", "1,2025-01-01,x\n", "line 1, column 14", ReadOptions{}},
		{"negative amount", "1,2025-01-01,-3\n", "line 1, column 14", ReadOptions{}},
		{"NaN amount", "1,2025-01-01,NaN\n", "line 1, column 14", ReadOptions{}},
		{"Inf amount", "1,2025-01-01,+Inf\n", "line 1, column 14", ReadOptions{}},
		{"missing amount", "1,2025-01-01\n", "line 1", ReadOptions{}},
		{"bare quote", "1,20\"25-01-01,3\n", "line 1, column", ReadOptions{}},
		{"space separated", " 00004 0001 19970101  2   29.33\n 00004 0001 199701xx  2   29.73\n", "line 2, column 13", cdnowReadOptions},
	} {
		got, err := readAll(c.input, c.opt)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.where) {
			t.Errorf("%s: err = %v, want ErrSyntax at %q", c.name, err, c.where)
		}
		for _, tx := range got {
			if tx.Profile == 0 {
				t.Errorf("%s: yielded %+v before the error", c.name, tx)
			}
		}
	}
	if _, err := readAll("1,2025-01-01,3\n", ReadOptions{ProfileColumn: 1, TimeColumn: 1, AmountColumn: 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("clashing columns: %v", err)
	}
	long := strings.Repeat("1", maxLine+10)
	if _, err := readAll(long, ReadOptions{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("over-long CSV line: %v", err)
	}
	if _, err := readAll(long, ReadOptions{Comma: ' '}); !errors.Is(err, ErrSyntax) {
		t.Errorf("over-long line: %v", err)
	}
}

func TestReadTransactionsStopsEarly(t *testing.T) {
	n := 0
	for range ReadTransactions(strings.NewReader("1,2025-01-01,1\n2,2025-01-01,1\n3,2025-01-01,1\n"), ReadOptions{}) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("read %d", n)
	}
}

// FuzzReadTransactions: no input makes the parser panic; every transaction it yields
// is valid; errors are ErrSyntax and end the stream; and what it yields summarises to
// valid customers.
func FuzzReadTransactions(f *testing.F) {
	f.Add([]byte("customer,date,amount\n1,2025-01-01,10\n1,2025-01-05,3.5\n2,2025-02-01,0\n"), false, true)
	f.Add([]byte(" 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00021 0002 19970101  3   63.34\n"), true, false)
	f.Add([]byte("1,\"2025-01-01\",\"1e3\"\r\n\r\n2,2025-01-01,1\n"), false, false)
	f.Add([]byte("1,2025-01-01,-1\n"), false, false)
	f.Add([]byte("\"unterminated\n"), false, false)
	f.Add([]byte("1\t0001\t19970101\t1\t1\n"), true, false)
	f.Fuzz(func(t *testing.T, data []byte, spaces, header bool) {
		opt := ReadOptions{Header: header}
		if spaces {
			opt = cdnowReadOptions
			opt.Header = header
		}
		var txs []Transaction
		failed := false
		for tx, err := range ReadTransactions(strings.NewReader(string(data)), opt) {
			if failed {
				t.Fatal("the stream went on after an error")
			}
			if err != nil {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("error %v is not ErrSyntax", err)
				}
				failed = true
				continue
			}
			if tx.Profile == 0 || math.IsNaN(tx.Amount) || math.IsInf(tx.Amount, 0) || tx.Amount < 0 {
				t.Fatalf("invalid transaction %+v", tx)
			}
			txs = append(txs, tx)
		}
		if len(txs) == 0 {
			return
		}
		end := txs[0].Time.AddDate(0, 0, 30)
		ss, err := Summarize(slices.Values(txs), SummaryOptions{End: end, Unit: 24 * time.Hour})
		if err != nil {
			t.Fatalf("summarise parsed transactions: %v", err)
		}
		for _, s := range ss {
			if err := s.Customer.Validate(); err != nil {
				t.Fatalf("summary %+v: %v", s, err)
			}
		}
	})
}
