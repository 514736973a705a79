package identity_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
)

// DefaultRules are the rules to start from; a host changes a kind by copying its
// KindRule out of the map, changing it and putting it back (a KindRule is a value).
// Here national phone numbers are read as British and e-mail addresses are composed
// (NFC) before they are compared, as the DefaultRules doc recommends for a new log.
func ExampleDefaultRules() {
	rules := identity.DefaultRules()
	phone := rules.Kinds["phone"]
	phone.Normalize = identity.PhoneNormalizer("44")
	rules.Kinds["phone"] = phone
	email := rules.Kinds["email"]
	email.Normalize = identity.NFCNormalizer(identity.EmailNormalizer(true))
	rules.Kinds["email"] = email
	r, _ := identity.New(rules)

	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	till, _ := r.Link(ctx, at, "store", identity.ID{Kind: "phone", Value: "07700 900123"})
	web, _ := r.Link(ctx, at, "web", identity.ID{Kind: "phone", Value: "+44 7700 900123"}, identity.ID{Kind: "email", Value: "Anna@Example.com"})
	out, _ := r.Resolve(ctx, at, "web", identity.ID{Kind: "email", Value: "test@example.com"})
	fmt.Println(till, web, r.Identifiers(till))
	fmt.Println(out.Profile, out.Dropped[0].Err)
	// Output:
	// 1 1 [email:anna@example.com phone:+447700900123]
	// 0 identity: identifier 0: blocked value: email "test@example.com"
}

// A phone number is kept in E.164 form: a national number gets the country given, an
// international one keeps its own, and with no country a national number is an error,
// because the resolver does not guess whose number it is. An error drops the identifier
// from the event (Outcome.Dropped) instead of linking on it.
func ExamplePhoneNormalizer() {
	show := func(v string, err error) string {
		if err != nil {
			return err.Error()
		}
		return v
	}
	uk, none := identity.PhoneNormalizer("44"), identity.PhoneNormalizer("")
	for _, v := range []string{"020 7946 0958", "+44 20 7946 0958", "0086 139 1234 5678", "+1 000 000 0000"} {
		fmt.Println(v)
		fmt.Println("  44:", show(uk(v)))
		fmt.Println("  none:", show(none(v)))
	}
	// Output:
	// 020 7946 0958
	//   44: +442079460958
	//   none: phone "020 7946 0958" is a national number and no default country is set
	// +44 20 7946 0958
	//   44: +442079460958
	//   none: +442079460958
	// 0086 139 1234 5678
	//   44: +8613912345678
	//   none: +8613912345678
	// +1 000 000 0000
	//   44: phone "+1 000 000 0000" is a placeholder (repeated digit)
	//   none: phone "+1 000 000 0000" is a placeholder (repeated digit)
}

// A store records the history, and a New over it replays the history into the same
// profiles and keys: here a MemStore, which lives as long as the process does (a test,
// a rebuild); OpenFileStore and identity/pgstore keep it across restarts. Only one live
// resolver may write to a store other than a SharedStore: the second New here replays a
// store whose first resolver is no longer used.
func ExampleWithStore() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	store := &identity.MemStore{}
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(store))
	r.Link(ctx, at, "web", identity.ID{Kind: "anonymous_id", Value: "a1"})
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "anna@example.com"})
	r.Link(ctx, at, "web", identity.ID{Kind: "anonymous_id", Value: "a1"}, identity.ID{Kind: "email", Value: "anna@example.com"})
	fmt.Println("records:", store.Len()) // the configuration record and three links

	replay, _ := identity.New(identity.DefaultRules(), identity.WithStore(store))
	fmt.Println(replay.Current(2), replay.Identifiers(1))
	// Output:
	// records: 4
	// 1 [email:anna@example.com anonymous_id:a1]
}

// The limit keeps one call with a flood of identifiers (a bug, or a hostile client) from
// holding the resolver while it compares them all: the event is refused whole and
// nothing changes.
func ExampleWithEventLimit() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules(), identity.WithEventLimit(3))
	_, err := r.Link(ctx, at, "web",
		identity.ID{Kind: "anonymous_id", Value: "a1"},
		identity.ID{Kind: "anonymous_id", Value: "a2"},
		identity.ID{Kind: "anonymous_id", Value: "a3"},
		identity.ID{Kind: "anonymous_id", Value: "a4"})
	fmt.Println(errors.Is(err, identity.ErrInvalid), err)
	fmt.Println(r.Stats().Identifiers)
	// Output:
	// true identity: link: invalid input: 4 identifiers in one event, over the limit of 3 (WithEventLimit)
	// 0
}

// A person asks to be forgotten: the host calls Forget on the resolver, and OnForget
// passes the retired keys on to the state the host keeps by profile, here a segment
// index, so that no query finds them. The keys include those the person's profile had
// absorbed.
func ExampleOnForget() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	x, _ := segment.NewIndex()
	r, _ := identity.New(identity.DefaultRules(),
		identity.OnMerge(func(m identity.Merge) {
			for _, a := range m.Absorbed {
				x.ApplyMerge(m.Survivor, a)
			}
		}),
		identity.OnForget(func(f identity.Forgotten) {
			fmt.Println("forgotten:", f.Profiles)
			if err := x.Forget(f.Profiles...); err != nil {
				fmt.Println(err)
			}
		}))
	anna, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	x.Record(at, anna, "visit")
	anon, _ := r.Link(ctx, at, "web", identity.ID{Kind: "anonymous_id", Value: "a1"})
	x.Record(at, anon, "visit")
	ben, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "ben@example.com"})
	x.Record(at, ben, "visit")
	r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "anonymous_id", Value: "a1"})

	visitors := segment.Must("count(visit, 30d) >= 1")
	before, _ := x.Eval(ctx, at.Add(time.Hour), visitors, nil)
	r.Forget(ctx, at.Add(time.Hour), anna)
	after, _ := x.Eval(ctx, at.Add(2*time.Hour), visitors, nil)
	fmt.Println("visitors before:", before, "after:", after)
	fmt.Println("the anonymous key now:", r.Current(anon))
	// Output:
	// forgotten: [1 2]
	// visitors before: {1,3} after: {3}
	// the anonymous key now: 0
}

// History is the audit trail of the resolver: every link, with what it dropped and
// refused, every split and every erasure, in the order they happened. After Forget
// the erased values are gone from it too: only their kinds remain.
func ExampleResolver_History() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	show := func() {
		for e := range r.History() {
			fmt.Println(" ", e.At.Format(time.TimeOnly), e.Op, e.Source, e.Linked)
			for _, d := range e.Dropped {
				fmt.Println("    dropped", d.ID.Kind+":", d.Err)
			}
		}
	}
	anna, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "n/a"})
	r.Link(ctx, at.Add(time.Hour), "store", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "+447700900123"})
	fmt.Println("before Forget:")
	show()
	r.Forget(ctx, at.Add(2*time.Hour), anna)
	fmt.Println("after:")
	show()
	// Output:
	// before Forget:
	//   09:00:00 link web [email:anna@example.com]
	//     dropped phone: identity: blocked value
	//   10:00:00 link store [email:anna@example.com phone:+447700900123]
	// after:
	//   09:00:00 link web [email:]
	//     dropped phone: identity: blocked value
	//   10:00:00 link store [email: phone:]
	//   11:00:00 forget  [email: phone:]
}
