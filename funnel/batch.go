package funnel

import (
	"fmt"
	"time"
)

// Batch holds events in columns: the i-th event is profile Profile[i] doing event
// Names[Event[i]] at Time[i] (Unix nanoseconds). Event names are interned, so a Batch
// of a hundred million events is 16 bytes an event and a step is matched once per
// distinct name, not once per event. Events carry no properties.
//
// A Batch must be grouped by profile: each profile's events contiguous (a column store
// ordered by profile, time gives exactly that). Within a profile, events may come in
// any time order. A Batch is not safe for concurrent mutation; reading it from many
// goroutines (as RunBatch does) is safe.
type Batch struct {
	Profile []uint32
	Time    []int64
	Event   []uint32
	Names   []string

	ids map[string]uint32
}

// Len returns the number of events.
func (b *Batch) Len() int { return len(b.Profile) }

// Append adds an event, interning its name. Its properties are dropped.
func (b *Batch) Append(e Event) error {
	t, err := nanos(e.Time)
	if err != nil {
		return fmt.Errorf("funnel: append event %d (profile %d): %w", b.Len(), e.Profile, err)
	}
	b.Profile = append(b.Profile, e.Profile)
	b.Time = append(b.Time, t)
	b.Event = append(b.Event, b.Intern(e.Name))
	return nil
}

// Intern returns the id of name in Names, adding it if it is new.
func (b *Batch) Intern(name string) uint32 {
	if b.ids == nil {
		b.ids = make(map[string]uint32, len(b.Names))
		for i, n := range b.Names {
			if _, dup := b.ids[n]; !dup {
				b.ids[n] = uint32(i)
			}
		}
	}
	if id, ok := b.ids[name]; ok {
		return id
	}
	id := uint32(len(b.Names))
	b.Names = append(b.Names, name)
	b.ids[name] = id
	return id
}

// At returns the i-th event (without properties).
func (b *Batch) At(i int) Event {
	return Event{Profile: b.Profile[i], Time: time.Unix(0, b.Time[i]).UTC(), Name: b.Names[b.Event[i]]}
}

// check verifies that the columns have one length and every name id is in range.
func (b *Batch) check() error {
	n := len(b.Profile)
	if len(b.Time) != n || len(b.Event) != n {
		return fmt.Errorf("%w: columns of different lengths (profile %d, time %d, event %d)", ErrSpec, n, len(b.Time), len(b.Event))
	}
	for i, id := range b.Event {
		if int(id) >= len(b.Names) {
			return fmt.Errorf("funnel: batch event %d: name id %d outside the %d names: %w", i, id, len(b.Names), ErrCorrupt)
		}
	}
	return nil
}

// runs returns the start of each profile's run of events, plus len as a sentinel. It
// fails with ErrUnsorted when a profile's events are not contiguous.
func (b *Batch) runs() ([]int, error) {
	n := len(b.Profile)
	starts := make([]int, 0, n/8+2)
	ascending := true
	for i := 0; i < n; i++ {
		if i == 0 || b.Profile[i] != b.Profile[i-1] {
			if i > 0 && b.Profile[i] < b.Profile[i-1] {
				ascending = false
			}
			starts = append(starts, i)
		}
	}
	if !ascending {
		// Profiles are not in key order, so a repeat can hide anywhere: remember them.
		seen := make(map[uint32]int, len(starts))
		for _, s := range starts {
			p := b.Profile[s]
			if first, dup := seen[p]; dup {
				return nil, fmt.Errorf("%w: profile %d has events at %d and again at %d after other profiles", ErrUnsorted, p, first, s)
			}
			seen[p] = s
		}
	}
	return append(starts, n), nil
}
