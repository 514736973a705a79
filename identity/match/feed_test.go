package match

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// A probabilistic match reaches the resolver as a link of its own kind: Explain shows
// it with its weight, History keeps it, Unmerge undoes it, and the resolver's limits
// still refuse what they refuse.
func TestLinkFeedsResolver(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	ids := []identity.ID{{Kind: "crm_id", Value: "c1"}, {Kind: "crm_id", Value: "c2"}, {Kind: "user_id", Value: "u1"}, {Kind: "user_id", Value: "u2"}, {Kind: "crm_id", Value: "c3"}}
	for _, id := range ids {
		if _, err := r.Link(ctx, at, "crm", id); err != nil {
			t.Fatal(err)
		}
	}
	pairs := []Scored{{0, 1, 12.34}, {2, 3, 20}, {0, 4, -3}}
	merged, err := Link(ctx, r, at.Add(time.Hour), ids, pairs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if merged != 1 {
		t.Fatalf("merged %d, want 1 (c1-c2; two user ids are never one profile; c3 is below threshold)", merged)
	}
	e, err := r.Explain(ids[0], ids[1])
	if err != nil || e.Profile == 0 || len(e.Path) != 1 {
		t.Fatalf("explain: %v %v", e, err)
	}
	if h := e.Path[0]; h.Source != Source || h.Match == nil || h.Match.Weight != 12.34 {
		t.Fatalf("hop %+v: want source %q and weight 12.34", h, Source)
	}
	var matched int
	for en := range r.History() {
		if en.Match != nil {
			matched++
		}
	}
	if matched != 2 { // c1-c2 and the refused u1-u2; c3 is below the threshold
		t.Fatalf("%d matched links in the history, want 2", matched)
	}
	if e, _ := r.Explain(ids[2], ids[3]); e.Profile != 0 || len(e.Refused) == 0 {
		t.Fatalf("user ids: %v", e)
	}
	if _, err := r.Unmerge(ctx, at.Add(2*time.Hour), ids[1]); err != nil {
		t.Fatal(err)
	}
	if a, _ := r.Lookup(ids[0]); func() bool { b, _ := r.Lookup(ids[1]); return a == b }() {
		t.Fatal("Unmerge did not undo the match")
	}
	if e, _ := r.Explain(ids[0], ids[1]); e.Profile != 0 || len(e.Path) != 0 {
		t.Fatalf("after Unmerge Explain still shows the match: %v", e)
	}
	if _, err := Link(ctx, r, at, ids[:2], pairs, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("pair outside ids: %v", err)
	}
	if _, err := Link(ctx, r, at, ids, pairs, math.NaN()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("NaN threshold: %v", err)
	}
	if _, err := Link(ctx, r, at, ids, []Scored{{0, 1, math.Inf(1)}}, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("infinite weight: %v", err)
	}
}

// An identifier the resolver refuses as malformed is refused before anything is
// linked. LinkMatch found it half-way, after the heavier pairs were linked: the call
// failed yet changed the resolver, and repeating it once the export was fixed recorded
// those matches twice. A blocked value is no error: the resolver drops it as Link does.
func TestLinkRefusesMalformedIdentifierFirst(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	ids := []identity.ID{{Kind: "crm_id", Value: "c1"}, {Kind: "cc_id", Value: "k9"}, {Kind: "crm_id", Value: "c2"}, {Kind: "cc_id", Value: "k8\xff"},
		{Kind: "email", Value: "test@test.com"}}
	pairs := []Scored{{0, 1, 20}, {2, 3, 10}, {0, 4, 5}}
	_, err = Link(ctx, r, at, ids, pairs, 0)
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, identity.ErrInvalid) || !strings.HasPrefix(err.Error(), "match: invalid input: link: record 3: ") {
		t.Fatalf("malformed identifier: %v, want match's and identity's ErrInvalid naming record 3", err)
	}
	if st := r.Stats(); st.Records != 0 || st.Identifiers != 0 {
		t.Fatalf("the refused call changed the resolver: %+v", st)
	}
	ids[3].Value = "k8"
	if merged, err := Link(ctx, r, at, ids, pairs, 0); err != nil || merged != 0 {
		t.Fatalf("after the fix: merged %d, %v", merged, err)
	}
	var matched int
	for e := range r.History() {
		if e.Match != nil {
			matched++
		}
	}
	if matched != 3 {
		t.Errorf("%d matched links in the history for 3 pairs linked once", matched)
	}
}
