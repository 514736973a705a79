package referral

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// forgetStep is one step of a forgetting history: an input event, a Forget of profile
// forget, or a ForgetContact of contact (then ev is unused).
type forgetStep struct {
	ev      Record
	forget  uint32
	contact Signals
}

// erases reports whether the step is a Forget or a ForgetContact.
func (s forgetStep) erases() bool { return s.forget != 0 || s.contact != (Signals{}) }

// forgetRules flag (never block) with every guard, and attribute to the last referrer,
// so that the accounts do not depend on the signals: a programme fed the same events
// without the forgets is the reference for them.
func forgetRules() Rules {
	return Rules{ReferrerReward: 300, ReferredReward: 100, Hold: propHold, Attribution: LastReferrer,
		Guards: Guards{SelfReferral: Flag, Cycle: Ignore, Velocity: Flag,
			PerDevice: RateLimit{Max: 1, Period: 30 * day1}, PerNetwork: RateLimit{Max: 2, Period: 30 * day1}}}
}

const day1 = 24 * 60 * 60 * 1e9

// sigOf is profile p's own value of a kind of signal ('e' e-mail, 'p' phone, 'd'
// device, 'n' network), bracketed so that no value is part of another.
func sigOf(kind byte, p uint32) string { return fmt.Sprintf("<%c%d>", kind, p) }

func genForgetHistory(t *rapid.T) []forgetStep {
	rnd := newSeeded(byte(rapid.IntRange(0, 255).Draw(t, "seed")))
	var evs []Record
	var codes []Code
	for r := uint32(1); r <= 3; r++ {
		c, err := NewCode(rnd)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
		evs = append(evs, Record{Kind: KindCode, Key: fmt.Sprint("code", r), At: day(float64(r - 1)), Profile: r, Code: c,
			Signals: Signals{Email: sigOf('e', r), Phone: sigOf('p', r), Device: sigOf('d', r), Network: sigOf('n', r)}})
	}
	n := rapid.IntRange(1, 6).Draw(t, "people")
	for i := range n {
		p := uint32(10 + i)
		ri := rapid.IntRange(0, 2).Draw(t, "referrer")
		signup := day(float64(rapid.IntRange(3, 20).Draw(t, "signup")))
		pick := func(kind byte, label string) string {
			switch rapid.IntRange(0, 4).Draw(t, label) {
			case 0: // the referrer's: a self-referral
				return sigOf(kind, uint32(ri+1))
			case 1: // another referred person's: velocity
				return sigOf(kind, uint32(10+rapid.IntRange(0, n-1).Draw(t, label+" of")))
			case 2:
				return ""
			}
			return sigOf(kind, p)
		}
		sig := Signals{Email: pick('e', "email"), Phone: pick('p', "phone"), Device: pick('d', "device"), Network: pick('n', "network")}
		if rapid.Bool().Draw(t, "invited") {
			inv := Signals{Email: sigOf('e', p)}
			if rapid.Bool().Draw(t, "by phone") {
				inv = Signals{Phone: sigOf('p', p)}
			}
			evs = append(evs, Record{Kind: KindInvite, Key: fmt.Sprint("invite", i), At: signup.Add(-day1), Profile: uint32(rapid.IntRange(1, 3).Draw(t, "inviter")), Signals: inv})
		}
		evs = append(evs, Record{Kind: KindSignup, Key: fmt.Sprint("signup", i), At: signup, Profile: p, Code: codes[ri], Signals: sig})
		if rapid.Bool().Draw(t, "orders") {
			at := signup.Add(day1 * 1)
			evs = append(evs, Record{Kind: KindOrder, Key: fmt.Sprint("order", i), At: at, Profile: p, Order: fmt.Sprint("O", i), Amount: rapid.Int64Range(1, 1000).Draw(t, "amount")})
			if rapid.Bool().Draw(t, "refunded") {
				evs = append(evs, Record{Kind: KindRefund, Key: fmt.Sprint("refund", i), At: at.Add(day1), Order: fmt.Sprint("O", i)})
			}
		}
	}
	// People invited who never sign up, whose contacts only ForgetContact erases.
	strangers := rapid.IntRange(0, 2).Draw(t, "strangers")
	for k := range strangers {
		inv := Signals{Email: sigOf('e', uint32(50+k))}
		if rapid.Bool().Draw(t, "stranger's phone") {
			inv.Phone = sigOf('p', uint32(50+k))
		}
		evs = append(evs, Record{Kind: KindInvite, Key: fmt.Sprint("invite-stranger", k), At: day(float64(rapid.IntRange(1, 20).Draw(t, "invited at"))),
			Profile: uint32(rapid.IntRange(1, 3).Draw(t, "inviter")), Signals: inv})
	}
	slices.SortStableFunc(evs, func(a, b Record) int { return a.At.Compare(b.At) })
	steps := make([]forgetStep, len(evs))
	for i, ev := range evs {
		steps[i].ev = ev
	}
	for range rapid.IntRange(0, 4).Draw(t, "forgets") {
		at := rapid.IntRange(0, len(steps)).Draw(t, "forget at")
		who := uint32(rapid.SampledFrom([]int{1, 2, 3, 10, 11, 12, 13, 14, 15, 99}).Draw(t, "forgotten"))
		steps = slices.Insert(steps, at, forgetStep{forget: who})
	}
	for range rapid.IntRange(0, 3).Draw(t, "contact forgets") {
		at := rapid.IntRange(0, len(steps)).Draw(t, "contact forget at")
		// A stranger's, an invited person's who signed up (whose sign-up keeps it), or
		// one never invited.
		who := uint32(rapid.SampledFrom([]int{50, 51, 10, 11, 12, 99}).Draw(t, "contact of"))
		var c Signals
		switch rapid.IntRange(0, 2).Draw(t, "contact kind") {
		case 0:
			c.Email = sigOf('e', who)
		case 1:
			c.Phone = sigOf('p', who)
		default:
			c = Signals{Email: sigOf('e', who), Phone: sigOf('p', who)}
		}
		steps = slices.Insert(steps, at, forgetStep{contact: c})
	}
	return steps
}

