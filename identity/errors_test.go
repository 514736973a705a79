package identity_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/google/go-cmp/cmp"
)

// seeded returns a resolver with a little history, over store s if given.
func seeded(t *testing.T, opts ...identity.Option) *identity.Resolver {
	r, err := identity.New(identity.DefaultRules(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	mustLink(t, r, t0, identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "email", Value: "anna@example.com"})
	mustLink(t, r, t0, identity.ID{Kind: "device_id", Value: "d1"})
	return r
}

func everything(r *identity.Resolver) map[string]any {
	s := snapshot(r)
	s["records"] = r.Stats().Records
	s["u1"], _ = r.Lookup(identity.ID{Kind: "user_id", Value: "u1"})
	s["d1"], _ = r.Lookup(identity.ID{Kind: "device_id", Value: "d1"})
	return s
}

func TestLinkBadInput(t *testing.T) {
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	long := strings.Repeat("x", 513)
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		at     time.Time
		source string
		ids    []identity.ID
		want   error
		says   string
	}{
		{"empty kind", ctx, t0, "web", []identity.ID{{Kind: "email", Value: "a@b.c"}, {Kind: "", Value: "x"}}, identity.ErrInvalid, "identifier 1: invalid input: empty kind"},
		{"kind not UTF-8", ctx, t0, "web", []identity.ID{{Kind: "e\xffmail", Value: "x"}}, identity.ErrInvalid, "not valid UTF-8"},
		{"kind too long", ctx, t0, "web", []identity.ID{{Kind: strings.Repeat("k", 65), Value: "x"}}, identity.ErrInvalid, "65 bytes"},
		{"value not UTF-8", ctx, t0, "web", []identity.ID{{Kind: "email", Value: "anna\xc3@example.com"}}, identity.ErrInvalid, `identifier 0: invalid input: email: value "anna\xc3@example.com" is not valid UTF-8`},
		{"value too long", ctx, t0, "web", []identity.ID{{Kind: "device_id", Value: "d2"}, {Kind: "user_id", Value: long}}, identity.ErrInvalid, "identifier 1: invalid input: user_id: value of 513 bytes, over the 512-byte limit"},
		{"no identifiers", ctx, t0, "web", nil, identity.ErrInvalid, "no identifiers"},
		{"zero time", ctx, time.Time{}, "web", []identity.ID{{Kind: "device_id", Value: "d2"}}, identity.ErrInvalid, "outside the years"},
		{"source not UTF-8", ctx, t0, "w\xffb", []identity.ID{{Kind: "device_id", Value: "d2"}}, identity.ErrInvalid, `source "w\xffb" is not valid UTF-8`},
		{"source too long", ctx, t0, strings.Repeat("s", 257), []identity.ID{{Kind: "device_id", Value: "d2"}}, identity.ErrInvalid, "source of 257 bytes, over the 256-byte limit"},
		{"cancelled", cancelled, t0, "web", []identity.ID{{Kind: "device_id", Value: "d2"}}, context.Canceled, "canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s identity.MemStore
			r := seeded(t, identity.WithStore(&s))
			before, n := everything(r), s.Len()
			p, err := r.Link(tc.ctx, tc.at, tc.source, tc.ids...)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) || p != 0 {
				t.Fatalf("Link = %d, %v; want %v saying %q", p, err, tc.want, tc.says)
			}
			if tc.want != context.Canceled {
				prefixOnce(t, err)
			}
			if diff := cmp.Diff(before, everything(r)); diff != "" || s.Len() != n {
				t.Fatalf("a failed Link changed the resolver or its store (-before +after):\n%s", diff)
			}
		})
	}
}

