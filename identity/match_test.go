package identity_test

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// A matched link keeps its weight in memory, in the file store across a reopen and a
// compaction, in views, in History and in the OnMerge report; Unmerge undoes it.
func TestLinkMatchWeightIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	card := identity.ID{Kind: "loyalty_card", Value: "L-1"}
	crm := identity.ID{Kind: "crm_id", Value: "C-1"}
	web := identity.ID{Kind: "email", Value: "ann@example.com"}
	var merges []identity.Merge
	open := func() (*identity.FileStore, *identity.Resolver) {
		s, err := identity.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := identity.New(identity.DefaultRules(), identity.WithStore(s),
			identity.OnMerge(func(m identity.Merge) { merges = append(merges, m) }))
		if err != nil {
			t.Fatal(err)
		}
		return s, r
	}
	s, r := open()
	mustLink(t, r, t0, card)
	mustLink(t, r, t0, crm, web)
	if _, err := r.LinkMatch(ctx, t0.Add(time.Hour), "match", identity.Match{Weight: 13.0625}, card, crm); err != nil {
		t.Fatal(err)
	}
	if len(merges) != 1 || merges[0].Match == nil || merges[0].Match.Weight != 13.0625 || merges[0].Cause != "match" {
		t.Fatalf("merges %v", merges)
	}
	check := func(what string, r interface {
		Explain(a, b identity.ID) (identity.Explanation, error)
	}) {
		t.Helper()
		e, err := r.Explain(card, web)
		if err != nil || len(e.Path) != 2 {
			t.Fatalf("%s: explain %v %v", what, e, err)
		}
		if h := e.Path[0]; h.Match == nil || h.Match.Weight != 13.0625 || h.Source != "match" {
			t.Fatalf("%s: first hop %+v, want the match at 13.0625 bits", what, h)
		}
		if h := e.Path[1]; h.Match != nil {
			t.Fatalf("%s: second hop %+v is a sighting, not a match", what, h)
		}
	}
	check("live", r)
	check("view", r.AsOf(t0.Add(time.Hour)))
	if e, _ := r.AsOf(t0).Explain(card, web); e.Profile != 0 {
		t.Fatalf("view before the match: %v", e)
	}
	s.Close()
	s, r = open()
	check("reopened", r)
	if err := r.Compact(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, r = open()
	defer s.Close()
	check("compacted", r)
	var weights []string
	for e := range r.History() {
		weights = append(weights, fmt.Sprint(e.Match))
	}
	if fmt.Sprint(weights) != "[<nil> <nil> 13.0625 bits]" {
		t.Fatalf("history's matches %v", weights)
	}
	if _, err := r.Unmerge(ctx, t0.Add(2*time.Hour), card); err != nil {
		t.Fatal(err)
	}
	if e, _ := r.Explain(card, web); e.Profile != 0 {
		t.Fatalf("after Unmerge: %v", e)
	}
}

// A weight that is not a number leaves the resolver unchanged.
func TestLinkMatchRefusesNonFiniteWeights(t *testing.T) {
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := r.LinkMatch(ctx, t0, "match", identity.Match{Weight: w}, identity.ID{Kind: "email", Value: "a@b.c"}); !errors.Is(err, identity.ErrInvalid) {
			t.Fatalf("weight %v: %v", w, err)
		}
		bad := []identity.Event{{At: t0, Source: "match", IDs: []identity.ID{{Kind: "email", Value: "a@b.c"}}, Match: &identity.Match{Weight: w}}}
		if _, err := r.LinkBatch(ctx, nil, bad); !errors.Is(err, identity.ErrInvalid) {
			t.Fatalf("LinkBatch, weight %v: %v", w, err)
		}
	}
	if st := r.Stats(); st.Records != 0 || st.Identifiers != 0 {
		t.Fatalf("refused links changed the resolver: %+v", st)
	}
}

// Match.String wrote a negative zero weight as "-0 bits", and History and the OnMerge
// report carry the weight LinkMatch was given, sign and all: a zero says nothing either
// way, and "-0" read as a (tiny) weight against the match.
func TestMatchStringZeroHasNoSign(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, c := range []struct {
		w    float64
		want string
	}{{negZero, "0 bits"}, {0, "0 bits"}, {-0.5, "-0.5 bits"}, {13.0625, "13.0625 bits"}} {
		if got := (identity.Match{Weight: c.w}).String(); got != c.want {
			t.Errorf("Match{%v}.String() = %q, want %q", c.w, got, c.want)
		}
	}
	var merges []identity.Merge
	r, err := identity.New(identity.DefaultRules(), identity.OnMerge(func(m identity.Merge) { merges = append(merges, m) }))
	if err != nil {
		t.Fatal(err)
	}
	a, b := identity.ID{Kind: "loyalty_card", Value: "L-1"}, identity.ID{Kind: "crm_id", Value: "C-1"}
	mustLink(t, r, t0, a)
	mustLink(t, r, t0, b)
	if _, err := r.LinkMatch(ctx, t0.Add(time.Hour), "match", identity.Match{Weight: negZero}, a, b); err != nil {
		t.Fatal(err)
	}
	if len(merges) != 1 || merges[0].Match == nil || merges[0].Match.String() != "0 bits" {
		t.Fatalf("OnMerge reported %+v, want a match of \"0 bits\"", merges)
	}
	var shown []string
	for e := range r.History() {
		if e.Match != nil {
			shown = append(shown, e.Match.String())
		}
	}
	if len(shown) != 1 || shown[0] != "0 bits" {
		t.Fatalf("History shows the match as %q, want [\"0 bits\"]", shown)
	}
}
