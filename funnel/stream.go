package funnel

import (
	"fmt"
	"iter"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// instant returns the time of e, the i-th event of its input, in Unix nanoseconds. It
// fails, naming the event, when the time is not representable or lies after asOf (the
// zero time: no limit).
func instant(i int, e Event, asOf time.Time) (int64, error) {
	t, err := nanos(e.Time)
	if err == nil && !asOf.IsZero() && e.Time.After(asOf) {
		err = fmt.Errorf("%w: after AsOf %s", ErrTimeRange, asOf)
	}
	if err != nil {
		return 0, errorf("event %d (profile %d): %w", i, e.Profile, err)
	}
	return t, nil
}

// grouped walks a stream that comes grouped by profile, the way Spec.RunSeq,
// Cohorts.RunSeq and Lifecycle.RunSeq consume it: add receives each event with its
// time, and end is called after each profile's last event. A profile that reappears
// after another's events stops the walk with ErrUnsorted; so does a bad timestamp (see
// instant). Memory is a bitmap of the profiles done.
func grouped(events iter.Seq[Event], asOf time.Time, add func(e Event, t int64), end func(profile uint32)) error {
	done := roaring.New()
	var cur uint32
	open := false
	i := 0
	for e := range events {
		if open && e.Profile != cur {
			end(cur)
			done.Add(cur)
			open = false
		}
		if !open {
			if done.Contains(e.Profile) {
				return fmt.Errorf("%w: profile %d reappears at event %d", ErrUnsorted, e.Profile, i)
			}
			cur, open = e.Profile, true
		}
		t, err := instant(i, e, asOf)
		if err != nil {
			return err
		}
		add(e, t)
		i++
	}
	if open {
		end(cur)
	}
	return nil
}
