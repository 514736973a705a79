package sharedlog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/clientele-go/clientele/internal/sharedlog"
)

// memLog is a shared log in memory: Lead takes its one writer's lock, Settle commits
// what was appended under it.
type memLog struct {
	lead sync.Mutex
	mu   sync.Mutex // guards recs
	recs []int
	buf  []int
	// fail makes the next Settle fail, committing its records if commit (a connection
	// lost at commit leaves that unknown to the writer).
	fail, commit bool
}

func (m *memLog) Lead(context.Context) error { m.lead.Lock(); return nil }
func (m *memLog) Append(recs ...int) error   { m.buf = append(m.buf, recs...); return nil }
func (m *memLog) Settle() error {
	defer m.lead.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		if m.commit {
			m.recs = append(m.recs, m.buf...)
		}
		m.buf, m.fail = nil, false
		return errors.New("connection lost")
	}
	m.recs, m.buf = append(m.recs, m.buf...), nil
	return nil
}

func (m *memLog) since(pos uint64) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int(nil), m.recs[pos:]...)
}

// replica is an owner: its state is the sum of the log's records.
type replica struct {
	mu  sync.Mutex
	sum int
	log *sharedlog.Log[int]
}

func newReplica(m *memLog) *replica {
	r := &replica{}
	tail := func(_ context.Context, from uint64) (uint64, error) {
		recs := m.since(from)
		for _, v := range recs {
			r.sum += v
		}
		return from + uint64(len(recs)), nil
	}
	r.log = sharedlog.New[int](m, 0, sharedlog.Owner{
		Mu:   &r.mu,
		Tail: tail,
		Reread: func() (uint64, error) {
			r.sum = 0
			return tail(context.Background(), 0)
		},
		ErrDiverged: errors.New("diverged"),
		Errorf:      fmt.Errorf,
		Noun:        "log",
	})
	return r
}

// add decides v on the whole log: the sum it returns counts every replica's records.
func (r *replica) add(v int) (int, error) {
	gen, err := r.log.Lead(context.Background())
	if err != nil {
		return 0, err
	}
	r.sum += v
	err = r.log.Append([]*int{&v})
	sum := r.sum
	r.mu.Unlock()
	if serr := r.log.Unlead(gen, nil); err == nil {
		err = serr
	}
	return sum, err
}

// Two replicas write one log; each decides on every record before its own, and
// CatchUp brings a replica that did not write up to the log's end.
func Example() {
	m := &memLog{}
	a, b := newReplica(m), newReplica(m)
	fmt.Println(a.add(10))
	fmt.Println(b.add(5))
	a.mu.Lock()
	err := a.log.CatchUp(context.Background())
	fmt.Println(a.sum, a.log.Pos, err)
	a.mu.Unlock()
	// Output:
	// 10 <nil>
	// 15 <nil>
	// 15 2 <nil>
}
