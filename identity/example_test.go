package identity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// One person seen at the till, on the web shop and at the call centre becomes one
// profile; a second person on the same family tablet does not join it.
func Example() {
	ctx := context.Background()
	rules := identity.DefaultRules()
	phone := rules.Kinds["phone"]
	phone.Normalize = identity.PhoneNormalizer("86") // customers write national numbers
	rules.Kinds["phone"] = phone
	r, _ := identity.New(rules)

	day := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	till, _ := r.Link(ctx, day, "store", identity.ID{Kind: "phone", Value: "139-1234-5678"})
	web, _ := r.Link(ctx, day.Add(24*time.Hour), "web",
		identity.ID{Kind: "user_id", Value: "u1"},
		identity.ID{Kind: "email", Value: " Anna.Li@Gmail.com"},
		identity.ID{Kind: "device_id", Value: "tablet-7"})
	call, _ := r.Link(ctx, day.Add(48*time.Hour), "call_centre",
		identity.ID{Kind: "phone", Value: "0086 139 1234 5678"},
		identity.ID{Kind: "email", Value: "annali@gmail.com"})
	other, _ := r.Link(ctx, day.Add(72*time.Hour), "web",
		identity.ID{Kind: "user_id", Value: "u2"},
		identity.ID{Kind: "device_id", Value: "tablet-7"})

	fmt.Println(till, web, call, other)
	fmt.Println(r.Current(web), r.Identifiers(till))
	// Output:
	// 1 2 1 3
	// 1 [user_id:u1 email:annali@gmail.com phone:+8613912345678 device_id:tablet-7]
}

func ExampleNew() {
	// The zero Rules link everything given: plain connected components.
	plain, _ := identity.New(identity.Rules{})
	// DefaultRules normalise, block junk values, limit identifiers per profile and
	// quarantine hot identifiers.
	safe, _ := identity.New(identity.DefaultRules())

	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []*identity.Resolver{plain, safe} {
		a, _ := r.Link(ctx, at, "web", identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "email", Value: "null"})
		b, _ := r.Link(ctx, at, "web", identity.ID{Kind: "user_id", Value: "u2"}, identity.ID{Kind: "email", Value: "null"})
		fmt.Println(a, b, r.Current(a) == r.Current(b))
	}
	// Output:
	// 1 1 true
	// 1 2 false
}

func ExampleResolver_Link() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules(), identity.OnMerge(func(m identity.Merge) {
		fmt.Printf("merge: %v into %d (%s)\n", m.Absorbed, m.Survivor, m.Cause)
	}))
	anon, _ := r.Link(ctx, at, "web", identity.ID{Kind: "anonymous_id", Value: "c-81f2"}, identity.ID{Kind: "device_id", Value: "d-1"})
	shop, _ := r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "anna@example.com"})
	both, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "Anna@Example.com"}, identity.ID{Kind: "anonymous_id", Value: "c-81f2"})
	fmt.Println(anon, shop, both)
	// Output:
	// merge: [2] into 1 (web)
	// 1 2 1
}

func ExampleResolver_Lookup() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna+shop@gmail.com"})
	fmt.Println(r.Lookup(identity.ID{Kind: "email", Value: "ANNA@gmail.com"})) // gmail ignores +tags
	fmt.Println(r.Lookup(identity.ID{Kind: "email", Value: "ben@gmail.com"}))
	// Output:
	// 1 true
	// 0 false
}

// An audience upload: many identifiers resolved in one call, 0 where none is held.
func ExampleResolver_LookupMany() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "+44 20 7946 0000"})
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "ben@example.com"})
	keys := r.LookupMany(nil,
		identity.ID{Kind: "phone", Value: "+442079460000"},
		identity.ID{Kind: "email", Value: "BEN@example.com"},
		identity.ID{Kind: "email", Value: "carl@example.com"},
		identity.ID{Kind: "email", Value: "not an address"},
	)
	fmt.Println(keys)
	// Output:
	// [1 2 0 0]
}

