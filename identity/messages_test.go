package identity_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// TestErrorMessages walks the error paths of the public functions and holds each
// message to CONVENTIONS.md's shape: "identity:" once, in front; the context the
// wrappers add ("link: identifier 0:"); then the sentinel's text and the detail its
// leaf put after it (fmt.Errorf("%w: what and where", ErrInvalid, ...)); and errors.Is
// finds the sentinel. Leaves put the sentinel last ("link: identifier 0: empty kind:
// invalid input"), and a Drop's or a Refusal's named the package in the middle
// ("profile would hold 2 email identifiers, limit 1: identity: per-profile limit
// reached").
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	damaged := filepath.Join(dir, "damaged.log")
	if err := os.WriteFile(damaged, []byte("this is not an identity log, and it is long enough"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed, err := identity.OpenFileStore(filepath.Join(dir, "closed.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	var contradicted identity.MemStore
	mustLink(t, seeded(t, identity.WithStore(&contradicted)), t0, identity.ID{Kind: "a", Value: "1"})
	contradicted.Append([]byte{2, 0, 99}) // unmerge of node 99, which does not exist
	var junk identity.MemStore
	junk.Append([]byte("not a record"))
	var keyed identity.MemStore
	seeded(t, identity.WithStore(&keyed), identity.WithHMAC([]byte("k1")))

	r := seeded(t)
	var zero identity.Resolver
	bad := identity.ID{Kind: "", Value: "x"}
	d2 := identity.ID{Kind: "device_id", Value: "d2"}
	unknown := identity.ID{Kind: "email", Value: "ben@example.com"}
	limited, err := identity.New(identity.Rules{Kinds: map[string]identity.KindRule{"email": {Limit: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	mustLink(t, limited, t0, identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "email", Value: "a@example.com"})
	refused, err := limited.Resolve(ctx, t0, "web", identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "email", Value: "b@example.com"})
	if err != nil || len(refused.Refused) != 1 {
		t.Fatalf("Resolve past a limit = %+v, %v; want one refusal", refused, err)
	}
	dropped, err := r.Resolve(ctx, t0, "web", d2, identity.ID{Kind: "email", Value: "null"}, identity.ID{Kind: "email", Value: "no-at-sign"})
	if err != nil || len(dropped.Dropped) != 2 {
		t.Fatalf("Resolve with a blocked and an unparseable value = %+v, %v; want two drops", dropped, err)
	}

	for _, c := range []struct {
		name string
		err  error
		want error
		says string // DIR: the test's directory
	}{
		// New: its options, its rules, the store it replays.
		{"New with a nil option", second(identity.New(identity.DefaultRules(), nil)), identity.ErrInvalid, "identity: invalid input: option 0 is nil"},
		{"New with an empty HMAC key", second(identity.New(identity.DefaultRules(), identity.WithHMAC(nil))), identity.ErrInvalid, "identity: invalid input: WithHMAC: empty key"},
		{"New with WithEventLimit(0)", second(identity.New(identity.DefaultRules(), identity.WithEventLimit(-1))), identity.ErrInvalid, "identity: invalid input: WithEventLimit(-1): want 1 to 65536"},
		{"New with WithCapacity(-1)", second(identity.New(identity.DefaultRules(), identity.WithCapacity(-1))), identity.ErrInvalid, "identity: invalid input: WithCapacity(-1): want 1 to 268435455"},
		{"New with a negative hot limit", second(identity.New(identity.Rules{HotLimit: -1})), identity.ErrInvalid, "identity: invalid input: rules: HotLimit -1 outside 0..60"},
		{"New with MaxValueLen too large", second(identity.New(identity.Rules{MaxValueLen: 1 << 20})), identity.ErrInvalid, "identity: invalid input: rules: MaxValueLen 1048576 outside 0..65535"},
		{"New with a blocked value not UTF-8", second(identity.New(identity.Rules{Blocked: []string{"\xff"}})), identity.ErrInvalid, "identity: invalid input: rules: blocked value \"\\xff\" is not UTF-8"},
		{"New with a kind's Limit out of range", second(identity.New(identity.Rules{Kinds: map[string]identity.KindRule{"email": {Limit: -1}}})), identity.ErrInvalid, "identity: invalid input: rules: kind \"email\": Limit -1 outside 0..254"},
		{"New with an empty kind in Rules.Kinds", second(identity.New(identity.Rules{Kinds: map[string]identity.KindRule{"": {}}})), identity.ErrInvalid, "identity: invalid input: rules: Kinds: empty kind"},
		{"New with a kind of 65 bytes", second(identity.New(identity.Rules{Kinds: map[string]identity.KindRule{strings.Repeat("k", 65): {}}})), identity.ErrInvalid, "identity: invalid input: rules: Kinds: kind of 65 bytes, over the 64-byte limit"},
		{"New with a kind not UTF-8", second(identity.New(identity.Rules{Kinds: map[string]identity.KindRule{"e\xffmail": {}}})), identity.ErrInvalid, "identity: invalid input: rules: Kinds: kind \"e\\xffmail\" is not valid UTF-8"},
		{"New on a record contradicting the log", second(identity.New(identity.DefaultRules(), identity.WithStore(&contradicted))), identity.ErrCorrupt, "identity: replay record 4: corrupt record: unmerge of node 99, which is not held"},
		{"New on junk", second(identity.New(identity.DefaultRules(), identity.WithStore(&junk))), identity.ErrCorrupt, "identity: corrupt record: replay record 0: of type 110, not the configuration record an identity store begins with: the store holds another log (a referral ledger?) or its start is damaged"},
		{"New with another HMAC key", second(identity.New(identity.DefaultRules(), identity.WithStore(&keyed), identity.WithHMAC([]byte("k2")))), identity.ErrKeyMismatch, "identity: HMAC key does not match the store: the store was written with another WithHMAC key: pass the key it was written with"},
		// Link and its kin.
		{"Link with an empty kind", second(r.Link(ctx, t0, "web", bad)), identity.ErrInvalid, "identity: link: identifier 0: invalid input: empty kind"},
		{"Link with a zero time", second(r.Link(ctx, time.Time{}, "web", d2)), identity.ErrInvalid, "identity: link: invalid input: time 0001-01-01 00:00:00 +0000 UTC outside the years 1678-2262"},
		{"Link with a value too long", second(r.Link(ctx, t0, "web", identity.ID{Kind: "user_id", Value: strings.Repeat("x", 513)})), identity.ErrInvalid, "identity: link: identifier 0: invalid input: user_id: value of 513 bytes, over the 512-byte limit"},
		{"Link with a value not UTF-8", second(r.Link(ctx, t0, "web", identity.ID{Kind: "user_id", Value: "\xff"})), identity.ErrInvalid, "identity: link: identifier 0: invalid input: user_id: value \"\\xff\" is not valid UTF-8"},
		{"Link with no identifiers", second(r.Link(ctx, t0, "web")), identity.ErrInvalid, "identity: link: invalid input: no identifiers"},
		{"Link with a source not UTF-8", second(r.Link(ctx, t0, "w\xffb", d2)), identity.ErrInvalid, "identity: link: invalid input: source \"w\\xffb\" is not valid UTF-8"},
		//lint:ignore SA1012 a nil context is the caller error under test
		{"Link with a nil context", second(r.Link(nil, t0, "web", d2)), identity.ErrInvalid, "identity: link: invalid input: nil context"},
		{"LinkMatch with a NaN weight", second(r.LinkMatch(ctx, t0, "web", identity.Match{Weight: math.NaN()}, d2)), identity.ErrInvalid, "identity: link: invalid input: match weight NaN is not finite"},
		{"LinkBatch with an empty kind", second(r.LinkBatch(ctx, nil, []identity.Event{{At: t0, IDs: []identity.ID{d2}}, {At: t0, IDs: []identity.ID{bad}}})), identity.ErrInvalid, "identity: link: identifier 0: invalid input: empty kind (event 1 of the batch)"},
		{"Resolve with an empty kind", second(r.Resolve(ctx, t0, "web", bad)), identity.ErrInvalid, "identity: link: identifier 0: invalid input: empty kind"},
		{"a Drop of a blocked value", dropped.Dropped[0].Err, identity.ErrBlocked, "identity: identifier 1: blocked value: email \"null\""},
		{"a Drop of an unparseable value", dropped.Dropped[1].Err, identity.ErrUnparseable, "identity: identifier 2: unparseable value: email: e-mail \"no-at-sign\" has no local part or no domain"},
		{"a Refusal by a limit", refused.Refused[0].Err, identity.ErrLimit, "identity: per-profile limit reached: profile would hold 2 email identifiers, limit 1"},
		// Unmerge, Forget, Canonical, Explain, Compact.
		{"Unmerge of an unknown identifier", second(r.Unmerge(ctx, t0, unknown)), identity.ErrNotFound, "identity: not found: unmerge email:ben@example.com"},
		{"Unmerge with an empty kind", second(r.Unmerge(ctx, t0, bad)), identity.ErrInvalid, "identity: unmerge: invalid input: empty kind"},
		{"Unmerge with a value too long", second(r.Unmerge(ctx, t0, identity.ID{Kind: "user_id", Value: strings.Repeat("x", 513)})), identity.ErrInvalid, "identity: unmerge: invalid input: user_id: value of 513 bytes, over the 512-byte limit"},
		{"Unmerge with a value not UTF-8", second(r.Unmerge(ctx, t0, identity.ID{Kind: "user_id", Value: "\xff"})), identity.ErrInvalid, "identity: unmerge: invalid input: user_id: value \"\\xff\" is not valid UTF-8"},
		{"Unmerge with a zero time", second(r.Unmerge(ctx, time.Time{}, identity.ID{Kind: "user_id", Value: "u1"})), identity.ErrInvalid, "identity: unmerge: invalid input: time 0001-01-01 00:00:00 +0000 UTC outside the years 1678-2262"},
		{"Forget of an unknown profile", r.Forget(ctx, t0, 1, 99), identity.ErrNotFound, "identity: not found: forget profile 99"},
		{"Forget with a zero time", r.Forget(ctx, time.Time{}, 1), identity.ErrInvalid, "identity: forget: invalid input: time 0001-01-01 00:00:00 +0000 UTC outside the years 1678-2262"},
		{"Canonical with an empty kind", second(r.Canonical(bad)), identity.ErrInvalid, "identity: canonical: invalid input: empty kind"},
		{"Canonical with a kind of 65 bytes", second(r.Canonical(identity.ID{Kind: strings.Repeat("k", 65), Value: "x"})), identity.ErrInvalid, "identity: canonical: invalid input: kind of 65 bytes, over the 64-byte limit"},
		{"Canonical with a value too long", second(r.Canonical(identity.ID{Kind: "user_id", Value: strings.Repeat("x", 513)})), identity.ErrInvalid, "identity: canonical: invalid input: user_id: value of 513 bytes, over the 512-byte limit"},
		{"Canonical with a value not UTF-8", second(r.Canonical(identity.ID{Kind: "user_id", Value: "\xff"})), identity.ErrInvalid, "identity: canonical: invalid input: user_id: value \"\\xff\" is not valid UTF-8"},
		{"Canonical of a blocked value", second(r.Canonical(identity.ID{Kind: "email", Value: "null"})), identity.ErrBlocked, "identity: canonical: blocked value: email \"null\""},
		{"Canonical of an unparseable value", second(r.Canonical(identity.ID{Kind: "email", Value: "no-at-sign"})), identity.ErrUnparseable, "identity: canonical: unparseable value: email: e-mail \"no-at-sign\" has no local part or no domain"},
		{"Explain of an unknown identifier", second(r.Explain(identity.ID{Kind: "user_id", Value: "u1"}, unknown)), identity.ErrNotFound, "identity: not found: explain email:ben@example.com"},
		{"Explain as of a time of an unknown identifier", second(r.AsOf(t0).Explain(identity.ID{Kind: "user_id", Value: "u1"}, unknown)), identity.ErrNotFound, "identity: not found: explain email:ben@example.com"},
		// A zero Resolver.
		{"Link on a zero Resolver", second(zero.Link(ctx, t0, "web", d2)), identity.ErrInvalid, "identity: invalid input: zero or nil Resolver: make one with New"},
		{"Unmerge on a zero Resolver", second(zero.Unmerge(ctx, t0, d2)), identity.ErrInvalid, "identity: invalid input: zero or nil Resolver: make one with New"},
		// The file store: damage, and use after Close.
		{"OpenFileStore of a damaged file", second(identity.OpenFileStore(damaged, nil)), identity.ErrCorrupt, "identity: open file store: corrupt record: wal: DIR/damaged.log at offset 0: log header: bad magic \"this is \" (not a log file, or damaged): wal: corrupt log"},
		{"RepairFile of a file that is not a log", second(identity.RepairFile(damaged)), identity.ErrCorrupt, "identity: repair file store: corrupt record: wal: DIR/damaged.log at offset 0: log header: bad magic \"this is \" (not a log file, or damaged): wal: corrupt log"},
		{"Append to a closed FileStore", closed.Append([]byte{1}), identity.ErrClosed, "identity: store closed: file store DIR/closed.log"},
		{"Sync of a closed FileStore", closed.Sync(), identity.ErrClosed, "identity: store closed: file store DIR/closed.log"},
		{"New on a closed FileStore", second(identity.New(identity.DefaultRules(), identity.WithStore(closed))), identity.ErrClosed, "identity: replay record 0: read: store closed: file store DIR/closed.log"},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		if got := strings.ReplaceAll(c.err.Error(), dir, "DIR"); got != c.says {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.says)
		}
	}
}
