package referral

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestForgetContactErasesInvitee erases, on a file store, the contact of a person who
// was invited twice and never signed up: an e-mail alone erases the invitation to it
// (and the phone it also holds), leaving the invitation that reached the phone alone;
// the phone then erases that one. The contact leaves memory and the file, the
// accounts and the invite tree stay, a retried invitation is still a retry, a repeated
// or unknown contact records nothing, and a reopened store replays to the same state.
func TestForgetContactErasesInvitee(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	p, err := Open(fs, testRules(), testClock())
	must(t, err)
	const zoeEmail, zoePhone = "zoe.invitee@example.com", "+44 7700 900123"
	bob := Signals{Email: "bob@example.com", Device: "dev-bob"}
	code, err := p.IssueCode(ctx, day(0), "code:ann", 1, Signals{Email: "ann@example.com"}, newSeeded(1))
	must(t, err)
	must(t, p.Invite(ctx, day(0), "invite:zoe", 1, Signals{Email: zoeEmail, Phone: zoePhone}))
	must(t, p.Invite(ctx, day(1), "invite:zoe-phone", 3, Signals{Phone: zoePhone}))
	must(t, p.Invite(ctx, day(1), "invite:bob", 1, Signals{Email: bob.Email}))
	_, err = p.SignUp(ctx, day(2), "signup:bob", 2, string(code), bob)
	must(t, err)
	must(t, p.Order(ctx, day(3), "order:1", 2, "A-1", 4900))
	for _, v := range []string{zoeEmail, zoePhone} {
		if !strings.Contains(fileBytes(t, path), v) {
			t.Fatalf("the fixture's file lacks %q", v)
		}
	}
	balances := func(q *Program) []Balance {
		return []Balance{q.Balance(day(20), 1), q.Balance(day(20), 2), q.Balance(day(20), 3)}
	}
	before, invites := balances(p), p.Invites()
	n := len(slices.Collect(recordsOf(t, fs)))

	must(t, p.ForgetContact(ctx, day(4), Signals{Email: zoeEmail}))
	recs := slices.Collect(recordsOf(t, fs))
	if len(recs) != n+1 {
		t.Fatalf("ForgetContact appended %d records, want 1", len(recs)-n)
	}
	want := Record{Kind: KindForget, Key: "\x00forget:contact#1", At: day(4), Reasons: []string{"invite:zoe"}}
	if diff := cmp.Diff(want, recs[n]); diff != "" {
		t.Errorf("forget record (-want +got):\n%s", diff)
	}
	if s := fileBytes(t, path); strings.Contains(s, zoeEmail) {
		t.Errorf("the file still holds the forgotten e-mail")
	}
	if s := fileBytes(t, path); !strings.Contains(s, zoePhone) {
		t.Errorf("the phone left the file with the e-mail, though an invitation to the phone alone holds it")
	}
	if inv := p.st.keys["invite:zoe"]; inv.Signals != (Signals{}) {
		t.Errorf("the invitation to the e-mail keeps %+v, want blank (its phone is the same person's)", inv.Signals)
	}

	must(t, p.ForgetContact(ctx, day(5), Signals{Phone: zoePhone}, Signals{Email: zoeEmail}))
	for _, v := range []string{zoeEmail, zoePhone} {
		if strings.Contains(heldStrings(p), v) {
			t.Errorf("memory still holds %q", v)
		}
		if strings.Contains(fileBytes(t, path), v) {
			t.Errorf("the file still holds %q", v)
		}
	}
	for _, v := range []string{bob.Email, bob.Device, "ann@example.com"} {
		if !strings.Contains(fileBytes(t, path), v) {
			t.Errorf("%q, no forgotten contact's, left the file", v)
		}
	}
	if got := balances(p); !slices.Equal(before, got) {
		t.Errorf("balances %v became %v", before, got)
	}
	if got := p.Invites(); !slices.Equal(invites, got) {
		t.Errorf("invitations %v became %v", invites, got)
	}
	if r, ok := p.Referrer(2); !ok || r != 1 {
		t.Errorf("bob's referrer %d %v, want 1", r, ok)
	}

	// Idempotent: the contacts again, a contact never invited, a retried invitation.
	n = len(slices.Collect(recordsOf(t, fs)))
	must(t, p.ForgetContact(ctx, day(6), Signals{Email: zoeEmail, Phone: zoePhone}))
	must(t, p.ForgetContact(ctx, day(6), Signals{Email: "never.invited@example.com"}))
	must(t, p.ForgetContact(ctx, day(6)))
	if err := p.Invite(ctx, day(0), "invite:zoe", 1, Signals{Email: zoeEmail, Phone: zoePhone}); err != nil {
		t.Errorf("retried invitation after ForgetContact: %v", err)
	}
	if m := len(slices.Collect(recordsOf(t, fs))); m != n {
		t.Errorf("repeated and unknown contacts and a retry appended %d records", m-n)
	}
	if strings.Contains(fileBytes(t, path), zoeEmail) {
		t.Errorf("the retry wrote the forgotten e-mail again")
	}

	live := digest(p.st)
	must(t, fs.Close())
	fs, err = OpenFileStore(path, nil)
	must(t, err)
	defer fs.Close()
	q, err := Open(fs, testRules(), testClock())
	must(t, err)
	if diff := cmp.Diff(live, digest(q.st)); diff != "" {
		t.Errorf("reopened state differs (-live +replayed):\n%s", diff)
	}
	if got := balances(q); !slices.Equal(before, got) {
		t.Errorf("reopened balances %v, want %v", got, before)
	}
	if got := q.Invites(); !slices.Equal(invites, got) {
		t.Errorf("reopened invitations %v, want %v", got, invites)
	}
	// The next contact forget takes the next key, after a replay too.
	must(t, q.Invite(ctx, day(7), "invite:yan", 1, Signals{Email: "yan@example.com"}))
	must(t, q.ForgetContact(ctx, day(8), Signals{Email: "yan@example.com"}))
	recs = slices.Collect(recordsOf(t, fs))
	if last := recs[len(recs)-1]; last.Kind != KindForget || last.Key != "\x00forget:contact#3" {
		t.Errorf("third contact forget recorded as %v %q, want forget %q", last.Kind, last.Key, "\x00forget:contact#3")
	}
}

