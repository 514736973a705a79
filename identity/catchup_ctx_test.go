package identity_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/sharedlog"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// memLog is a shared log in memory standing in for a database that several processes
// write (identity/pgstore is the real one); memShared is one process's
// identity.SharedStore over it.
type memLog struct {
	writer sync.Mutex // held from Lead to Settle: one writer at a time
	mu     sync.Mutex // guards recs
	recs   [][]byte
}

type memShared struct {
	l   *memLog
	buf [][]byte // appended under the lead, written by Settle
	led bool
}

func (l *memLog) replica() *memShared { return &memShared{l: l} }

func (s *memShared) Lead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err // a Lead that fails gets no Settle: it must not hold the lock
	}
	s.l.writer.Lock()
	s.led = true
	return nil
}

func (s *memShared) Settle() error {
	s.l.mu.Lock()
	s.l.recs = append(s.l.recs, s.buf...)
	s.l.mu.Unlock()
	s.buf, s.led = nil, false
	s.l.writer.Unlock()
	return nil
}

func (s *memShared) Append(recs ...[]byte) error {
	for _, r := range recs {
		r = slices.Clone(r) // the caller may reuse it
		if s.led {
			s.buf = append(s.buf, r)
			continue
		}
		s.l.mu.Lock()
		s.l.recs = append(s.l.recs, r)
		s.l.mu.Unlock()
	}
	return nil
}

func (s *memShared) Records() iter.Seq2[[]byte, error] { return s.Since(0) }

func (s *memShared) Since(pos uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		s.l.mu.Lock()
		recs := s.l.recs[min(int(pos), len(s.l.recs)):len(s.l.recs):len(s.l.recs)]
		s.l.mu.Unlock()
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// cancelling is a SharedStore whose next Since calls cancel just before it yields its
// after-th record: a host's deadline that expires while CatchUp applies a long tail.
type cancelling struct {
	identity.SharedStore
	after  int
	cancel func()
}

func (c *cancelling) Since(pos uint64) iter.Seq2[[]byte, error] {
	return sharedlogtest.CancelAfter(c.SharedStore.Since(pos), c.after, c.cancel)
}

// sharedTail is a log of one writer's events, written once for the tests below: the
// configuration record, then the events' records.
var sharedTail = sync.OnceValues(func() ([][]byte, error) {
	log := &memLog{}
	writer, err := identity.New(identity.DefaultRules(), identity.WithStore(log.replica()))
	if err != nil {
		return nil, err
	}
	for i := range tailEvents {
		ids := []identity.ID{
			{Kind: "user_id", Value: fmt.Sprint("u", i%1700)},
			{Kind: "device_id", Value: fmt.Sprint("d", i*7%1300)},
			{Kind: "anonymous_id", Value: fmt.Sprint("a", i)},
		}
		if _, err := writer.Link(ctx, t0.Add(time.Duration(i)*time.Second), "web", ids...); err != nil {
			return nil, err
		}
	}
	return log.recs, nil
})

// tailEvents is how many events sharedTail links; their identifiers overlap, so that
// profiles merge along the log.
const tailEvents = 5000

// tailIDs are identifiers of sharedTail, which sharedState asks about.
var tailIDs = func() []identity.ID {
	var ids []identity.ID
	for i := range tailEvents {
		ids = append(ids, identity.ID{Kind: "user_id", Value: fmt.Sprint("u", i)}, identity.ID{Kind: "anonymous_id", Value: fmt.Sprint("a", i)})
	}
	return ids
}()

// sharedState is what a caller can ask a resolver about the identifiers of sharedTail
// (the profile of each, and the identifiers of each profile), and the merges it
// reported.
func sharedState(r *identity.Resolver, merges []identity.Merge) string {
	var b []byte
	b = fmt.Appendln(b, r.Stats().Profiles, merges)
	seen := map[uint32]bool{}
	for _, id := range tailIDs {
		p, _ := r.Lookup(id)
		b = strconv.AppendUint(append(append(b, id.Value...), ' '), uint64(p), 10)
		if p != 0 && !seen[p] {
			seen[p] = true
			for _, x := range r.Identifiers(p) {
				b = append(append(append(b, ' '), x.Kind...), x.Value...)
			}
		}
		b = append(b, '\n')
	}
	return string(b)
}

// catchUpReplica opens a resolver on s that keeps the merges it reports.
func catchUpReplica(t rapid.TB, s identity.SharedStore) (*identity.Resolver, *[]identity.Merge) {
	t.Helper()
	var merges []identity.Merge
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s), identity.OnMerge(func(m identity.Merge) { merges = append(merges, m) }))
	if err != nil {
		t.Fatal(err)
	}
	return r, &merges
}