// forgetModel is the reference: which signals each record keeps, and which values must
// be gone, worked out from the history alone.
type forgetModel struct {
	want      map[string]Signals // record key -> its Signals after every forget
	forbidden []string           // values no record keeps, which Forget erased
}

func modelForget(steps []forgetStep) forgetModel {
	m := forgetModel{want: map[string]Signals{}}
	// Where each input record is, and the forgets of each profile.
	type given struct {
		i   int
		rec Record
	}
	var inputs []given
	forgets := map[uint32][]int{}
	contactForgets := map[int][]string{} // step -> the contacts it names
	var erased []string
	for i, s := range steps {
		switch {
		case s.forget != 0:
			forgets[s.forget] = append(forgets[s.forget], i)
		case s.contact != (Signals{}):
			contactForgets[i] = contacts(s.contact)
			erased = append(erased, s.contact.Email, s.contact.Phone)
		default:
			inputs = append(inputs, given{i, s.ev})
		}
	}
	forgottenAfter := func(p uint32, i int) bool {
		return slices.ContainsFunc(forgets[p], func(j int) bool { return j > i })
	}
	// The values and contacts profile p gave between its forget before j and j.
	gaveBefore := func(p uint32, j int) (vals, cs []string) {
		from := -1
		for _, f := range forgets[p] {
			if f < j {
				from = f
			}
		}
		for _, g := range inputs {
			if g.i > from && g.i < j && g.rec.Profile == p && (g.rec.Kind == KindCode || g.rec.Kind == KindSignup) {
				s := g.rec.Signals
				vals = append(vals, s.Email, s.Phone, s.Device, s.Network)
				cs = append(cs, contacts(s)...)
			}
		}
		return vals, cs
	}
	for p, js := range forgets {
		for _, j := range js {
			v, _ := gaveBefore(p, j)
			erased = append(erased, v...)
		}
	}
	for _, g := range inputs {
		r := g.rec
		kept := r.Signals
		switch r.Kind {
		case KindCode, KindSignup:
			if forgottenAfter(r.Profile, g.i) {
				kept = Signals{}
			}
		case KindInvite:
			for p, js := range forgets {
				for _, j := range js {
					if _, cs := gaveBefore(p, j); j > g.i && slices.ContainsFunc(contacts(r.Signals), func(c string) bool { return slices.Contains(cs, c) }) {
						kept = Signals{}
					}
				}
			}
			for j, cs := range contactForgets {
				if j > g.i && slices.ContainsFunc(contacts(r.Signals), func(c string) bool { return slices.Contains(cs, c) }) {
					kept = Signals{}
				}
			}
		}
		m.want[r.Key] = kept
		if r.Kind == KindSignup {
			// Its attribution carries its device and network.
			a := Signals{Device: kept.Device, Network: kept.Network}
			m.want[r.Key+"\x00attribution"] = a
		}
	}
	held := map[string]bool{}
	for _, s := range m.want {
		for _, v := range []string{s.Email, s.Phone, s.Device, s.Network} {
			held[v] = true
		}
	}
	for _, v := range erased {
		if v != "" && !held[v] && !slices.Contains(m.forbidden, v) {
			m.forbidden = append(m.forbidden, v)
		}
	}
	return m
}

