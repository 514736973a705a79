package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clientele-go/clientele/referral/loyalty"
)

func ExampleOpenFileStore() {
	dir, err := os.MkdirTemp("", "loyalty")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "loyalty.wal")

	s, _ := loyalty.OpenFileStore(path, nil) // each event is durable (fsync) when it returns
	l, _ := loyalty.Open(s, loyalty.Rules{})
	l.Earn(context.Background(), day(1), "order-1", 7, "O-1", 4200)
	s.Close()

	s, _ = loyalty.OpenFileStore(path, nil)
	defer s.Close()
	l, _ = loyalty.Open(s, loyalty.Rules{})
	fmt.Println(l.Balance(day(2), 7).Available)
	// Output:
	// 42
}

func ExampleRepairFile() {
	dir, err := os.MkdirTemp("", "loyalty")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "loyalty.wal")
	s, _ := loyalty.OpenFileStore(path, nil)
	l, _ := loyalty.Open(s, loyalty.Rules{})
	l.Earn(context.Background(), day(1), "order-1", 7, "O-1", 4200)
	l.Earn(context.Background(), day(2), "order-2", 7, "O-2", 1000)
	s.Close()

	b, _ := os.ReadFile(path)
	b[len(b)-3] ^= 0xff // damage the last record
	os.WriteFile(path, b, 0o644)
	_, err = loyalty.OpenFileStore(path, nil)
	fmt.Println(errors.Is(err, loyalty.ErrCorrupt))

	saved, _ := loyalty.RepairFile(path) // keeps what precedes the damage, saves the rest
	s, _ = loyalty.OpenFileStore(path, nil)
	defer s.Close()
	l, _ = loyalty.Open(s, loyalty.Rules{})
	fmt.Println(l.Balance(day(2), 7).Available, saved != "")
	// Output:
	// true
	// 42 true
}

func ExampleMemStore() {
	var s loyalty.MemStore // the zero value is ready
	l, _ := loyalty.Open(&s, loyalty.Rules{})
	l.Bonus(context.Background(), day(1), "welcome-1", 1, 100, "welcome")
	for r, err := range s.Records() {
		fmt.Println(r.Kind, r.Key, r.Points, err)
	}
	// Output:
	// bonus welcome-1 100 <nil>
}

func ExampleRecord_MarshalBinary() {
	r := loyalty.Record{Kind: loyalty.KindSpend, Key: "s-1", At: day(3), Member: 7, Points: 250}
	b, _ := r.MarshalBinary()
	var back loyalty.Record
	err := back.UnmarshalBinary(b)
	fmt.Println(back.Kind, back.Key, back.Member, back.Points, err)
	fmt.Println(errors.Is(back.UnmarshalBinary(b[:len(b)-1]), loyalty.ErrCorrupt))
	// Output:
	// spend s-1 7 250 <nil>
	// true
}
