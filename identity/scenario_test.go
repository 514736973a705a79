package identity_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/google/go-cmp/cmp"
)

func id(kind, value string) identity.ID { return identity.ID{Kind: kind, Value: value} }

// The shop's own phone number, typed at the till for customers who give none, merges
// the first customers it meets; once it would join more than HotLimit profiles it is
// quarantined and split off, which gives every customer their profile and key back.
func TestShopPhoneIsQuarantined(t *testing.T) {
	var splits []identity.Split
	r, _ := identity.New(identity.DefaultRules(), identity.OnSplit(func(s identity.Split) { splits = append(splits, s) }))
	shop := id("phone", "+44 20 7946 0000")
	var keys []uint32
	for i := range 8 {
		keys = append(keys, mustLink(t, r, t0, id("email", fmt.Sprintf("c%d@example.com", i))))
	}
	var last identity.Outcome
	for i := range 8 {
		out, err := r.Resolve(ctx, t0.Add(time.Duration(i)*time.Minute), "store", id("email", fmt.Sprintf("c%d@example.com", i)), shop)
		if err != nil {
			t.Fatal(err)
		}
		last = out
	}
	if len(last.Quarantined) != 1 || last.Quarantined[0] != shop {
		t.Fatalf("last till event: %+v, want the shop phone quarantined", last)
	}
	for i, k := range keys {
		if p, _ := r.Lookup(id("email", fmt.Sprintf("c%d@example.com", i))); p != k {
			t.Errorf("customer %d is in profile %d, had %d", i, p, k)
		}
	}
	if p, _ := r.Lookup(shop); slices.Contains(keys, p) {
		t.Errorf("the shop phone is still in a customer's profile %d", p)
	}
	if len(splits) != 1 {
		t.Fatalf("splits reported: %+v", splits)
	}
	e, err := r.Explain(shop, id("email", "c0@example.com"))
	if err != nil || len(e.Quarantined) != 1 || e.Profile != 0 {
		t.Fatalf("Explain = %v, %v", e, err)
	}
	// The till events did link them, and History shows it: the explanation a person
	// reads must not say otherwise.
	want := "phone:+442079460000 and email:c0@example.com are apart: no link joins them (none was recorded, or an Unmerge or a quarantine undid it) and no limit refused one\n" +
		"  phone:+442079460000 is quarantined (hot identifier)"
	if got := e.String(); got != want {
		t.Errorf("Explain reads\n%s\nwant\n%s", got, want)
	}
}

// A family tablet: each member's user id stays apart (user ids are unique), the tablet
// stays with the first, and refusals are recorded.
func TestFamilyTablet(t *testing.T) {
	r, _ := identity.New(identity.DefaultRules())
	tablet := id("device_id", "tablet-7")
	p1 := mustLink(t, r, t0, id("user_id", "mum"), id("email", "mum@example.com"), tablet)
	out, err := r.Resolve(ctx, t0, "web", id("user_id", "kid"), id("email", "kid@example.com"), tablet)
	if err != nil || out.Profile == p1 || len(out.Refused) != 1 || out.Refused[0].ID != tablet {
		t.Fatalf("second member: %+v, %v", out, err)
	}
	want := []identity.ID{id("user_id", "kid"), id("email", "kid@example.com")}
	if diff := cmp.Diff(want, r.Identifiers(out.Profile)); diff != "" {
		t.Fatalf("kid's profile (-want +got):\n%s", diff)
	}
	// An anonymous visit on the tablet joins the tablet's profile: the first member's.
	if p := mustLink(t, r, t0, id("anonymous_id", "c-1"), tablet); p != p1 {
		t.Fatalf("anonymous visit in %d, want %d", p, p1)
	}
}

// A limit refuses the sixth e-mail; it gets a profile of its own.
func TestEmailLimit(t *testing.T) {
	r, _ := identity.New(identity.DefaultRules())
	p := mustLink(t, r, t0, id("user_id", "u1"))
	for i := range 5 {
		if q := mustLink(t, r, t0, id("user_id", "u1"), id("email", fmt.Sprintf("e%d@example.com", i))); q != p {
			t.Fatalf("e-mail %d went to %d", i, q)
		}
	}
	out, _ := r.Resolve(ctx, t0, "web", id("user_id", "u1"), id("email", "e5@example.com"))
	if len(out.Refused) != 1 {
		t.Fatalf("sixth e-mail: %+v", out)
	}
	if q, _ := r.Lookup(id("email", "e5@example.com")); q == p || q == 0 {
		t.Fatalf("sixth e-mail in profile %d", q)
	}
}

