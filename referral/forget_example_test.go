package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// A person asks to be erased (GDPR art. 17): Forget blanks their e-mail, phone, device
// and network in the ledger and rewrites the file without them, while the rewards and
// balances stand.
func ExampleProgram_Forget() {
	dir, err := os.MkdirTemp("", "referral-forget")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ledger.wal")
	store, err := referral.OpenFileStore(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	prog, err := referral.Open(store, referral.Rules{ReferrerReward: 1000, ReferredReward: 500})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{Email: "ann@example.com"}, bytes.NewReader(make([]byte, 10)))
	_, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{Email: "bob@example.com", Device: "bob-phone"})
	_ = prog.Order(ctx, day(2), "order:1", 2, "A-1", 4900)

	inFile := func(s string) bool { b, _ := os.ReadFile(path); return bytes.Contains(b, []byte(s)) }
	fmt.Println("bob's e-mail in the file:", inFile("bob@example.com"))
	if err := prog.Forget(ctx, day(3), 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bob's e-mail in the file:", inFile("bob@example.com"), "device:", inFile("bob-phone"))
	fmt.Println("ann's e-mail in the file:", inFile("ann@example.com"))
	fmt.Printf("Bob's balance: %+v\n", prog.Balance(day(3), 2))
	referrer, _ := prog.Referrer(2)
	fmt.Println("Bob referred by profile", referrer)
	fmt.Println("forget again:", prog.Forget(ctx, day(4), 2))
	// Output:
	// bob's e-mail in the file: true
	// bob's e-mail in the file: false device: false
	// ann's e-mail in the file: true
	// Bob's balance: {Earned:500 Held:0 Paid:0 Payable:500}
	// Bob referred by profile 1
	// forget again: <nil>
}

// Someone invited who never signed up asks to be erased: they have no profile for
// Forget to name, so ForgetContact erases their e-mail from the invitations sent to it
// and rewrites the file without it. The invitation stays in the invite tree, and no
// longer attributes a later sign-up with that e-mail.
func ExampleProgram_ForgetContact() {
	dir, err := os.MkdirTemp("", "referral-forget-contact")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ledger.wal")
	store, err := referral.OpenFileStore(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	prog, err := referral.Open(store, referral.Rules{ReferrerReward: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	_ = prog.Invite(ctx, day(0), "invite:zoe", 1, referral.Signals{Email: "zoe@example.com"})

	inFile := func(s string) bool { b, _ := os.ReadFile(path); return bytes.Contains(b, []byte(s)) }
	fmt.Println("zoe's e-mail in the file:", inFile("zoe@example.com"))
	if err := prog.ForgetContact(ctx, day(1), referral.Signals{Email: "zoe@example.com"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("zoe's e-mail in the file:", inFile("zoe@example.com"))
	fmt.Println("invitations:", len(prog.Invites()))
	fmt.Println("forget again:", prog.ForgetContact(ctx, day(2), referral.Signals{Email: "zoe@example.com"}))
	d, _ := prog.SignUp(ctx, day(3), "signup:zoe", 7, "", referral.Signals{Email: "zoe@example.com"})
	fmt.Println("later sign-up referred by profile", d.Referrer)
	// Output:
	// zoe's e-mail in the file: true
	// zoe's e-mail in the file: false
	// invitations: 1
	// forget again: <nil>
	// later sign-up referred by profile 0
}
