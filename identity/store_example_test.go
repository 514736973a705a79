package identity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// With WithHMAC the store file holds digests, not e-mail addresses, so a copy of it
// that leaks reveals nobody to whoever lacks the key; equal identifiers still match.
// Opening the store with another key fails with ErrKeyMismatch instead of quietly
// starting a second, disjoint set of digests.
func ExampleWithHMAC() {
	dir, err := os.MkdirTemp("", "identity")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "identity.log")
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	key := []byte("a secret the host keeps apart from the store")
	mail := identity.ID{Kind: "email", Value: "anna@example.com"}

	s, _ := identity.OpenFileStore(path, nil)
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithHMAC(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Link(ctx, at, "web", mail)
	s.Close()
	raw, _ := os.ReadFile(path)
	fmt.Println("file holds the address:", bytes.Contains(raw, []byte("anna@example.com")))

	s, _ = identity.OpenFileStore(path, nil)
	defer s.Close()
	_, err = identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithHMAC([]byte("another key")))
	fmt.Println("another key:", errors.Is(err, identity.ErrKeyMismatch))
	r, _ = identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithHMAC(key))
	fmt.Println(r.Lookup(mail))
	// Output:
	// file holds the address: false
	// another key: true
	// 1 true
}

// Damage inside the file (a flipped bit, a zeroed range: a failing disk, a bad copy),
// unlike a write torn by a crash, makes the store refuse to open rather than guess.
// RepairFile cuts the file back to the last record before the damage, keeping what it
// cut in a side file; the store then opens with the profiles of the records kept, and
// the host redelivers the events after them.
func ExampleRepairFile() {
	dir, err := os.MkdirTemp("", "identity")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "identity.log")
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	email := func(v string) identity.ID { return identity.ID{Kind: "email", Value: v} }

	s, _ := identity.OpenFileStore(path, nil)
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(s))
	for _, v := range []string{"anna@example.com", "bob@example.com", "cara@example.com"} {
		r.Link(ctx, at, "web", email(v))
	}
	s.Close()
	b, _ := os.ReadFile(path)
	b[bytes.Index(b, []byte("bob@"))] ^= 0x01 // one flipped bit in Bob's record
	os.WriteFile(path, b, 0o644)

	_, err = identity.OpenFileStore(path, nil)
	fmt.Println("before repair:", errors.Is(err, identity.ErrCorrupt))
	saved, err := identity.RepairFile(path)
	fmt.Println("cut to", filepath.Base(saved), err)

	s, _ = identity.OpenFileStore(path, nil)
	defer s.Close()
	r, _ = identity.New(identity.DefaultRules(), identity.WithStore(s))
	for _, v := range []string{"anna@example.com", "bob@example.com", "cara@example.com"} {
		p, ok := r.Lookup(email(v))
		fmt.Println(v, p, ok)
	}
	// Output:
	// before repair: true
	// cut to identity.log.cut-118 <nil>
	// anna@example.com 1 true
	// bob@example.com 0 false
	// cara@example.com 0 false
}