func ExampleResolver_Explain() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, at, "web", identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "device_id", Value: "tablet"})
	r.Link(ctx, at.Add(time.Hour), "web", identity.ID{Kind: "device_id", Value: "tablet"}, identity.ID{Kind: "anonymous_id", Value: "c-1"})
	r.Link(ctx, at.Add(2*time.Hour), "web", identity.ID{Kind: "user_id", Value: "u2"}, identity.ID{Kind: "anonymous_id", Value: "c-1"})

	e, _ := r.Explain(identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "anonymous_id", Value: "c-1"})
	fmt.Println(e)
	e, _ = r.Explain(identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "user_id", Value: "u2"})
	fmt.Println(e)
	// Output:
	// user_id:u1 and anonymous_id:c-1 are in profile 1
	//   user_id:u1 -- device_id:tablet (web, 2025-03-01T00:00:00Z)
	//   device_id:tablet -- anonymous_id:c-1 (web, 2025-03-01T01:00:00Z)
	// user_id:u1 and user_id:u2 are apart
	//   refused user_id:u2 -- anonymous_id:c-1 (web, 2025-03-01T02:00:00Z): identity: per-profile limit reached: profile would hold 2 user_id identifiers, limit 1
}

func ExampleResolver_Unmerge() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "anna@example.com"})
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "ben@example.com"})
	// The till typed the shop's own number for both customers.
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "+44 20 7946 0000"})
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "ben@example.com"}, identity.ID{Kind: "phone", Value: "+44 20 7946 0000"})
	fmt.Println(r.Identifiers(1))

	s, _ := r.Unmerge(ctx, at.Add(time.Hour), identity.ID{Kind: "phone", Value: "+44 20 7946 0000"})
	fmt.Println(s.Profile, "->", s.Into)
	for _, k := range s.Into {
		fmt.Println(k, r.Identifiers(k))
	}
	// Output:
	// [email:anna@example.com email:ben@example.com phone:+442079460000]
	// 1 -> [1 2 3]
	// 1 [email:anna@example.com]
	// 2 [email:ben@example.com]
	// 3 [phone:+442079460000]
}

func ExampleResolver_Resolve() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, at, "web", identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "device_id", Value: "tablet"})
	out, _ := r.Resolve(ctx, at, "web",
		identity.ID{Kind: "user_id", Value: "u2"},
		identity.ID{Kind: "device_id", Value: "tablet"},
		identity.ID{Kind: "email", Value: "undefined"})
	fmt.Println(out.Profile, out.Created)
	for _, d := range out.Dropped {
		fmt.Println("dropped:", d.Err)
	}
	for _, f := range out.Refused {
		fmt.Println("refused:", f.ID, "--", f.With, ":", f.Err)
	}
	// Output:
	// 2 true
	// dropped: identity: identifier 2: blocked value: email "undefined"
	// refused: device_id:tablet -- user_id:u2 : identity: per-profile limit reached: profile would hold 2 user_id identifiers, limit 1
}

func ExampleOpenFileStore() {
	dir, err := os.MkdirTemp("", "identity")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "identity.log")
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

	s, _ := identity.OpenFileStore(path, nil)
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(s))
	r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "device_id", Value: "d-1"})
	s.Close()

	s, _ = identity.OpenFileStore(path, nil) // a restart: the same profiles and keys
	defer s.Close()
	r, _ = identity.New(identity.DefaultRules(), identity.WithStore(s))
	fmt.Println(r.Lookup(identity.ID{Kind: "device_id", Value: "d-1"}))
	// Output:
	// 1 true
}

func ExampleResolver_Forget() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules(), identity.WithHMAC([]byte("host secret")))
	p, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	fmt.Println(r.Identifiers(p)) // values are kept as HMAC digests
	r.Forget(ctx, at, p)
	fmt.Println(r.Current(p), r.Identifiers(p))
	fmt.Println(r.Lookup(identity.ID{Kind: "email", Value: "anna@example.com"}))
	// Output:
	// [email:7b0e522d5268d8664993cd4a05c1677fe569ceca91bd363d94b704bd9a12ce3c]
	// 0 []
	// 0 false
}