// When events come in time order, AsOf(t) is exactly what the resolver held at t
// (except for erasure, which reaches into every view).
func TestAsOfMatchesThePast(t *testing.T) {
	r, _ := identity.New(smallRules())
	var states []map[string]any
	var times []time.Time
	history(t, r, func() {
		states = append(states, snapshot(r))
		times = append(times, t0.Add(time.Duration(len(times))*time.Minute))
	})
	// history stamps its links one minute apart and its final unmerge an hour later.
	times[len(times)-1] = t0.Add(time.Hour)
	for i, at := range times {
		v := r.AsOf(at)
		got := map[string]any{}
		lookup := map[identity.ID]uint32{}
		for _, u := range universe {
			if p, ok := v.Lookup(u); ok {
				lookup[u] = p
			}
		}
		got["lookup"] = lookup
		for k := uint32(1); k < 64; k++ {
			got[fmt.Sprint("current ", k)] = v.Current(k)
			got[fmt.Sprint("ids ", k)] = v.Identifiers(k)
		}
		want := maps(states[i])
		delete(want, "stats")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("AsOf(%v) (-held then +view):\n%s", at, diff)
		}
	}
	if v := r.AsOf(t0.Add(-time.Hour)); v.Identifiers(1) != nil {
		t.Fatal("a view before the first event holds profiles")
	}
}

func maps(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// After Forget, neither the file store nor the resolver's memory holds the value, and a
// view of the past does not show it either.
func TestForgetErases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	s, _ := identity.OpenFileStore(path, nil)
	defer s.Close()
	var forgotten []identity.Forgotten
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(s), identity.OnForget(func(f identity.Forgotten) { forgotten = append(forgotten, f) }))
	p := mustLink(t, r, t0, id("email", "secret.person@example.com"), id("device_id", "d-secret"))
	q := mustLink(t, r, t0, id("email", "other@example.com"))
	mustLink(t, r, t0, id("phone", "+447700900123"), id("email", "secret.person@example.com"))
	older := r.AsOf(t0.Add(time.Minute)) // a view taken before the erasure
	before, _ := os.ReadFile(path)
	if !bytes.Contains(before, []byte("secret.person")) {
		t.Fatal("the test value is not in the file to begin with")
	}
	if err := r.Forget(ctx, t0.Add(time.Hour), p); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	for _, v := range []string{"secret.person", "d-secret", "447700900123"} {
		if bytes.Contains(after, []byte(v)) {
			t.Errorf("%q is still in the store file after Forget", v)
		}
	}
	if !bytes.Contains(after, []byte("other@example.com")) {
		t.Error("Forget erased another person")
	}
	if r.Current(p) != 0 || r.Identifiers(p) != nil || r.AsOf(t0).Identifiers(p) != nil || len(older.Identifiers(p)) != 0 {
		t.Error("the forgotten profile is still visible")
	}
	if _, ok := r.Lookup(id("email", "secret.person@example.com")); ok {
		t.Error("the forgotten e-mail is still found")
	}
	if got, _ := r.Lookup(id("email", "other@example.com")); got != q {
		t.Errorf("the other person moved to %d", got)
	}
	if len(forgotten) != 1 || !slices.Equal(forgotten[0].Profiles, []uint32{p}) {
		t.Errorf("forget reports: %+v", forgotten)
	}
	// The person comes back: a new profile, nothing of the old.
	if np := mustLink(t, r, t0.Add(2*time.Hour), id("email", "secret.person@example.com")); np == p {
		t.Error("a returning person got the forgotten key back")
	}
}

// Under WithHMAC no value reaches the store file in the clear.
func TestHMACStoresNoPlaintext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	s, _ := identity.OpenFileStore(path, nil)
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithHMAC([]byte("k")))
	p := mustLink(t, r, t0, id("email", "anna@example.com"), id("phone", "+447700900123"))
	s.Close()
	b, _ := os.ReadFile(path)
	for _, v := range []string{"anna", "example", "7700900123"} {
		if bytes.Contains(b, []byte(v)) {
			t.Errorf("%q is in the file in the clear", v)
		}
	}
	s, _ = identity.OpenFileStore(path, nil)
	defer s.Close()
	r, _ = identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithHMAC([]byte("k")))
	if q, ok := r.Lookup(id("email", " ANNA@example.com")); !ok || q != p {
		t.Fatalf("lookup after reopening: %d, %v", q, ok)
	}
}

