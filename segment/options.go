package segment

import (
	"fmt"
	"time"
)

// MergeRule says how ApplyMerge combines the values a numeric field holds for the
// profiles being merged into the survivor's single value.
type MergeRule uint8

const (
	// MergeSurvivor keeps the survivor's value; if the survivor has none it takes the
	// value of the first absorbed profile (in argument order) that has one. It is the
	// default, and costs nothing.
	MergeSurvivor MergeRule = iota
	// MergeSum adds the values (lifetime spend, order counts).
	MergeSum
	// MergeMax keeps the largest value (highest tier, latest date as a number).
	MergeMax
	// MergeMin keeps the smallest value (first-seen date as a number).
	MergeMin
	// MergeLast keeps the value that was set most recently by SetNumber or SetNumbers
	// among the merged profiles. The index keeps a write sequence number per profile
	// for such a field (a second bit-sliced index), so it costs memory.
	MergeLast
)

func (r MergeRule) String() string {
	switch r {
	case MergeSurvivor:
		return "survivor"
	case MergeSum:
		return "sum"
	case MergeMax:
		return "max"
	case MergeMin:
		return "min"
	case MergeLast:
		return "last"
	}
	return fmt.Sprintf("MergeRule(%d)", uint8(r))
}

// An Option configures an Index.
type Option func(*config)

type config struct {
	loc       *time.Location
	retention int
	numbers   map[string]MergeRule
	traits    []string
	events    []string
}

func newConfig(opts []Option) config {
	c := config{loc: time.UTC, numbers: map[string]MergeRule{}}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithLocation sets the time zone whose calendar days bucket behaviour (default UTC).
// An event belongs to the day on which it happened in loc; windows count loc's days.
// A snapshot records the location's name; Load and Open find it again with
// time.LoadLocation, so use a named zone ("Asia/Shanghai"), not time.FixedZone.
func WithLocation(loc *time.Location) Option {
	return func(c *config) {
		if loc != nil {
			c.loc = loc
		}
	}
}

// WithRetention keeps behaviour for the given number of days (0, the default, keeps
// all). Expire drops older days; what profiles did on dropped days is still known to
// did(e), first and lapsed, but a window reaching before the retained days is an error
// (ErrRetention), since counts there are gone.
func WithRetention(days int) Option {
	return func(c *config) { c.retention = max(days, 0) }
}

// WithNumber declares a numeric field and the rule by which ApplyMerge combines its
// values (fields not declared use MergeSurvivor). Declared fields are known to queries
// before any value is set.
func WithNumber(field string, rule MergeRule) Option {
	return func(c *config) { c.numbers[field] = rule }
}

// WithTraits declares trait keys (the part before ":" in plan:pro; "tag" for bare
// tags) so that queries may name them before any profile carries them.
func WithTraits(keys ...string) Option {
	return func(c *config) { c.traits = append(c.traits, keys...) }
}

// WithEvents declares event names so that queries may name them before any is recorded.
func WithEvents(names ...string) Option {
	return func(c *config) { c.events = append(c.events, names...) }
}
