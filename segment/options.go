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

// String names the rule as its constant without the Merge prefix: "sum", "max"...
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

// An Option configures an Index. An option given a bad value makes NewIndex return
// ErrInvalid naming the option and the value; nothing is silently clamped.
type Option func(*config)

// MaxRetention bounds WithRetention: 100 maximal windows (about ten thousand years),
// the most a snapshot records, so that every index NewIndex makes can be saved and
// loaded again.
const MaxRetention = 100 * MaxWindow

type config struct {
	loc       *time.Location
	retention int
	numbers   map[string]MergeRule
	traits    []string
	events    []string
	err       error // the first bad option's error
}

// fail records the first bad option; later options are still applied but do not
// replace it, so the error names the first mistake in argument order.
func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
}

func newConfig(opts []Option) (config, error) {
	c := config{loc: time.UTC, numbers: map[string]MergeRule{}}
	for i, o := range opts {
		if o == nil {
			c.fail("option %d is nil", i)
			continue
		}
		o(&c)
	}
	return c, c.err
}

// WithLocation sets the time zone whose calendar days bucket behaviour (default UTC).
// An event belongs to the day on which it happened in loc; windows count loc's days.
// A snapshot records the location's name; Load and Open find it again with
// time.LoadLocation, so use a named zone ("Asia/Shanghai"), not time.FixedZone: WriteTo
// and SaveTo refuse (ErrInvalid) a location that time.LoadLocation cannot find, rather
// than write a snapshot that could not be read back. They refuse time.Local too: its
// name is "Local", which a reader would take as its own machine's zone, shifting the
// days if the zones differ, and the process's IANA zone name cannot be found reliably
// to record instead. An index that is never written may use time.Local. A nil loc is
// ErrInvalid (pass time.UTC to say UTC).
func WithLocation(loc *time.Location) Option {
	return func(c *config) {
		if loc == nil {
			c.fail("WithLocation(nil): pass a location such as time.UTC")
			return
		}
		c.loc = loc
	}
}

// WithRetention keeps behaviour for the given number of days (0, the default, keeps
// all). Expire drops older days; what profiles did on dropped days is still known to
// did(e), first and lapsed, but a window reaching before the retained days is an error
// (ErrRetention), since counts there are gone. days outside 0..MaxRetention is
// ErrInvalid.
func WithRetention(days int) Option {
	return func(c *config) {
		if days < 0 || days > MaxRetention {
			c.fail("WithRetention(%d): days must be from 0 (keep all) to %d", days, MaxRetention)
			return
		}
		c.retention = days
	}
}

// WithNumber declares a numeric field and the rule by which ApplyMerge combines its
// values (fields not declared use MergeSurvivor). Declared fields are known to queries
// before any value is set. An empty field, a rule that is not one of the MergeRule
// constants, or a field declared twice with different rules is ErrInvalid.
// Index.DeclareNumber declares a field on an index that exists already.
func WithNumber(field string, rule MergeRule) Option {
	return func(c *config) {
		prev, seen := c.numbers[field]
		switch why := badNumber(field, rule); {
		case why != "":
			c.fail("WithNumber(%q, %v): %s", field, rule, why)
		case seen && prev != rule:
			c.fail("WithNumber(%q, %v): field already declared with rule %v", field, rule, prev)
		default:
			c.numbers[field] = rule
		}
	}
}

// WithTraits declares trait keys (the part before ":" in plan:pro; "tag" for bare
// tags) so that queries may name them before any profile carries them. An empty key
// is ErrInvalid. The WithEvents example declares a trait key, an event and a field.
// Index.DeclareTraits declares keys on an index that exists already.
func WithTraits(keys ...string) Option {
	return func(c *config) {
		for _, k := range keys {
			if k == "" {
				c.fail("WithTraits(%q): empty trait key", k)
				return
			}
		}
		c.traits = append(c.traits, keys...)
	}
}

// WithEvents declares event names so that queries may name them before any is
// recorded. An empty name is ErrInvalid. Index.DeclareEvents declares names on an
// index that exists already.
func WithEvents(names ...string) Option {
	return func(c *config) {
		for _, n := range names {
			if n == "" {
				c.fail("WithEvents(%q): empty event name", n)
				return
			}
		}
		c.events = append(c.events, names...)
	}
}