func ExampleResolver_AsOf() {
	ctx, day := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, day, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	r.Link(ctx, day.Add(24*time.Hour), "store", identity.ID{Kind: "phone", Value: "+447700900123"})
	r.Link(ctx, day.Add(48*time.Hour), "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "+447700900123"})

	before := r.AsOf(day.Add(36 * time.Hour))
	fmt.Println(before.Identifiers(1), before.Identifiers(2))
	fmt.Println(r.Identifiers(1), r.Current(2))
	// Output:
	// [email:anna@example.com] [phone:+447700900123]
	// [email:anna@example.com phone:+447700900123] 1
}

// Identifiers lists what a profile holds, normalised, strongest kind first.
func ExampleResolver_Identifiers() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	p, _ := r.Link(ctx, at, "till", identity.ID{Kind: "phone", Value: "+44 20 7946 0958"})
	r.Link(ctx, at.Add(time.Hour), "web",
		identity.ID{Kind: "email", Value: " Anna@Example.com"},
		identity.ID{Kind: "phone", Value: "+442079460958"})
	for _, id := range r.Identifiers(p) {
		fmt.Println(id.Kind, id.Value)
	}
	// Output:
	// email anna@example.com
	// phone +442079460958
}

// LinkBatch links a backfill of events in time order with the effect of Link on each.
func ExampleResolver_LinkBatch() {
	ctx := context.Background()
	r, _ := identity.New(identity.DefaultRules())
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	profiles, err := r.LinkBatch(ctx, nil, []identity.Event{
		{At: at, Source: "web", IDs: []identity.ID{{Kind: "anonymous_id", Value: "a1"}}},
		{At: at.Add(time.Hour), Source: "web", IDs: []identity.ID{{Kind: "anonymous_id", Value: "a1"}, {Kind: "email", Value: "Ann@Example.com"}}},
		{At: at.Add(2 * time.Hour), Source: "store", IDs: []identity.ID{{Kind: "phone", Value: "+44 7700 900123"}}},
		{At: at.Add(3 * time.Hour), Source: "web", IDs: []identity.ID{{Kind: "email", Value: "ann@example.com"}, {Kind: "phone", Value: "+447700900123"}}},
		{At: at.Add(4 * time.Hour), Source: "web", IDs: []identity.ID{{Kind: "", Value: "bad"}}},
	})
	fmt.Println(profiles, err)
	fmt.Println(r.Current(2), r.Identifiers(1))
	// Output:
	// [1 1 2 1] identity: link: identifier 0: invalid input: empty kind (event 4 of the batch)
	// 1 [email:ann@example.com phone:+447700900123 anonymous_id:a1]
}

// A caller that linked on one replica passes the position it got back to another; the
// other catches up when it is behind, and then reads the caller's write. Here both
// "replicas" are one resolver on a MemStore, which is not shared: CatchUp only reports
// the position (see identity/pgstore for a store several processes share).
func ExampleResolver_CatchUp() {
	ctx := context.Background()
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(&identity.MemStore{}))
	r.Link(ctx, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), "web",
		identity.ID{Kind: "anonymous_id", Value: "a1"}, identity.ID{Kind: "email", Value: "ann@example.com"})
	written := r.Position() // the configuration record and the link
	if r.Position() < written {
		r.CatchUp(ctx)
	}
	p, _ := r.Lookup(identity.ID{Kind: "email", Value: "ann@example.com"})
	fmt.Println(written, p)
	// Output: 2 1
}

// A probabilistic match (identity/match) links two accounts that share no identifier;
// the link carries its match weight, which Explain shows.
func ExampleResolver_LinkMatch() {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	till := identity.ID{Kind: "loyalty_card", Value: "L-881"}
	call := identity.ID{Kind: "crm_id", Value: "C-17"}
	r.Link(ctx, at, "store", till)
	r.Link(ctx, at, "call_centre", call)

	r.LinkMatch(ctx, at.Add(time.Hour), "match", identity.Match{Weight: 14.2}, till, call)
	e, _ := r.Explain(till, call)
	fmt.Println(e)
	fmt.Println(e.Path[0].Match)
	// Output:
	// loyalty_card:L-881 and crm_id:C-17 are in profile 1
	//   loyalty_card:L-881 -- crm_id:C-17 (match, matched at 14.2 bits, 2025-05-01T10:00:00Z)
	// 14.2 bits
}

