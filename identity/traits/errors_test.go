package traits_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/traits"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// ErrInvalid, open with "traits: " and carry it once, and the failed call must change
// nothing.
func TestErrorPaths(t *testing.T) {
	book := func(p traits.Policy) error { _, err := traits.NewBook(p); return err }
	b, err := traits.NewBook(traits.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	id := identity.ID{Kind: "email", Value: "ann@example.com"}
	badValue := identity.ID{Kind: "email", Value: "ann\xff@example.com"}
	badKind := identity.ID{Kind: "e\xffmail", Value: "ann@example.com"}
	longValue := identity.ID{Kind: "email", Value: strings.Repeat("a", 1<<20)}
	longKind := identity.ID{Kind: strings.Repeat("k", 65), Value: "ann@example.com"}
	ok := traits.Observation{ID: id, Trait: "city", Value: "Leeds", Source: "crm", At: at}
	with := func(f func(*traits.Observation)) error {
		o := ok
		f(&o)
		return b.Observe(o)
	}
	for _, c := range []struct {
		name string
		err  error
		says string // what the message must say, if anything
	}{
		{"NewBook with an unknown rule", book(traits.Policy{Rules: map[string]traits.MergeRule{"city": 9}}), ""},
		{"NewBook with an unknown default", book(traits.Policy{Default: 9}), ""},
		{"NewBook ranking a source twice", book(traits.Policy{Ranking: []string{"crm", "web", "crm"}}), ""},
		{"Observe of an empty identifier", with(func(o *traits.Observation) { o.ID.Value = "" }), "identifier of kind \"email\" has an empty value"},
		{"Observe of an identifier without kind", with(func(o *traits.Observation) { o.ID.Kind = "" }), "identifier \"ann@example.com\" has an empty kind"},
		{"Observe of an empty trait name", with(func(o *traits.Observation) { o.Trait = "" }), "observation of email:ann@example.com: empty trait name"},
		{"Observe of a trait name over MaxTraitLen", with(func(o *traits.Observation) { o.Trait = strings.Repeat("t", traits.MaxTraitLen+1) }), "trait name of 65 bytes, over the 64-byte limit"},
		{"Observe of a trait name not UTF-8", with(func(o *traits.Observation) { o.Trait = "\xff" }), "trait name \"\\xff\" is not valid UTF-8"},
		{"Observe of a value over MaxValueLen", with(func(o *traits.Observation) { o.Value = strings.Repeat("v", traits.MaxValueLen+1) }), "value of 4097 bytes, over the 4096-byte limit"},
		{"Observe of a value not UTF-8", with(func(o *traits.Observation) { o.Value = "\xfe" }), "value \"\\xfe\" is not valid UTF-8"},
		{"Observe of a source over MaxSourceLen", with(func(o *traits.Observation) { o.Source = strings.Repeat("s", traits.MaxSourceLen+1) }), "source of 65 bytes, over the 64-byte limit"},
		{"Observe of a source not UTF-8", with(func(o *traits.Observation) { o.Source = "\xfd" }), "source \"\\xfd\" is not valid UTF-8"},
		{"Observe at the zero time", with(func(o *traits.Observation) { o.At = time.Time{} }), "zero time"},
		{"Observe in the year 3000", with(func(o *traits.Observation) { o.At = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }), "outside the years 1678-2262"},
		{"Observe in the year 1", with(func(o *traits.Observation) { o.At = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) }), "outside the years 1678-2262"},
		// An identifier no resolver can hold was kept, however long: memory held by one
		// call, for an observation Traits could never find.
		{"Observe of an identifier value not UTF-8", with(func(o *traits.Observation) { o.ID = badValue }), `identifier "email:ann\xff@example.com" is not valid UTF-8`},
		{"Observe of an identifier kind not UTF-8", with(func(o *traits.Observation) { o.ID = badKind }), `identifier "e\xffmail:ann@example.com" is not valid UTF-8`},
		{"Observe of an identifier value of 1 MB", with(func(o *traits.Observation) { o.ID = longValue }), `identifier of kind "email" with a value of 1048576 bytes, over the 65535-byte limit`},
		{"Observe of an identifier kind over 64 bytes", with(func(o *traits.Observation) { o.ID = longKind }), "identifier kind of 65 bytes, over the 64-byte limit"},
	} {
		if !errors.Is(c.err, traits.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", c.name, c.err)
			continue
		}
		if msg := c.err.Error(); !strings.HasPrefix(msg, "traits: ") || strings.Count(msg, "traits:") != 1 {
			t.Errorf("%s: %q does not carry the package prefix exactly once, first", c.name, msg)
		}
		if !strings.Contains(c.err.Error(), c.says) {
			t.Errorf("%s: %q does not say %q", c.name, c.err, c.says)
		}
	}
	if got := b.Traits(members{1: {id, badValue, badKind, longValue, longKind}}, 1); len(got) != 0 {
		t.Errorf("refused observations were recorded: %v", got)
	}
}

