package segment

import (
	"fmt"
	"slices"
)

// DeclareEvents declares event names on an index that exists already, as WithEvents
// does for NewIndex, so that queries may name them before any is recorded. It serves an
// index read from a snapshot (Load, Open and ReadSnapshot take no options) whose host
// declares names the snapshot does not hold. Events are known by name alone, so a name
// declared here is the same event as one recorded, declared with WithEvents or read
// from a snapshot: declaring a known name changes nothing. A declared name is written
// to every snapshot like a recorded event and stays known, so that the saved segments
// naming it still resolve when the snapshot is read, whatever the reader declares. An
// empty name is ErrInvalid, and then nothing is declared.
func (x *Index) DeclareEvents(names ...string) error {
	if x.zero() {
		return errZeroIndex
	}
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("%w: DeclareEvents: name %d of %d is empty; nothing declared", ErrInvalid, i+1, len(names))
		}
	}
	x.lock()
	defer x.mu.Unlock()
	for _, n := range names {
		x.event(n)
	}
	return nil
}

// Events returns the names of the events q names (did, count, days, first, lapsed...),
// sorted, each once: the events an index must know before it accepts q. A host that
// receives a definition an index with other declarations accepted (another replica's)
// declares them with DeclareEvents before it saves it.
func (q *Query) Events() []string {
	var names []string
	var walk func(n node)
	walk = func(n node) {
		if a, ok := n.(*actNode); ok {
			names = append(names, a.event)
		}
		eachOperand(n, walk)
	}
	if q != nil && q.root != nil {
		walk(q.root)
	}
	slices.Sort(names)
	return slices.Compact(names)
}
