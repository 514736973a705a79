package referral

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// heldStrings returns every string the Program's state keeps that could hold a signal:
// the records (signals, reasons), the indexes keyed by signals, and the scratch copies.
func heldStrings(p *Program) string {
	var b strings.Builder
	s := p.st
	add := func(r *Record) {
		fmt.Fprintf(&b, "%s|%v|%q\n", r.Key, r.Signals, r.Reasons)
	}
	for _, r := range s.keys {
		add(r)
	}
	for _, r := range s.derived {
		add(r)
	}
	for k, v := range s.signals {
		fmt.Fprintln(&b, k, v)
	}
	for k := range s.invited {
		fmt.Fprintln(&b, k)
	}
	for k := range s.inviteRecs {
		fmt.Fprintln(&b, k)
	}
	for k := range s.bySig {
		fmt.Fprintln(&b, k)
	}
	b.Write(s.scratch)
	for _, r := range p.derived[:cap(p.derived)] {
		add(&r)
	}
	for _, r := range p.scratch[:cap(p.scratch)] {
		add(&r)
	}
	return b.String()
}

// digest is the state a replay must reproduce, in a fixed order.
func digest(s *state) string {
	var lines []string
	for k, r := range s.keys {
		lines = append(lines, fmt.Sprintf("in %q %x", k, appendRecord(nil, r)))
	}
	for k, r := range s.derived {
		lines = append(lines, fmt.Sprintf("de %q %x", k, appendRecord(nil, r)))
	}
	for k, v := range s.signals {
		lines = append(lines, fmt.Sprint("sig ", k, v))
	}
	for k, v := range s.invited {
		lines = append(lines, fmt.Sprint("inv ", k, v))
	}
	for k, v := range s.bySig {
		lines = append(lines, fmt.Sprint("by ", k, v))
	}
	for k := range s.erased {
		lines = append(lines, fmt.Sprintf("erased %q", k))
	}
	for k, v := range s.forgets {
		lines = append(lines, fmt.Sprint("forgets ", k, v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func fileBytes(t tb, path string) string {
	b, err := os.ReadFile(path)
	must(t, err)
	return string(b)
}

// TestForgetErasesSignals forgets a referred person and then their referrer on a file
// store: their signals leave memory and the file, the accounts stay, a retry is still
// a retry, and a second Forget (or one of a stranger) records nothing.
func TestForgetErasesSignals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	rules := Rules{ReferrerReward: 1000, ReferredReward: 500, Hold: 24 * time.Hour,
		Guards: Guards{SelfReferral: Flag, Velocity: Flag, PerDevice: RateLimit{Max: 5, Period: 24 * time.Hour}}}
	p, err := Open(fs, rules)
	must(t, err)
	ann := Signals{Email: "ann@example.com", Phone: "+44 1", Device: "dev-ann", Network: "198.51.100.0/24"}
	bob := Signals{Email: "bob@example.com", Phone: "+44 2", Device: "dev-ann", Network: "203.0.113.0/24"}
	code, err := p.IssueCode(ctx, day(0), "code:ann", 1, ann, newSeeded(1))
	must(t, err)
	must(t, p.Invite(ctx, day(0), "invite:bob", 1, Signals{Email: bob.Email}))
	d, err := p.SignUp(ctx, day(1), "signup:bob", 2, string(code), bob)
	must(t, err)
	if want := `flag: self-referral: shared device "dev-ann"`; len(d.Reasons) != 1 || d.Reasons[0] != want {
		t.Fatalf("reasons %q, want %q", d.Reasons, want)
	}
	must(t, p.Order(ctx, day(2), "order:1", 2, "A-1", 4900))
	before := []Balance{p.Balance(day(9), 1), p.Balance(day(9), 2)}
	for _, v := range []string{bob.Email, bob.Phone, bob.Network} {
		if !strings.Contains(fileBytes(t, path), v) {
			t.Fatalf("the fixture's file lacks %q", v)
		}
	}

	must(t, p.Forget(ctx, day(3), 2))
	for _, v := range []string{bob.Email, bob.Phone, bob.Network} {
		if strings.Contains(heldStrings(p), v) {
			t.Errorf("memory still holds %q", v)
		}
		if strings.Contains(fileBytes(t, path), v) {
			t.Errorf("the file still holds %q", v)
		}
	}
	if !strings.Contains(fileBytes(t, path), ann.Email) {
		t.Errorf("the referrer's e-mail left the file with the referred's")
	}
	d = p.st.decisionOf(2)
	if want := `flag: self-referral: shared device "(erased)"`; d.Referrer != 1 || len(d.Reasons) != 1 || d.Reasons[0] != want {
		t.Errorf("decision after forget %+v, want referrer 1 and reason %q", d, want)
	}
	if after := []Balance{p.Balance(day(9), 1), p.Balance(day(9), 2)}; !slices.Equal(before, after) {
		t.Errorf("balances %v became %v", before, after)
	}
	// A retried sign-up still carries bob's signals: it is a retry, not a reused key,
	// and it records nothing.
	if _, err := p.SignUp(ctx, day(1), "signup:bob", 2, string(code), bob); err != nil {
		t.Errorf("retried sign-up after forget: %v", err)
	}
	if err := p.Invite(ctx, day(0), "invite:bob", 1, Signals{Email: bob.Email}); err != nil {
		t.Errorf("retried invitation after forget: %v", err)
	}
	n := len(slices.Collect(recordsOf(t, fs)))
	must(t, p.Forget(ctx, day(4), 2, 99))
	if m := len(slices.Collect(recordsOf(t, fs))); m != n {
		t.Errorf("a second Forget and one of an unknown profile appended %d records", m-n)
	}
	if strings.Contains(fileBytes(t, path), bob.Email) {
		t.Errorf("the retries wrote bob's e-mail again")
	}

	must(t, p.Forget(ctx, day(5), 1))
	for _, v := range []string{ann.Email, ann.Phone, ann.Device, ann.Network} {
		if strings.Contains(heldStrings(p), v) || strings.Contains(fileBytes(t, path), v) {
			t.Errorf("%q survived the referrer's forget", v)
		}
	}
	live := digest(p.st)
	must(t, fs.Close())
	fs, err = OpenFileStore(path, nil)
	must(t, err)
	defer fs.Close()
	q, err := Open(fs, rules)
	must(t, err)
	if diff := cmp.Diff(live, digest(q.st)); diff != "" {
		t.Errorf("reopened state differs (-live +replayed):\n%s", diff)
	}
	if got := q.Balance(day(9), 1); got != before[0] {
		t.Errorf("reopened referrer's balance %v, want %v", got, before[0])
	}
}

// A forget record replayed over a ledger that still holds the signals (its rewrite never
// ran) blanks them, and Open finishes the rewrite.
func TestOpenFinishesAnErasure(t *testing.T) {
	ctx := context.Background()
	mem := &MemStore{}
	p, err := Open(plainStore{mem}, testRules()) // not a Compacter: Forget records, cannot rewrite
	must(t, err)
	code, err := p.IssueCode(ctx, day(0), "c", 1, Signals{}, newSeeded(2))
	must(t, err)
	_, err = p.SignUp(ctx, day(1), "s", 2, string(code), Signals{Email: "gone@x", Device: "dev-gone"})
	must(t, err)
	must(t, p.Forget(ctx, day(2), 2))
	if !strings.Contains(storeText(t, mem), "gone@x") {
		t.Fatal("a store that cannot rewrite lost the signals anyway")
	}
	q, err := Open(mem, testRules())
	must(t, err)
	if s := storeText(t, mem); strings.Contains(s, "gone@x") || strings.Contains(s, "dev-gone") {
		t.Errorf("Open left the erased signals in the store")
	}
	if diff := cmp.Diff(digest(p.st), digest(q.st)); diff != "" {
		t.Errorf("state differs (-before +after reopening):\n%s", diff)
	}
}

// plainStore hides a store's Compact.
type plainStore struct{ Store }

func storeText(t tb, s Store) string {
	var b []byte
	for r := range recordsOf(t, s) {
		b = appendRecord(b, &r)
	}
	return string(b)
}

func TestForgetRefusesBadInput(t *testing.T) {
	p, _ := openMem(t, testRules())
	ctx := context.Background()
	//lint:ignore SA1012 the nil context is the input under test
	nilCtx := p.Forget(nil, day(1), 3)
	for name, err := range map[string]error{
		"profile 0": p.Forget(ctx, day(1), 3, 0),
		"zero time": p.Forget(ctx, time.Time{}, 3),
		"nil ctx":   nilCtx,
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := p.Forget(ctx, day(1)); err != nil {
		t.Errorf("Forget of nobody: %v", err)
	}
	if err := p.Apply(ctx, Record{Kind: KindForget, Key: "f", At: day(1), Profile: 3}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Apply of a forget: %v, want ErrInvalid", err)
	}
	var zero *Program
	if err := zero.Forget(ctx, day(1), 3); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil Program: %v", err)
	}
}

// Forget erases the person: every profile merged into theirs, whichever key names it.
func TestForgetMergedPerson(t *testing.T) {
	ctx := context.Background()
	p, st := openMem(t, testRules(), testClock())
	code, err := p.IssueCode(ctx, day(0), "c", 1, Signals{}, newSeeded(4))
	must(t, err)
	_, err = p.SignUp(ctx, day(1), "s3", 3, string(code), Signals{Email: "three@x", Device: "dev-3"})
	must(t, err)
	_, err = p.IssueCode(ctx, day(0), "code-of-2", 2, Signals{Phone: "+2"}, newSeeded(2))
	must(t, err)
	must(t, p.ApplyMerge(2, 3))
	must(t, p.Forget(ctx, day(2), 3)) // the absorbed key names the survivor's person
	for _, v := range []string{"three@x", "dev-3", "+2"} {
		if strings.Contains(heldStrings(p), v) || strings.Contains(storeText(t, st), v) {
			t.Errorf("%q survived the forget of a merged person", v)
		}
	}
	if r, ok := p.Referrer(2); !ok || r != 1 {
		t.Errorf("referrer of the merged person: %d %v", r, ok)
	}
}

// Forget while other goroutines record events: it waits for their appends and they wait
// for its rewrite; under -race, no record is read while it is blanked.
func TestForgetConcurrentWithEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := OpenFileStore(path, &FileOptions{NoSync: true})
	must(t, err)
	defer fs.Close()
	p, err := Open(fs, testRules())
	must(t, err)
	code, err := p.IssueCode(ctx, day(0), "c", 1, Signals{Email: "ann@x"}, newSeeded(5))
	must(t, err)
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			var err error
			for i := range 50 {
				pr := uint32(100 + g*100 + i)
				if _, e := p.SignUp(ctx, day(1), fmt.Sprint("s", pr), pr, string(code), Signals{Email: fmt.Sprint("p", pr, "@x"), Device: "dev"}); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for i := range 50 {
		must(t, p.Forget(ctx, day(2), uint32(100+i)))
	}
	for range 4 {
		must(t, <-done)
	}
	must(t, p.Forget(ctx, day(3), 100, 101))
	if strings.Contains(fileBytes(t, path), "p100@x") {
		t.Errorf("the file still holds a forgotten e-mail")
	}
	before := digest(p.st)
	q, err := Open(plainStore{fs}, testRules())
	must(t, err)
	if diff := cmp.Diff(before, digest(q.st)); diff != "" {
		t.Errorf("replay differs (-live +replayed):\n%s", diff)
	}
}