// TestLinkErrorsOpenWithPrefix: Link and LinkBatch errors read "link: ... identity:
// invalid input", the package's name in the middle. They now open with it, once, and
// still match their sentinel, whose text comes before the detail of the leaf.
func TestLinkErrorsOpenWithPrefix(t *testing.T) {
	r := seeded(t)
	bad := []identity.ID{{Kind: "", Value: "x"}}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Link, empty kind", func() error { _, err := r.Link(ctx, t0, "web", bad...); return err }(),
			"identity: link: identifier 0: invalid input: empty kind"},
		{"Link, zero time", func() error {
			_, err := r.Link(ctx, time.Time{}, "web", identity.ID{Kind: "device_id", Value: "d2"})
			return err
		}(), "identity: link: invalid input: time 0001-01-01 00:00:00 +0000 UTC outside the years 1678-2262"},
		{"Link, nil context", func() error {
			//lint:ignore SA1012 a nil context is the caller error under test
			_, err := r.Link(nil, t0, "web", identity.ID{Kind: "device_id", Value: "d2"})
			return err
		}(), "identity: link: invalid input: nil context"},
		{"LinkBatch, empty kind", func() error {
			_, err := r.LinkBatch(ctx, nil, []identity.Event{{At: t0, IDs: []identity.ID{{Kind: "device_id", Value: "d3"}}}, {At: t0, IDs: bad}})
			return err
		}(), "identity: link: identifier 0: invalid input: empty kind (event 1 of the batch)"},
	} {
		if !errors.Is(tc.err, identity.ErrInvalid) || tc.err.Error() != tc.want {
			t.Errorf("%s: %v, want ErrInvalid saying %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestRulesErrors(t *testing.T) {
	for _, rules := range []identity.Rules{
		{Kinds: map[string]identity.KindRule{"": {}}},
		{Kinds: map[string]identity.KindRule{"x": {Limit: 255}}},
		{Kinds: map[string]identity.KindRule{"x": {Limit: -1}}},
		{Kinds: map[string]identity.KindRule{"x": {Blocked: []string{"\xff"}}}},
		{Blocked: []string{"\xff"}},
		{HotLimit: -1},
		{HotLimit: 61},
		{MaxValueLen: 1 << 20},
		{Other: identity.KindRule{Limit: 300}},
	} {
		if _, err := identity.New(rules); !errors.Is(err, identity.ErrInvalid) {
			t.Errorf("New(%+v) = %v, want ErrInvalid", rules, err)
		}
	}
}

func TestNotFound(t *testing.T) {
	r := seeded(t)
	before := everything(r)
	if _, err := r.Unmerge(ctx, t0, identity.ID{Kind: "email", Value: "ben@example.com"}); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("Unmerge of an unknown identifier = %v", err)
	}
	if _, err := r.Unmerge(ctx, t0, identity.ID{Kind: "email", Value: "null"}); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("Unmerge of a blocked value = %v", err)
	}
	if err := r.Forget(ctx, t0, 1, 99); !errors.Is(err, identity.ErrNotFound) || !strings.Contains(err.Error(), "profile 99") {
		t.Fatalf("Forget with an unknown profile = %v", err)
	}
	prefixOnce(t, r.Forget(ctx, t0, 1, 99))
	if _, err := r.Explain(identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "user_id", Value: "nobody"}); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("Explain of an unknown identifier = %v", err)
	}
	if diff := cmp.Diff(before, everything(r)); diff != "" {
		t.Fatalf("failed calls changed the resolver (-before +after):\n%s", diff)
	}
}

func TestTooManyKinds(t *testing.T) {
	r, _ := identity.New(identity.Rules{})
	var err error
	for i := 0; i < 300 && err == nil; i++ {
		_, err = r.Link(ctx, t0, "web", identity.ID{Kind: fmt.Sprint("k", i), Value: "v"})
	}
	if !errors.Is(err, identity.ErrFull) || !strings.Contains(err.Error(), `kind "k255"`) {
		t.Fatalf("the 256th kind: %v", err)
	}
	prefixOnce(t, err)
}