// An invitation erased by ForgetContact no longer attributes a later sign-up with its
// contact; an invitation to another contact still does.
func TestForgetContactStopsAttribution(t *testing.T) {
	ctx := context.Background()
	p, _ := openMem(t, testRules(), testClock())
	must(t, p.Invite(ctx, day(0), "invite:zoe", 1, Signals{Email: "zoe@x"}))
	must(t, p.Invite(ctx, day(0), "invite:yan", 1, Signals{Phone: "+1 555"}))
	must(t, p.ForgetContact(ctx, day(1), Signals{Email: "zoe@x"}))
	d, err := p.SignUp(ctx, day(2), "signup:zoe", 5, "", Signals{Email: "zoe@x"})
	must(t, err)
	if d.Referrer != 0 || d.Blocked {
		t.Errorf("sign-up with the forgotten contact: %+v, want organic", d)
	}
	d, err = p.SignUp(ctx, day(2), "signup:yan", 6, "", Signals{Phone: "+1 555"})
	must(t, err)
	if d.Referrer != 1 {
		t.Errorf("sign-up with a contact not forgotten: %+v, want referrer 1", d)
	}
}

// ForgetContact finds invitations as attribution does, by equality with the contact as
// recorded: the package normalises no signal, so another spelling of the e-mail finds
// neither the invitation nor, in a sign-up, the inviter.
func TestForgetContactMatchesAsAttribution(t *testing.T) {
	ctx := context.Background()
	p, st := openMem(t, testRules(), testClock())
	must(t, p.Invite(ctx, day(0), "invite:alice", 1, Signals{Email: "alice@example.com"}))
	n := len(slices.Collect(recordsOf(t, st)))
	must(t, p.ForgetContact(ctx, day(1), Signals{Email: "Alice@Example.com "}))
	if m := len(slices.Collect(recordsOf(t, st))); m != n {
		t.Errorf("another spelling of the e-mail recorded a forget")
	}
	if d, err := p.SignUp(ctx, day(2), "signup:alice", 5, "", Signals{Email: "Alice@Example.com "}); err != nil || d.Referrer != 0 {
		t.Errorf("sign-up with another spelling: %+v %v, want organic (attribution compares as ForgetContact does)", d, err)
	}
	must(t, p.ForgetContact(ctx, day(3), Signals{Email: "alice@example.com"}))
	if strings.Contains(storeText(t, st), "alice@example.com") {
		t.Errorf("the contact as recorded did not erase the invitation")
	}
}

