package segment

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// mustIndex is NewIndex for tests whose options are known to be good.
func mustIndex(opts ...Option) *Index {
	x, err := NewIndex(opts...)
	if err != nil {
		panic(err)
	}
	return x
}

// TestOptionsRefuseBadValues checks that each option given a bad value makes NewIndex
// fail with ErrInvalid naming the option and the value, rather than clamping it
// (WithRetention(-5) used to be kept as "keep all", issue #14).
func TestOptionsRefuseBadValues(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []Option
		want string // the option and value the message must name
	}{
		{"negative retention", []Option{WithRetention(-5)}, "WithRetention(-5)"},
		{"retention past the snapshot's bound", []Option{WithRetention(MaxRetention + 1)}, "WithRetention(3660001)"},
		{"nil location", []Option{WithLocation(nil)}, "WithLocation(nil)"},
		{"empty numeric field", []Option{WithNumber("", MergeSum)}, `WithNumber("", sum)`},
		{"unknown merge rule", []Option{WithNumber("spend", MergeLast+1)}, `WithNumber("spend", MergeRule(5))`},
		{"field declared with two rules", []Option{WithNumber("spend", MergeSum), WithNumber("spend", MergeMax)}, `WithNumber("spend", max)`},
		{"empty trait key", []Option{WithTraits("plan", "")}, `WithTraits("")`},
		{"empty event name", []Option{WithEvents("visit", "")}, `WithEvents("")`},
		{"nil option", []Option{WithRetention(3), nil}, "option 1 is nil"},
		{"first bad option is named", []Option{WithRetention(-1), WithLocation(nil)}, "WithRetention(-1)"},
	} {
		x, err := NewIndex(c.opts...)
		if !errors.Is(err, ErrInvalid) || x != nil {
			t.Errorf("%s: NewIndex = %v, %v; want nil and ErrInvalid", c.name, x, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Count(msg, "segment:") != 1 {
			t.Errorf("%s: message %q does not name %s with one \"segment:\"", c.name, msg, c.want)
		}
	}
}

// TestOptionsAcceptGoodValues checks the edges that stay valid, and that a field
// declared twice with the same rule is not a conflict.
func TestOptionsAcceptGoodValues(t *testing.T) {
	x, err := NewIndex(WithRetention(0), WithLocation(time.UTC), WithNumber("n", MergeLast), WithNumber("n", MergeLast),
		WithTraits(), WithEvents())
	if err != nil || x.retention != 0 || x.numbers["n"].rule != MergeLast {
		t.Fatalf("NewIndex = %v, %v", x, err)
	}
	if x, err = NewIndex(WithRetention(MaxRetention)); err != nil || x.retention != MaxRetention {
		t.Fatalf("NewIndex(WithRetention(MaxRetention)) = %v, %v", x, err)
	}
	// The largest retention round-trips through a snapshot, which is why it is the bound.
	y, err := ReadSnapshot(snapshotBytes(t, x))
	if err != nil || y.retention != MaxRetention {
		t.Fatalf("snapshot of MaxRetention: %v, %v", y, err)
	}
}