// members is a one-profile identity.Resolver stand-in for Traits.
type members map[uint32][]identity.ID

func (m members) Identifiers(p uint32) []identity.ID { return m[p] }

// A Book copies its policy: a host that reuses its rules map (for another book, or to
// "update" a rule) must not change how this Book merges the values it already holds, nor
// race with it.
func TestBookCopiesPolicy(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	id := identity.ID{Kind: "email", Value: "ann@example.com"}
	p := traits.Policy{Rules: map[string]traits.MergeRule{"tier": traits.FirstSeen}, Ranking: []string{"crm"}}
	b, err := traits.NewBook(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Observe(traits.Observation{ID: id, Trait: "tier", Value: "gold", Source: "crm", At: at}); err != nil {
		t.Fatal(err)
	}
	p.Rules["tier"] = traits.Union
	p.Ranking[0] = "web"
	if err := b.Observe(traits.Observation{ID: id, Trait: "tier", Value: "silver", Source: "crm", At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := b.Traits(members{1: {id}}, 1)["tier"].Values; len(got) != 1 || got[0] != "gold" {
		t.Errorf("tier = %q after the policy's map changed, want [gold] (first seen)", got)
	}
}

// Erasing a person: Resolver.Forget retires the profile and lets its values be linked
// afresh, so the Book must drop what it observed under them too, or a new account that
// brings the same e-mail would inherit the forgotten person's address. Other people's
// observations stay.
func TestForgetErasesObservations(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	b, err := traits.NewBook(traits.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	ann, ben := identity.ID{Kind: "email", Value: "ann@example.com"}, identity.ID{Kind: "email", Value: "ben@example.com"}
	card := identity.ID{Kind: "loyalty_card", Value: "L-1"}
	p, _ := r.Link(ctx, at, "web", ann, card)
	q, _ := r.Link(ctx, at, "web", ben)
	for _, o := range []traits.Observation{
		{ID: ann, Trait: "address", Value: "1 Main St", Source: "web", At: at},
		{ID: card, Trait: "name", Value: "Ann Lee", Source: "store", At: at},
		{ID: ben, Trait: "address", Value: "2 High St", Source: "web", At: at},
	} {
		if err := b.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	b.Forget(r.Identifiers(p)...)
	if err := r.Forget(ctx, at, p); err != nil {
		t.Fatal(err)
	}
	again, _ := r.Link(ctx, at.Add(time.Hour), "web", ann, card) // someone brings her e-mail and card again
	if got := b.Traits(r, again); len(got) != 0 {
		t.Errorf("a new profile with the forgotten identifiers has the forgotten traits %v", got)
	}
	if got := b.Traits(r, q)["address"].Values; len(got) != 1 || got[0] != "2 High St" {
		t.Errorf("Ben's address after Ann was forgotten = %q", got)
	}
}

// TestMessagesQuoteIdentifiers: Observe's errors show the observation's identifier as
// identity's own messages do (english.Name: quoted when it holds a character that is
// not printable, as it is otherwise). They wrote it raw (ID.String, which is for
// people), so an identifier value with a newline, read from an export, forged a second
// line in the host's log, an escape sequence reached its terminal and a bidi override
// reversed the line.
func TestMessagesQuoteIdentifiers(t *testing.T) {
	b, err := traits.NewBook(traits.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []identity.ID{
		{Kind: "email", Value: "ben@example.com\ntraits: all clear\x1b[2J"},
		{Kind: "ticket", Value: "\u202eC-7"},
		{Kind: "e\nmail", Value: "ben@example.com"},
	} {
		ok := traits.Observation{ID: id, Trait: "city", Value: "Leeds", Source: "crm", At: at}
		for _, f := range []func(*traits.Observation){
			func(o *traits.Observation) { o.Trait = "" },
			func(o *traits.Observation) { o.Trait = strings.Repeat("t", traits.MaxTraitLen+1) },
			func(o *traits.Observation) { o.Trait = "\xff" },
			func(o *traits.Observation) { o.Value = strings.Repeat("v", traits.MaxValueLen+1) },
			func(o *traits.Observation) { o.Value = "\xfe" },
			func(o *traits.Observation) { o.Source = strings.Repeat("s", traits.MaxSourceLen+1) },
			func(o *traits.Observation) { o.Source = "\xfd" },
			func(o *traits.Observation) { o.At = time.Time{} },
			func(o *traits.Observation) { o.At = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) },
		} {
			o := ok
			f(&o)
			err := b.Observe(o)
			if !errors.Is(err, traits.ErrInvalid) {
				t.Fatalf("Observe(%+q): %v, want ErrInvalid", o, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r\x1b\u202e") {
				t.Errorf("Observe's message shows the identifier raw: %+q", msg)
			}
			if want := fmt.Sprintf("%+q", id.Kind) + ":"; strings.ContainsRune(id.Kind, '\n') && !strings.Contains(msg, want) {
				t.Errorf("Observe's message %+q does not quote the kind as %s", msg, want)
			}
		}
	}
}