func TestForgetContactRefusesBadInput(t *testing.T) {
	p, st := openMem(t, testRules())
	ctx := context.Background()
	const secret = "secret@example.com"
	must(t, p.Invite(ctx, day(0), "invite", 1, Signals{Email: secret}))
	//lint:ignore SA1012 the nil context is the input under test
	nilCtx := p.ForgetContact(nil, day(1), Signals{Email: secret})
	for name, err := range map[string]error{
		"nil ctx":            nilCtx,
		"zero time":          p.ForgetContact(ctx, time.Time{}, Signals{Email: secret}),
		"empty contact":      p.ForgetContact(ctx, day(1), Signals{Email: secret}, Signals{}),
		"a device":           p.ForgetContact(ctx, day(1), Signals{Email: secret, Device: "dev"}),
		"a network alone":    p.ForgetContact(ctx, day(1), Signals{Network: "10.0.0.0/8"}),
		"a control char":     p.ForgetContact(ctx, day(1), Signals{Email: secret + "\n"}),
		"a too long phone":   p.ForgetContact(ctx, day(1), Signals{Email: secret, Phone: strings.Repeat("9", maxText+1)}),
		"time out of range":  p.ForgetContact(ctx, time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), Signals{Email: secret}),
		"nil Program":        (*Program)(nil).ForgetContact(ctx, day(1), Signals{Email: secret}),
		"zero-value Program": (&Program{}).ForgetContact(ctx, day(1), Signals{Email: secret}),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error %q quotes the contact", name, err)
		}
	}
	if !strings.Contains(storeText(t, st), secret) {
		t.Errorf("a refused call erased the invitation")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.ForgetContact(cctx, day(1), Signals{Email: secret}); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: %v, want context.Canceled", err)
	}
}

// A contact forget replayed over a ledger that still holds the contact (its rewrite
// never ran) blanks it, and Open finishes the rewrite.
func TestOpenFinishesAContactErasure(t *testing.T) {
	ctx := context.Background()
	mem := &MemStore{}
	p, err := Open(plainStore{mem}, testRules()) // not a Compacter: records, cannot rewrite
	must(t, err)
	must(t, p.Invite(ctx, day(0), "i", 1, Signals{Email: "gone@x", Phone: "+99"}))
	must(t, p.ForgetContact(ctx, day(1), Signals{Phone: "+99"}))
	if !strings.Contains(storeText(t, mem), "gone@x") {
		t.Fatal("a store that cannot rewrite lost the contact anyway")
	}
	q, err := Open(mem, testRules())
	must(t, err)
	if s := storeText(t, mem); strings.Contains(s, "gone@x") || strings.Contains(s, "+99") {
		t.Errorf("Open left the erased contact in the store")
	}
	if diff := cmp.Diff(digest(p.st), digest(q.st)); diff != "" {
		t.Errorf("state differs (-before +after reopening):\n%s", diff)
	}
}