// accounts are what Forget must not change.
func accounts(p *Program) string {
	var b strings.Builder
	for _, pr := range []uint32{1, 2, 3, 10, 11, 12, 13, 14, 15} {
		r, ok := p.Referrer(pr)
		d := p.st.decisionOf(pr)
		fmt.Fprintln(&b, pr, p.Balance(day(60), pr), p.Balance(day(10), pr), r, ok, d.Referrer, d.Blocked, d.Code) // not the reasons: the guards no longer see erased signals
		for _, e := range p.Entries(pr) {
			fmt.Fprintf(&b, "  %+v\n", e)
		}
	}
	fmt.Fprintln(&b, p.Payables(day(60)), len(p.st.invites), p.st.signups)
	return b.String()
}

// TestPropertyForgetMatchesModel runs random programmes with forgets of profiles and of
// contacts (ForgetContact: of people invited who never signed up, of people who did,
// of no one) at random points on a file store or a MemStore, and checks them against
// the reference: every record keeps exactly the
// signals the model says, no erased value is in memory or in the store's bytes, the
// accounts are those of the same programme without the forgets, and a replay of the
// store (and of a copy of its records on a MemStore) gives the same state.
func TestPropertyForgetMatchesModel(t *testing.T) {
	dir := scratchDir(t)
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		steps := genForgetHistory(t)
		// A file store or a MemStore: both rewrite, and the file's case costs ten
		// times more (a new file per Forget), which 10,000 checks under -race feel.
		var store interface {
			Store
			Close() error
		}
		var stored func() string // the store's bytes
		var reopen func() Store
		path := filepath.Join(dir, "ledger.wal")
		if rapid.Bool().Draw(t, "file store") {
			os.Remove(path)
			fs, err := OpenFileStore(path, &FileOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			store, stored = fs, func() string { return fileBytes(t, path) }
			reopen = func() Store {
				fs2, err := OpenFileStore(path, nil)
				if err != nil {
					t.Fatal(err)
				}
				return fs2
			}
		} else {
			mem := &MemStore{}
			store, stored = closingMem{mem}, func() string { return storeText(t, mem) }
			reopen = func() Store { return mem }
		}
		defer store.Close()
		p, err := Open(store, forgetRules())
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := openMem(t, forgetRules())
		for _, s := range steps {
			if s.erases() {
				if err := erase(ctx, p, s); err != nil {
					t.Fatal(err)
				}
				continue
			}
			err := p.Apply(ctx, s.ev)
			if rerr := ref.Apply(ctx, s.ev); (err == nil) != (rerr == nil) {
				t.Fatalf("event %s %q: %v with forgets, %v without", s.ev.Kind, s.ev.Key, err, rerr)
			}
		}
		m := modelForget(steps)
		for key, want := range m.want {
			r := p.st.keys[key]
			if r == nil {
				r = p.st.derived[key]
			}
			if r == nil {
				if strings.HasSuffix(key, "\x00attribution") {
					continue // organic: no attribution
				}
				t.Fatalf("record %q missing", key)
			}
			if r.Signals != want {
				t.Fatalf("record %q keeps %+v, want %+v", key, r.Signals, want)
			}
		}
		if diff := cmp.Diff(accounts(ref), accounts(p)); diff != "" {
			t.Fatalf("accounts changed by the forgets (-without +with):\n%s", diff)
		}
		mem, file := heldStrings(p), stored()
		for _, v := range m.forbidden {
			if strings.Contains(mem, v) {
				t.Fatalf("memory still holds the erased %q", v)
			}
			if strings.Contains(file, v) {
				t.Fatalf("the store still holds the erased %q", v)
			}
		}
		live := digest(p.st)
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		fs2 := reopen()
		if c, ok := fs2.(*FileStore); ok {
			defer c.Close()
		}
		q, err := Open(fs2, forgetRules())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(live, digest(q.st)); diff != "" {
			t.Fatalf("replayed state differs (-live +replayed):\n%s", diff)
		}
		if diff := cmp.Diff(accounts(p), accounts(q)); diff != "" {
			t.Fatalf("replayed accounts differ (-live +replayed):\n%s", diff)
		}
		// The same history without compaction: replaying the old records blanks the
		// same signals, and Open's rewrite gives the same state again.
		raw := &MemStore{}
		var all []Record
		for r := range recordsOf(t, plainStore{fs2}) {
			all = append(all, r)
		}
		if err := raw.Append(all...); err != nil {
			t.Fatal(err)
		}
		r2, err := Open(raw, forgetRules())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(live, digest(r2.st)); diff != "" {
			t.Fatalf("state replayed from a MemStore copy differs (-live +replayed):\n%s", diff)
		}
	})
}