// checkCancelledCatchUp: two resolvers hold the configuration record of a log, to
// which another writer then appends the rest of recs. A CatchUp whose ctx is cancelled
// just before the store yields its after-th record stops at a record boundary at most
// sharedlog.CheckEvery records later, with an error wrapping context.Canceled; the
// resolver answers as a replay of that prefix does, and a CatchUp with a live ctx then
// ends where the other resolver's uninterrupted one ends, in the same state, having
// reported the same merges.
func checkCancelledCatchUp(t rapid.TB, recs [][]byte, after int) {
	t.Helper()
	log := &memLog{recs: recs[:1]}
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut, cutMerges := catchUpReplica(t, &cancelling{SharedStore: log.replica(), after: after, cancel: cancel})
	whole, wholeMerges := catchUpReplica(t, log.replica())
	log.recs = recs
	from, end := cut.Position(), uint64(len(recs))

	pos, err := cut.CatchUp(cctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CatchUp cancelled after %d of %d records: %v, want context.Canceled", after, end-from, err)
	}
	cancelled := from + uint64(after) - 1 // records yielded before the cancel
	if pos != cut.Position() || pos < cancelled || pos > cancelled+sharedlog.CheckEvery || pos >= end {
		t.Fatalf("CatchUp cancelled after record %d of %d stopped at %d (Position %d), want a record in [%d, %d]",
			cancelled, end, pos, cut.Position(), cancelled, min(end-1, cancelled+sharedlog.CheckEvery))
	}
	at, _ := catchUpReplica(t, (&memLog{recs: recs[:pos]}).replica())
	if want, got := sharedState(at, nil), sharedState(cut, nil); want != got {
		t.Fatalf("after a CatchUp cancelled at record %d, the resolver differs from a replay of the records before it (-replay +cut):\n%s", pos, cmp.Diff(want, got))
	}

	if pos, err := cut.CatchUp(context.Background()); err != nil || pos != end {
		t.Fatalf("CatchUp after a cancelled one: %d, %v; want %d, nil", pos, err, end)
	}
	if pos, err := whole.CatchUp(context.Background()); err != nil || pos != end {
		t.Fatalf("CatchUp uninterrupted: %d, %v; want %d, nil", pos, err, end)
	}
	if want, got := sharedState(whole, *wholeMerges), sharedState(cut, *cutMerges); want != got {
		t.Fatalf("a CatchUp cancelled and resumed differs from an uninterrupted one (-whole +cut):\n%s", cmp.Diff(want, got))
	}
}

// TestCatchUpCancelled: CatchUp looked at its ctx only when it began, and applied a
// tail of any length holding the resolver's lock: a host's request that gave up could
// not stop it, and every other caller waited. It now stops between two records.
func TestCatchUpCancelled(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	checkCancelledCatchUp(t, recs, 1000)
}

// TestCatchUpCancelledAnywhere: the same, for a tail of any length and whichever record
// the cancel comes before.
func TestCatchUpCancelledAnywhere(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2+sharedlog.CheckEvery, len(recs)).Draw(t, "records")
		checkCancelledCatchUp(t, recs[:n], rapid.IntRange(1, n-1-sharedlog.CheckEvery).Draw(t, "after"))
	})
}

// diverging is a SharedStore whose next Since reports ErrDiverged, as a store does
// after a Settle failed, once cancel has been called: the host gives up as the
// resolver finds it must read the whole log again. It counts the Records calls that
// read it again.
type diverging struct {
	identity.SharedStore
	cancel  func()
	diverge bool
	rereads int
}

func (d *diverging) Since(pos uint64) iter.Seq2[[]byte, error] {
	if !d.diverge {
		return d.SharedStore.Since(pos)
	}
	d.diverge = false
	return func(yield func([]byte, error) bool) {
		d.cancel()
		yield(nil, identity.ErrDiverged)
	}
}

func (d *diverging) Records() iter.Seq2[[]byte, error] {
	d.rereads++
	return d.SharedStore.Records()
}

// TestCatchUpCancelledBeforeRebuild: a CatchUp whose ctx is done when it finds it must
// read the whole log again returns ctx's error without starting the rebuild (which it
// would not interrupt), and the resolver stays marked diverged: the next CatchUp
// rebuilds and ends as one that never diverged. It rebuilt whatever ctx said.
func TestCatchUpCancelledBeforeRebuild(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	log := &memLog{recs: recs[:1]}
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &diverging{SharedStore: log.replica(), cancel: cancel}
	r, _ := catchUpReplica(t, store)
	whole, _ := catchUpReplica(t, log.replica())
	log.recs = recs
	store.diverge, store.rereads = true, 0

	if pos, err := r.CatchUp(cctx); !errors.Is(err, context.Canceled) || pos != 1 || store.rereads != 0 {
		t.Fatalf("CatchUp cancelled as it met ErrDiverged: %d, %v, %d rereads; want 1, context.Canceled, none", pos, err, store.rereads)
	}
	if pos, err := r.CatchUp(context.Background()); err != nil || pos != uint64(len(recs)) || store.rereads != 1 {
		t.Fatalf("CatchUp after it: %d, %v, %d rereads; want %d, nil, 1", pos, err, store.rereads, len(recs))
	}
	whole.CatchUp(context.Background())
	if want, got := sharedState(whole, nil), sharedState(r, nil); want != got {
		t.Fatalf("a resolver rebuilt after a cancelled CatchUp differs from one that never diverged (-whole +rebuilt):\n%s", cmp.Diff(want, got))
	}
}

// TestLinkCancelledInLead: a Link whose ctx is cancelled while its lead applies what
// another writer appended stops there as CatchUp does, records nothing and releases
// the lead; the next Link goes on from that prefix. It applied the whole tail first.
func TestLinkCancelledInLead(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	log := &memLog{recs: recs[:1]}
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _ := catchUpReplica(t, &cancelling{SharedStore: log.replica(), after: 1000, cancel: cancel})
	log.recs = slices.Clip(recs)
	ev := []identity.ID{{Kind: "user_id", Value: "late"}}
	_, err = r.Link(cctx, t0, "web", ev...)
	if pos := r.Position(); !errors.Is(err, context.Canceled) || pos < 1000 || pos > 1000+sharedlog.CheckEvery || len(log.recs) != len(recs) {
		t.Fatalf("Link cancelled in its lead: %v at %d, %d records; want context.Canceled at [1000, %d], %d records", err, pos, len(log.recs), 1000+sharedlog.CheckEvery, len(recs))
	}
	if _, err := r.Link(context.Background(), t0, "web", ev...); err != nil || r.Position() != uint64(len(recs))+1 {
		t.Fatalf("Link after it: %v at %d; want nil at %d", err, r.Position(), len(recs)+1)
	}
}