// A backfill streams its history through LinkSeq, which links it in gatherings of a few
// thousand events, as LinkBatch does, without holding the whole history in memory.
func ExampleResolver_LinkSeq() {
	ctx := context.Background()
	r, _ := identity.New(identity.DefaultRules())
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	history := func(yield func(identity.Event) bool) {
		for i := range 10_000 {
			ids := []identity.ID{{Kind: "anonymous_id", Value: fmt.Sprintf("anon-%d", i)},
				{Kind: "email", Value: fmt.Sprintf("user%d@example.com", i%2500)}}
			if !yield(identity.Event{At: day.Add(time.Duration(i) * time.Minute), Source: "web", IDs: ids}) {
				return
			}
		}
	}
	n, err := r.LinkSeq(ctx, history)
	fmt.Println(n, err, r.Stats().Profiles, "profiles")
	// Output:
	// 10000 <nil> 2500 profiles
}

// A backfill whose size the host knows sizes the resolver once, instead of letting its
// identifier index double (and rehash) as it fills; the outcome is the same.
func ExampleWithCapacity() {
	ctx := context.Background()
	// About 12,500 distinct identifiers: 10,000 anonymous ids and 2,500 e-mails.
	r, err := identity.New(identity.DefaultRules(), identity.WithCapacity(12_500))
	if err != nil {
		fmt.Println(err)
		return
	}
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	n, err := r.LinkSeq(ctx, func(yield func(identity.Event) bool) {
		for i := range 10_000 {
			ids := []identity.ID{{Kind: "anonymous_id", Value: fmt.Sprintf("anon-%d", i)},
				{Kind: "email", Value: fmt.Sprintf("user%d@example.com", i%2500)}}
			if !yield(identity.Event{At: day.Add(time.Duration(i) * time.Minute), Source: "web", IDs: ids}) {
				return
			}
		}
	})
	fmt.Println(n, err, r.Stats().Identifiers, "identifiers,", r.Stats().Profiles, "profiles")
	_, err = identity.New(identity.DefaultRules(), identity.WithCapacity(0))
	fmt.Println(err)
	// Output:
	// 10000 <nil> 12500 identifiers, 2500 profiles
	// identity: invalid input: WithCapacity(0): want 1 to 268435455
}

// José signs up on a Mac, whose keyboard may send "e" and a combining accent (NFD), and
// buys at a till that sends "é" as one code point (NFC). With the default e-mail
// normaliser the two spellings are two identifiers and José two profiles; wrapped in
// NFCNormalizer they are one. The default stays as it is because a log keeps the form it
// stored: switching on an existing log would split the NFD addresses it holds from the
// same addresses arriving from then on, unless the log is linked again.
func ExampleNFCNormalizer() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	nfd := identity.ID{Kind: "email", Value: "Jose\u0301@example.com"}
	nfc := identity.ID{Kind: "email", Value: "jos\u00e9@example.com"}

	plain, _ := identity.New(identity.DefaultRules())
	rules := identity.DefaultRules()
	email := rules.Kinds["email"]
	email.Normalize = identity.NFCNormalizer(identity.EmailNormalizer(true))
	rules.Kinds["email"] = email
	composed, _ := identity.New(rules)

	for _, r := range []*identity.Resolver{plain, composed} {
		mac, _ := r.Link(ctx, at, "web", nfd)
		till, _ := r.Link(ctx, at, "store", nfc)
		fmt.Println(mac, till, len(r.Identifiers(mac)))
	}
	fmt.Printf("%+q\n", composed.Identifiers(1))
	// Output:
	// 1 2 1
	// 1 1 1
	// ["email:jos\u00e9@example.com"]
}