// erase runs a step that erases: Forget of its profile or ForgetContact of its contact.
func erase(ctx context.Context, p *Program, s forgetStep) error {
	if s.forget != 0 {
		if err := p.Forget(ctx, day(30), s.forget); err != nil {
			return fmt.Errorf("forget %d: %w", s.forget, err)
		}
		return nil
	}
	if err := p.ForgetContact(ctx, day(30), s.contact); err != nil {
		return fmt.Errorf("forget contact %+v: %w", s.contact, err)
	}
	return nil
}

// closingMem is a MemStore with the Close a FileStore has.
type closingMem struct{ *MemStore }

func (closingMem) Close() error { return nil }

// TestPropertyForgetReplaysUncompacted records the same histories on a store that cannot
// rewrite: the forget records blank the signals on replay, and Open on a MemStore holding
// those records rewrites it so that no erased value is left in its records.
func TestPropertyForgetReplaysUncompacted(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		steps := genForgetHistory(t)
		mem := &MemStore{}
		p, err := Open(plainStore{mem}, forgetRules())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			if s.erases() {
				if err := erase(ctx, p, s); err != nil {
					t.Fatal(err)
				}
			} else {
				_ = p.Apply(ctx, s.ev)
			}
		}
		q, err := Open(mem, forgetRules())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(digest(p.st), digest(q.st)); diff != "" {
			t.Fatalf("replayed state differs (-live +replayed):\n%s", diff)
		}
		text := storeText(t, mem)
		for _, v := range modelForget(steps).forbidden {
			if strings.Contains(text, v) {
				t.Fatalf("the store still holds the erased %q after Open", v)
			}
		}
	})
}
