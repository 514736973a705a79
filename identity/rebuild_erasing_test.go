package identity

import (
	"context"
	"iter"
	"testing"
)

// plainShared is a SharedStore over a MemStore that cannot rewrite itself (no
// Compact): a Forget's values stay in its log, as in a shared log whose rewrite was
// interrupted.
type plainShared struct{ m MemStore }

func (s *plainShared) Append(recs ...[]byte) error       { return s.m.Append(recs...) }
func (s *plainShared) Records() iter.Seq2[[]byte, error] { return s.m.Records() }
func (s *plainShared) Lead(context.Context) error        { return nil }
func (s *plainShared) Settle() error                     { return nil }
func (s *plainShared) Since(pos uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		i := uint64(0)
		for rec, err := range s.m.Records() {
			if i >= pos && !yield(rec, err) {
				return
			}
			i++
		}
	}
}

// A rebuild from a shared log (after a failed Settle) replays the Forget records whose
// values the log still holds. It kept a copy of each such value in erasing, which
// only New consumes (to finish the erasure), so every rebuild added another copy of
// values a person asked to have erased, for the life of the process.
func TestRebuildKeepsNoErasedValues(t *testing.T) {
	s := &plainShared{}
	r, err := New(DefaultRules(), WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Link(ctxT, t0T, "web", ID{"email", "ann@example.com"}, ID{"user_id", "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Forget(ctxT, t0T, p); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r.mu.Lock()
		err := r.rebuild()
		n := len(r.erasing)
		r.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("after a rebuild the resolver holds %d erased values", n)
		}
	}
	if got, ok := r.Lookup(ID{"email", "ann@example.com"}); ok {
		t.Fatalf("the forgotten e-mail is profile %d after the rebuilds", got)
	}
}