// Concurrent links, reads and history readers (run with -race); merges are reported in
// order, so replaying them onto a plain remapping gives the resolver's own answer. (No
// quarantine here: its splits revive absorbed keys, which a remapping of merges alone
// cannot follow; after a Split a host asks Current.)
func TestConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	remap := map[uint32]uint32{}
	var r *identity.Resolver
	rules := identity.DefaultRules()
	rules.HotLimit = 0
	r, _ = identity.New(rules, identity.OnMerge(func(m identity.Merge) {
		r.Current(m.Survivor) // callbacks may read
		mu.Lock()
		for _, a := range m.Absorbed {
			remap[a] = m.Survivor
		}
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				a := id("device_id", fmt.Sprint("d", (i*7+w)%97))
				b := id("anonymous_id", fmt.Sprint("a", (i*13+w*5)%89))
				if _, err := r.Link(ctx, t0.Add(time.Duration(i)*time.Second), "web", a, b); err != nil {
					t.Error(err)
					return
				}
				r.Lookup(a)
				r.Identifiers(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			for range r.History() {
			}
			r.Explain(id("device_id", "d1"), id("device_id", "d2"))
			r.AsOf(t0.Add(time.Minute)).Identifiers(1)
		}
	}()
	wg.Wait()
	follow := func(k uint32) uint32 {
		for {
			n, ok := remap[k]
			if !ok {
				return k
			}
			k = n
		}
	}
	for k := uint32(1); k <= 200; k++ {
		if c := r.Current(k); c != 0 && follow(k) != c {
			t.Fatalf("merges replayed send %d to %d, Current says %d", k, follow(k), c)
		}
	}
}

// The referral package asks "are these the same person?" through an interface with just
// Current; the resolver must satisfy it.
var _ interface{ Current(uint32) uint32 } = (*identity.Resolver)(nil)

func TestSamePersonThroughCurrent(t *testing.T) {
	r, _ := identity.New(identity.DefaultRules())
	a := mustLink(t, r, t0, id("email", "a@example.com"))
	b := mustLink(t, r, t0, id("device_id", "d1"))
	c := mustLink(t, r, t0, id("device_id", "d2"))
	mustLink(t, r, t0, id("email", "a@example.com"), id("device_id", "d1"))
	same := func(x, y uint32) bool { return r.Current(x) == r.Current(y) && r.Current(x) != 0 }
	if !same(a, b) || same(a, c) || same(0, 0) || same(99, 99) {
		t.Fatalf("same person: a,b %v; a,c %v; 0,0 %v; 99,99 %v", same(a, b), same(a, c), same(0, 0), same(99, 99))
	}
}

// A customer gives her number at the shop's till in ASCII digits and on the web shop,
// from a phone whose keyboard is set to Arabic, in Arabic-Indic digits: the two events
// join one profile by the number. The Arabic-Indic number was dropped as unparseable,
// and the two accounts stayed apart.
func TestPhoneInArabicDigitsLinks(t *testing.T) {
	rules := identity.DefaultRules()
	phone := rules.Kinds["phone"]
	phone.Normalize = identity.PhoneNormalizer("44")
	rules.Kinds["phone"] = phone
	r, err := identity.New(rules)
	if err != nil {
		t.Fatal(err)
	}
	web, err := r.Resolve(ctx, t0, "web", id("email", "layla@example.com"), id("phone", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663"))
	if err != nil || len(web.Dropped) != 0 {
		t.Fatalf("web: %+v, %v; want no identifier dropped", web, err)
	}
	store, err := r.Resolve(ctx, t0.Add(time.Hour), "store", id("loyalty_card", "L-7"), id("phone", "07700 900123"))
	if err != nil {
		t.Fatal(err)
	}
	if store.Profile != web.Profile {
		t.Fatalf("the till's profile %d, the web shop's %d: the number did not join them", store.Profile, web.Profile)
	}
	if got := r.Identifiers(web.Profile); !slices.Contains(got, id("phone", "+447700900123")) {
		t.Fatalf("profile holds %v, want the number stored as +447700900123", got)
	}
}

// The shop's own number on the phone block list stays blocked in any script, whichever
// script the list writes it in: a number read from other digits is checked against the
// block list in its E.164 form, as an ASCII one is. (Before digits of other scripts were
// read, such a number was dropped as unparseable, not as blocked.)
func TestBlockedPhoneInAnyScript(t *testing.T) {
	for _, listed := range []string{"07700 900123", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663"} {
		rules := identity.DefaultRules()
		phone := rules.Kinds["phone"]
		phone.Normalize = identity.PhoneNormalizer("44")
		phone.Blocked = []string{listed}
		rules.Kinds["phone"] = phone
		r, err := identity.New(rules)
		if err != nil {
			t.Fatal(err)
		}
		for _, given := range []string{"07700 900123", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663", "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13"} {
			o, err := r.Resolve(ctx, t0, "store", id("email", "a@x.io"), id("phone", given))
			if err != nil || len(o.Dropped) != 1 || !errors.Is(o.Dropped[0].Err, identity.ErrBlocked) {
				t.Errorf("listed %q, given %q: %+v, %v; want the phone dropped as blocked", listed, given, o.Dropped, err)
			}
		}
	}
}
