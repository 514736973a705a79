package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/identity"
)

// TestMessagesQuoteIdentifiers holds the errors that name an identifier the caller
// passed to showing it as english.Name does: quoted when it holds a character that is
// not printable, as it is otherwise (TestErrorMessages pins the ordinary ones). Printed
// raw, a value with a newline forged a second line in the host's log ("identity: not
// found: unmerge email:ben@example.com" then a line of the caller's choosing), an
// escape sequence reached the terminal, and a bidi override reversed the line.
func TestMessagesQuoteIdentifiers(t *testing.T) {
	r := seeded(t)
	u1 := identity.ID{Kind: "user_id", Value: "u1"}
	forged := identity.ID{Kind: "email", Value: "ben@example.com\nidentity: all clear\x1b[2J"}
	bidi := identity.ID{Kind: "ticket", Value: "\u202eC-7"}
	tabbed := identity.ID{Kind: "e\tmail", Value: "x"}

	odd := identity.ID{Kind: "k\ny", Value: "1"}
	r2, err := identity.New(identity.Rules{Blocked: []string{"null"}, Other: identity.KindRule{Limit: 1, Normalize: func(v string) (string, error) {
		if v == "bad" {
			return "", errors.New("not a value")
		}
		return v, nil
	}}})
	if err != nil {
		t.Fatal(err)
	}
	mustLink(t, r2, t0, u1, odd)
	res, err := r2.Resolve(ctx, t0, "web", u1, identity.ID{Kind: odd.Kind, Value: "2"}, identity.ID{Kind: odd.Kind, Value: "null"}, identity.ID{Kind: odd.Kind, Value: "bad"})
	if err != nil || len(res.Refused) != 1 || len(res.Dropped) != 2 {
		t.Fatalf("Resolve = %+v, %v; want one refusal and two drops", res, err)
	}

	for _, c := range []struct {
		name string
		err  error
		want error
		says string
	}{
		{"Unmerge of a value with a newline and ESC", second(r.Unmerge(ctx, t0, forged)), identity.ErrNotFound, `identity: not found: unmerge email:"ben@example.com\nidentity: all clear\x1b[2J"`},
		{"Unmerge of a value with U+202E", second(r.Unmerge(ctx, t0, bidi)), identity.ErrNotFound, `identity: not found: unmerge ticket:"\u202eC-7"`},
		{"Explain of a value with a newline, second", second(r.Explain(u1, forged)), identity.ErrNotFound, `identity: not found: explain email:"ben@example.com\nidentity: all clear\x1b[2J"`},
		{"Explain of a kind with a tab, first", second(r.Explain(tabbed, u1)), identity.ErrNotFound, `identity: not found: explain "e\tmail":x`},
		{"View.Explain of a value with a newline", second(r.AsOf(t0).Explain(u1, forged)), identity.ErrNotFound, `identity: not found: explain email:"ben@example.com\nidentity: all clear\x1b[2J"`},
		{"Explain of a value not UTF-8", second(r.Explain(u1, identity.ID{Kind: "email", Value: "a\xffb"})), identity.ErrNotFound, `identity: not found: explain email:"a\xffb"`},
		{"Link of a long value of a kind with a newline", second(r.Link(ctx, t0, "web", identity.ID{Kind: odd.Kind, Value: strings.Repeat("x", 513)})), identity.ErrInvalid, `identity: link: identifier 0: invalid input: "k\ny": value of 513 bytes, over the 512-byte limit`},
		{"a Refusal of a kind with a newline", res.Refused[0].Err, identity.ErrLimit, `identity: per-profile limit reached: profile would hold 2 "k\ny" identifiers, limit 1`},
		{"a Drop of a blocked value of a kind with a newline", res.Dropped[0].Err, identity.ErrBlocked, `identity: identifier 2: blocked value: "k\ny" "null"`},
		{"a Drop of an unparseable value of a kind with a newline", res.Dropped[1].Err, identity.ErrUnparseable, `identity: identifier 3: unparseable value: "k\ny": not a value`},
		{"Canonical of a blocked value of a kind with a newline", second(r2.Canonical(identity.ID{Kind: odd.Kind, Value: "null"})), identity.ErrBlocked, `identity: canonical: blocked value: "k\ny" "null"`},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		if got := c.err.Error(); got != c.says {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.says)
		}
	}

	// A value Explain was given is not checked, so it may be longer than any held one:
	// it is cut to the widest a held value may be, on one line, its length said.
	long := identity.ID{Kind: "email", Value: strings.Repeat("x", 70000) + "\n"}
	got := second(r.Explain(u1, long)).Error()
	if !errors.Is(second(r.Explain(u1, long)), identity.ErrNotFound) || strings.ContainsAny(got, "\n\x1b") || len(got) > 66000 || !strings.Contains(got, "70001") {
		t.Errorf("Explain of a 70,001-byte value: %d-byte message %.80q...%q; want one line, cut, its length said", len(got), got, got[max(0, len(got)-40):])
	}
}
