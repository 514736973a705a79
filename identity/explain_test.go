package identity_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// Explanation.String printed a matched hop's weight with %.1f: 7.25 bits as "7.2
// bits", which History and Hop.Match.String give as 7.25, and -0.04 as "-0.0 bits".
// It writes the weight as Match.String does, and a zero without its sign.
func TestExplanationWeightExact(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		weight float64
		says   string
	}{
		{7.25, "matched at 7.25 bits"},
		{-0.04, "matched at -0.04 bits"},
		{math.Copysign(0, -1), "matched at 0 bits"},
		{13.0625, "matched at 13.0625 bits"},
		{-3, "matched at -3 bits"},
	} {
		r, err := identity.New(identity.DefaultRules())
		if err != nil {
			t.Fatal(err)
		}
		a, b := identity.ID{Kind: "loyalty_card", Value: "L-881"}, identity.ID{Kind: "crm_id", Value: "C-17"}
		if _, err := r.LinkMatch(ctx, at, "match", identity.Match{Weight: c.weight}, a, b); err != nil {
			t.Fatal(err)
		}
		e, err := r.Explain(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if s := e.String(); !strings.Contains(s, "(match, "+c.says+", 2025-05-01T09:00:00Z)") {
			t.Errorf("weight %v: %q does not say %q", c.weight, s, c.says)
		}
	}
}

// Explanation.String printed identifiers' kinds and values and the events' sources as
// they came: a value with a newline forged a hop of its own, a bidirectional override
// reversed the rest of its line on the reader's terminal, and an escape sequence
// reached the terminal raw. Each now reads as internal/english.Name shows a name from
// data: as it is when printable (ExampleResolver_Explain's output is unchanged), quoted
// with Go's escapes when not.
func TestExplanationQuotesData(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	link := func(at time.Time, source string, ids ...identity.ID) {
		t.Helper()
		if _, err := r.Link(ctx, at, source, ids...); err != nil {
			t.Fatal(err)
		}
	}
	// Together: a path of one hop.
	ticket := identity.ID{Kind: "ticket", Value: "T-1\n  forged -- hop"}
	crm := identity.ID{Kind: "crm\nid", Value: "\u202eC-7"}
	link(at, "import\x1b[2J", ticket, crm)
	// Apart: user_id's limit of 1 refused the second user.
	u1, u2 := identity.ID{Kind: "user_id", Value: "u\t1"}, identity.ID{Kind: "user_id", Value: "u2"}
	cookie := identity.ID{Kind: "anonymous_id", Value: "c\u202e1"}
	link(at, "web", u1, cookie)
	link(at.Add(time.Hour), "store\r", u2, cookie)
	// Quarantined: a value that joins more than HotLimit (5) profiles, one event at a
	// time, as a shop's own phone number typed at the till does.
	hot := identity.ID{Kind: "anonymous_id", Value: "h\x07t"}
	for i := range 7 {
		customer := identity.ID{Kind: "email", Value: fmt.Sprintf("c%d@example.com", i)}
		link(at, "web", customer)
		link(at.Add(time.Duration(i)*time.Minute), "web", customer, hot)
	}
	c0 := identity.ID{Kind: "email", Value: "c0@example.com"}

	for _, c := range []struct {
		a, b identity.ID
		want string
	}{
		{ticket, crm, `ticket:"T-1\n  forged -- hop" and "crm\nid":"\u202eC-7" are in profile 1` + "\n" +
			`  ticket:"T-1\n  forged -- hop" -- "crm\nid":"\u202eC-7" ("import\x1b[2J", 2025-05-01T09:00:00Z)`},
		{u1, u2, `user_id:"u\t1" and user_id:u2 are apart` + "\n" +
			`  refused user_id:u2 -- anonymous_id:"c\u202e1" ("store\r", 2025-05-01T10:00:00Z): identity: per-profile limit reached: profile would hold 2 user_id identifiers, limit 1`},
		{hot, c0, `anonymous_id:"h\at" and email:c0@example.com are apart: no link joins them (none was recorded, or an Unmerge or a quarantine undid it) and no limit refused one` + "\n" +
			`  anonymous_id:"h\at" is quarantined (hot identifier)`},
	} {
		e, err := r.Explain(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.String(); got != c.want {
			t.Errorf("Explain(%q, %q) says\n%s\nwant\n%s", c.a, c.b, got, c.want)
		}
	}
}

// Quoting must not cut: a printable value as long as Rules.MaxValueLen allows (65535
// bytes, in characters two columns wide) is shown whole, as it was.
func TestExplanationKeepsLongValues(t *testing.T) {
	rules := identity.DefaultRules()
	rules.MaxValueLen = 65535
	r, err := identity.New(rules)
	if err != nil {
		t.Fatal(err)
	}
	long := identity.ID{Kind: "note", Value: strings.Repeat("名", 65535/3)}
	other := identity.ID{Kind: "crm_id", Value: "C-1"}
	if _, err := r.Link(context.Background(), time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC), "web", long, other); err != nil {
		t.Fatal(err)
	}
	e, err := r.Explain(long, other)
	if err != nil {
		t.Fatal(err)
	}
	if want := long.String() + " -- " + other.String() + " (web, "; !strings.Contains(e.String(), want) {
		t.Errorf("the explanation does not show the %d-byte value whole", len(long.Value))
	}
}
