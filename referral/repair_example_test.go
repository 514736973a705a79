package referral_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// A ledger file damaged in the middle (a flipped bit, a bad copy) is refused with
// ErrCorrupt rather than replayed to wrong balances. RepairFile keeps the batches
// before the damage and moves the rest to a side file; the programme opens with the
// events kept, and the host redelivers the later ones, which their keys make safe.
func ExampleRepairFile() {
	dir, err := os.MkdirTemp("", "referral")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ledger.wal")
	ctx, at := context.Background(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rules := referral.Rules{Qualify: referral.AtSignup, ReferrerReward: 700}

	store, _ := referral.OpenFileStore(path, nil)
	prog, _ := referral.Open(store, rules)
	code, _ := prog.IssueCode(ctx, at, "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	prog.SignUp(ctx, at.Add(time.Hour), "signup:bob", 2, code.String(), referral.Signals{Email: "bob@example.com"})
	store.Close()
	b, _ := os.ReadFile(path)
	b[bytes.Index(b, []byte("bob@"))] ^= 0x01 // one flipped bit in Bob's sign-up
	os.WriteFile(path, b, 0o644)

	_, err = referral.OpenFileStore(path, nil)
	fmt.Println("before repair:", errors.Is(err, referral.ErrCorrupt))
	saved, err := referral.RepairFile(path)
	fmt.Println("side file:", saved != "", err)

	store, _ = referral.OpenFileStore(path, nil)
	defer store.Close()
	prog, _ = referral.Open(store, rules)
	fmt.Printf("%+v\n", prog.Balance(at.Add(2*time.Hour), 1))
	prog.SignUp(ctx, at.Add(time.Hour), "signup:bob", 2, code.String(), referral.Signals{Email: "bob@example.com"}) // redelivered
	fmt.Printf("%+v\n", prog.Balance(at.Add(2*time.Hour), 1))
	// Output:
	// before repair: true
	// side file: true <nil>
	// {Earned:0 Held:0 Paid:0 Payable:0}
	// {Earned:700 Held:0 Paid:0 Payable:700}
}
