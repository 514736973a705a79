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

// sharedState is what a caller can ask a resolver about the identifiers of sharedTail:
// the profile of each, and the identifiers of each profile.
func sharedState(r *identity.Resolver) string {
	var b []byte
	b = fmt.Appendln(b, r.Stats().Profiles)
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

// catchUps opens resolvers on a log in memory for the checks of sharedlogtest, each
// keeping the merges it reports: a CatchUp cancelled part-way stops between two records
// and resumes as an uninterrupted one ends, having reported the same merges
// (CancelledCatchUp); one cancelled as it meets ErrDiverged leaves the rebuild to the
// next (CancelledBeforeRebuild). Every log holds the configuration record first.
var catchUps = sharedlogtest.CatchUps[*identity.Resolver, []byte]{
	Log: func(recs [][]byte) (func() sharedlogtest.Shared[[]byte], func([][]byte)) {
		l := &memLog{recs: recs}
		return func() sharedlogtest.Shared[[]byte] { return l.replica() }, func(recs [][]byte) { l.recs = recs }
	},
	Open: func(t rapid.TB, s sharedlogtest.Shared[[]byte]) (*identity.Resolver, func() string) {
		r, merges := catchUpReplica(t, s)
		return r, func() string { return fmt.Sprint(*merges) }
	},
	State:    sharedState,
	Head:     1,
	Diverged: identity.ErrDiverged,
	Owner:    "resolver",
}

// TestCatchUpCancelled: CatchUp looked at its ctx only when it began, and applied a
// tail of any length holding the resolver's lock: a host's request that gave up could
// not stop it, and every other caller waited. It now stops between two records.
func TestCatchUpCancelled(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	sharedlogtest.CancelledCatchUp(t, catchUps, recs, 1000)
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
		sharedlogtest.CancelledCatchUp(t, catchUps, recs[:n], rapid.IntRange(1, n-1-sharedlog.CheckEvery).Draw(t, "after"))
	})
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
	sharedlogtest.CancelledBeforeRebuild(t, catchUps, recs)
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
	r, _ := catchUpReplica(t, &sharedlogtest.Cancelling[[]byte]{Shared: log.replica(), After: 1000, Cancel: cancel})
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
