package referral

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Caller-sized work is bounded (issue 14): Cohorts(..., 1<<40, ...) used to allocate
// until the process died.
func TestCallerSizedWork(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	signups := []Signup{{Profile: 1, At: start}, {Profile: 2, At: start.Add(time.Hour), Referrer: 1}}
	if _, err := ViralGrowth(signups, nil, start, 24*time.Hour, 1<<40, 0.95); !errors.Is(err, ErrInvalid) {
		t.Errorf("Cohorts of 2^40 periods = %v, want ErrInvalid", err)
	}
	if got, err := ViralGrowth(signups, nil, start, 24*time.Hour, 3, 0.95); err != nil || len(got) != 3 {
		t.Errorf("Cohorts of 3 periods: %d cohorts, %v", len(got), err)
	}
}

// TestTextFieldsBounded: an event's order id, code and signals are bounded as its key
// is (512 bytes, no control characters), as loyalty bounds its texts, and a refusal
// quotes at most the start of a long field. An 8 MB order id was recorded, and the
// duplicate's ErrConflict quoted it whole (an 8 MB message); a key of 8 MB was quoted
// whole by its ErrInvalid.
func TestTextFieldsBounded(t *testing.T) {
	ctx := context.Background()
	var store MemStore
	p, err := Open(&store, Rules{ReferrerReward: 100, ReferredReward: 50})
	if err != nil {
		t.Fatal(err)
	}
	at := day(1)
	long := strings.Repeat("x", 1<<20)
	for name, call := range map[string]func() error{
		"order id":   func() error { return p.Order(ctx, at, "o1", 2, long, 100) },
		"order ctl":  func() error { return p.Order(ctx, at, "o2", 2, "A-1\n", 100) },
		"email":      func() error { _, err := p.SignUp(ctx, at, "s1", 3, "", Signals{Email: long}); return err },
		"device ctl": func() error { _, err := p.SignUp(ctx, at, "s2", 3, "", Signals{Device: "d\x00"}); return err },
		"code":       func() error { _, err := p.SignUp(ctx, at, "s3", 3, long, Signals{}); return err },
		"click code": func() error { return p.Click(ctx, at, "c1", 3, long) },
		"key":        func() error { return p.Order(ctx, at, long, 2, "A-2", 100) },
		"apply": func() error {
			return p.Apply(ctx, Record{Kind: KindInvite, Key: "i1", At: at, Profile: 4, Signals: Signals{Phone: long}})
		},
	} {
		err := call()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %.300v, want ErrInvalid", name, err)
		}
		if n := len(fmt.Sprint(err)); n > 400 {
			t.Errorf("%s: a message of %d bytes", name, n)
		}
	}
	for r, err := range store.Records() {
		t.Errorf("recorded %s %q (%v)", r.Kind, r.Key, err)
	}
	if err := p.Order(ctx, at, "o3", 2, strings.Repeat("y", 512), 100); err != nil {
		t.Errorf("an order id of 512 bytes: %v", err)
	}
	// ParseCode and CodeFromLink quote what they refuse the same way.
	_, err = ParseCode(long)
	_, lerr := CodeFromLink("https://x.test/?ref=" + long)
	for _, err := range []error{err, lerr} {
		if !errors.Is(err, ErrCode) || len(err.Error()) > 400 {
			t.Errorf("a 1 MB code: %.300v (%d bytes), want a short ErrCode", err, len(fmt.Sprint(err)))
		}
	}
}