func TestKeyMismatch(t *testing.T) {
	var s identity.MemStore
	seeded(t, identity.WithStore(&s), identity.WithHMAC([]byte("k1")))
	var plain identity.MemStore
	seeded(t, identity.WithStore(&plain))
	// Each message says, in the terms of New's options, what differs and what to pass.
	for _, c := range []struct {
		opts []identity.Option
		says string
	}{
		{[]identity.Option{identity.WithStore(&s), identity.WithHMAC([]byte("k2"))}, "written with another WithHMAC key: pass the key it was written with"},
		{[]identity.Option{identity.WithStore(&s)}, "written with WithHMAC and New was given no key"},
		{[]identity.Option{identity.WithStore(&plain), identity.WithHMAC([]byte("k1"))}, "written without WithHMAC and New was given a key"},
	} {
		_, err := identity.New(identity.DefaultRules(), c.opts...)
		if !errors.Is(err, identity.ErrKeyMismatch) || !strings.Contains(err.Error(), c.says) {
			t.Fatalf("New with another key = %v, want ErrKeyMismatch saying %q", err, c.says)
		}
		prefixOnce(t, err)
	}
	if _, err := identity.New(identity.DefaultRules(), identity.WithStore(&s), identity.WithHMAC([]byte("k1"))); err != nil {
		t.Fatal(err)
	}
}

// failing is a store whose Append or Sync fails on demand.
type failing struct {
	identity.MemStore
	append, sync bool
}

func (f *failing) Append(recs ...[]byte) error {
	if f.append {
		return errors.New("disk full")
	}
	return f.MemStore.Append(recs...)
}

func (f *failing) Records() iter.Seq2[[]byte, error] { return f.MemStore.Records() }

func (f *failing) Sync() error {
	if f.sync {
		return errors.New("I/O error")
	}
	return nil
}

// A store that refuses a record leaves the resolver as it was; one that fails to sync
// after the change leaves it failed, so that nothing more is acknowledged.
func TestStoreFailures(t *testing.T) {
	var merges int
	f := &failing{}
	r := seeded(t, identity.WithStore(f), identity.OnMerge(func(identity.Merge) { merges++ }))
	before := everything(r)
	f.append = true
	if _, err := r.Link(ctx, t0, "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "device_id", Value: "d1"}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Link with a failing store = %v", err)
	}
	if _, err := r.Unmerge(ctx, t0, identity.ID{Kind: "email", Value: "anna@example.com"}); err == nil {
		t.Fatal("Unmerge with a failing store succeeded")
	}
	if err := r.Forget(ctx, t0, 1); err == nil {
		t.Fatal("Forget with a failing store succeeded")
	}
	if diff := cmp.Diff(before, everything(r)); diff != "" {
		t.Fatalf("failed appends changed the resolver (-before +after):\n%s", diff)
	}
	f.append, f.sync = false, true
	if _, err := r.Link(ctx, t0, "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "device_id", Value: "d1"}); err == nil {
		t.Fatal("Link with a failing sync succeeded")
	}
	if merges != 0 {
		t.Fatal("a merge whose record was not durable was reported")
	}
	f.sync = false
	if _, err := r.Link(ctx, t0, "web", identity.ID{Kind: "device_id", Value: "d9"}); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("Link after a failed sync = %v, want the resolver failed", err)
	}
}

// prefixOnce fails t unless err's message names the package exactly once
// (CONVENTIONS.md: the prefix once, however deeply wrapped).
func prefixOnce(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); strings.Count(msg, "identity:") != 1 {
		t.Errorf("%q: want the prefix \"identity:\" exactly once", msg)
	}
}

// A failed Explain returns the zero Explanation; printing it (a log line written
// before the error is checked) must not claim that two empty identifiers are apart.
func TestExplanationZeroString(t *testing.T) {
	r := seeded(t)
	e, err := r.Explain(identity.ID{Kind: "user_id", Value: "u1"}, identity.ID{Kind: "user_id", Value: "nobody"})
	if !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("Explain of an unknown identifier = %v", err)
	}
	for _, x := range []identity.Explanation{e, {}} {
		if got := x.String(); got != "no explanation" {
			t.Errorf("String of the zero Explanation = %q, want %q", got, "no explanation")
		}
	}
}

// An option left nil by a conditional is bad input: New says which one rather than
// panicking.
func TestNilOption(t *testing.T) {
	var maybe identity.Option // set only when, say, a store is configured
	r, err := identity.New(identity.DefaultRules(), identity.WithEventLimit(8), maybe)
	if !errors.Is(err, identity.ErrInvalid) || !strings.Contains(err.Error(), "option 1 is nil") || r != nil {
		t.Fatalf("New with a nil option = %v, %v; want ErrInvalid naming option 1", r, err)
	}
	prefixOnce(t, err)
}
