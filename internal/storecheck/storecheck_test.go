package storecheck

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// counted is a store that counts its Closes; a second Close fails, as the Close of a
// store that is not idempotent may.
type counted struct {
	name   string
	closes int
}

var errClosedTwice = errors.New("closed twice")

// counter is a harness over counted stores that remembers every store it opened.
type counter struct {
	mu     sync.Mutex
	stores []*counted
}

func (c *counter) open(dir string) (*counted, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &counted{name: fmt.Sprintf("store %d on %s", len(c.stores), dir)}
	c.stores = append(c.stores, s)
	return s, nil
}

func (c *counter) close(s *counted) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.closes++; s.closes > 1 {
		return fmt.Errorf("%s: %w", s.name, errClosedTwice)
	}
	return nil
}

func (c *counter) harness(durable bool) Harness[*counted] {
	h := Harness[*counted]{Open: c.open, Close: c.close}
	if durable {
		h.Reopen = c.open
	}
	return h
}

// closedOnce fails t unless every store c opened was closed exactly once.
func (c *counter) closedOnce(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stores {
		if s.closes != 1 {
			t.Errorf("%s closed %d times, want once", s.name, s.closes)
		}
	}
}

// releaseChecks are checks that release and reopen stores in each of the ways the
// suites' checks do, passing and failing.
func releaseChecks() []Check[*counted] {
	ok := func(*counted, int) error { return nil }
	fail := errors.New("the check failed")
	failIn := func(r int) func(*counted, int) error {
		return func(_ *counted, round int) error {
			if round == r {
				return fail
			}
			return nil
		}
	}
	named := func(name string, c Check[*counted]) Check[*counted] {
		c.Name = name
		return c
	}
	return []Check[*counted]{
		{Name: "Passes", Fn: func(Harness[*counted], string, *counted) error { return nil }},
		{Name: "Fails", Fn: func(Harness[*counted], string, *counted) error { return fail }},
		{Name: "Panics", Fn: func(Harness[*counted], string, *counted) error { panic("the store panicked") }},
		{Name: "ReleasesItsStore", Fn: func(h Harness[*counted], _ string, s *counted) error {
			defer h.Release(s)
			return nil
		}},
		{Name: "ReleasesAndReopens", Fn: func(h Harness[*counted], dir string, s *counted) error {
			if h.Reopen == nil {
				return nil
			}
			if err := h.Release(s); err != nil {
				return err
			}
			_, err := h.Reopen(dir)
			return err
		}},
		{Name: "OpensASecond", Fn: func(h Harness[*counted], dir string, s *counted) error {
			s2, err := h.Open(dir + "-second")
			if err != nil {
				return err
			}
			return h.Release(s2)
		}},
		Reopened(ok, ok),
		named("ReopenWriteFailsInRound1", Reopened(failIn(1), ok)),
		named("ReopenHeldFailsInRound0", Reopened(ok, failIn(0))),
	}
}

// TestReleasedOnce runs checks that release and reopen their stores, pass, fail and
// panic, and checks that every store the harness opened was closed exactly once: the
// Reopen check closed its first store a second time at the end, and left the store it
// reopened open when its second write failed.
func TestReleasedOnce(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprintf("durable=%v", durable), func(t *testing.T) {
			var c counter
			for _, check := range releaseChecks() {
				err := All(c.harness(durable), []Check[*counted]{check})
				if errors.Is(err, errClosedTwice) {
					t.Errorf("%s: %v", check.Name, err)
				}
			}
			if len(c.stores) == 0 {
				t.Fatal("no store opened")
			}
			c.closedOnce(t)
		})
	}
}

// TestRunReleasedOnce is TestReleasedOnce through Run, on the checks that pass.
func TestRunReleasedOnce(t *testing.T) {
	var c counter
	var passing []Check[*counted]
	for _, check := range releaseChecks() {
		if err := All(c.harness(true), []Check[*counted]{check}); err == nil {
			passing = append(passing, check)
		}
	}
	if len(passing) < 4 {
		t.Fatalf("%d checks pass, want at least 4", len(passing))
	}
	c = counter{}
	Run(t, c.harness(true), passing)
	c.closedOnce(t)
}

// uncomparable is a store whose type == cannot compare: the suite tells which store a
// check releases without comparing those.
type uncomparable struct {
	c    *counted
	tags []string
}

func TestReleasedOnceUncomparable(t *testing.T) {
	var c counter
	open := func(dir string) (uncomparable, error) {
		s, err := c.open(dir)
		return uncomparable{c: s, tags: []string{dir}}, err
	}
	h := Harness[uncomparable]{Open: open, Reopen: open, Close: func(s uncomparable) error { return c.close(s.c) }}
	ok := func(uncomparable, int) error { return nil }
	if err := All(h, []Check[uncomparable]{Reopened(ok, ok)}); err != nil {
		t.Fatal(err)
	}
	if len(c.stores) != 3 {
		t.Fatalf("%d stores opened, want 3", len(c.stores))
	}
	c.closedOnce(t)
}

// TestCloseFails checks that a store whose Close fails at the end of a check fails the
// check, as it does before a reopen.
func TestCloseFails(t *testing.T) {
	broken := errors.New("the disk is gone")
	h := Harness[*counted]{
		Open:  func(string) (*counted, error) { return &counted{}, nil },
		Close: func(*counted) error { return broken },
	}
	err := All(h, []Check[*counted]{{Name: "Passes", Fn: func(Harness[*counted], string, *counted) error { return nil }}})
	if !errors.Is(err, broken) || !strings.HasPrefix(err.Error(), "storetest: Passes: Close: ") {
		t.Fatalf("All = %v, want the Close error of check Passes", err)
	}
}
