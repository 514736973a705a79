package segment

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// Activity is one behavioural event for RecordBatch: Profile did Event at At. It is a
// plain value.
type Activity struct {
	Event   string
	Profile uint32
	At      time.Time
}

// eventLog is the behaviour of one event: a bitmap of the profiles active on each day,
// and for the days expired by retention only the union of who was active.
type eventLog struct {
	days  []*dayBits      // sorted by day
	older *roaring.Bitmap // profiles active on any day before the index's horizon
}

// dayBits is one event on one day. present holds the profiles that did the event; extra
// holds, for each of them, the number of times minus one, so that the common case of
// once a day costs nothing beyond present.
type dayBits struct {
	day     int32
	present *roaring.Bitmap
	extra   *bsi // unsigned; nil until some profile does the event twice in the day
}

func (x *Index) event(name string) *eventLog {
	ev := x.events[name]
	if ev == nil {
		ev = &eventLog{older: roaring.New()}
		x.events[name] = ev
	}
	return ev
}

// at returns the dayBits of day, creating it in order if needed.
func (ev *eventLog) at(day int32) *dayBits {
	i := sort.Search(len(ev.days), func(i int) bool { return ev.days[i].day >= day })
	if i < len(ev.days) && ev.days[i].day == day {
		return ev.days[i]
	}
	d := &dayBits{day: day, present: roaring.New()}
	ev.days = slices.Insert(ev.days, i, d)
	return d
}

// span returns the days in [lo, hi].
func (ev *eventLog) span(lo, hi int32) []*dayBits {
	i := sort.Search(len(ev.days), func(i int) bool { return ev.days[i].day >= lo })
	j := sort.Search(len(ev.days), func(i int) bool { return ev.days[i].day > hi })
	if i >= j {
		return nil
	}
	return ev.days[i:j]
}

// Expire applies the retention (WithRetention) at now: behaviour of days before the
// retained window (the retention days ending with now's day) is dropped, keeping only
// who was active (for did(e), first and lapsed). It returns the number of day bitmaps
// dropped. Without retention it does nothing.
func (x *Index) Expire(now time.Time) int {
	if x.zero() {
		return 0
	}
	if x.retention == 0 {
		return 0
	}
	h := clampDay(int64(dayOf(now, x.loc)) - int64(x.retention) + 1)
	x.lock()
	defer x.mu.Unlock()
	if h <= x.horizon {
		return 0
	}
	x.horizon = h
	dropped := 0
	for _, ev := range x.events {
		old := ev.span(math.MinInt32, h-1)
		if len(old) == 0 {
			continue
		}
		bms := make([]*roaring.Bitmap, 0, len(old)+1)
		bms = append(bms, ev.older)
		for _, d := range old {
			bms = append(bms, d.present)
		}
		ev.older = roaring.FastOr(bms...)
		ev.days = slices.Delete(ev.days, 0, len(old))
		dropped += len(old)
	}
	// No version bump: no query that can still be asked answers differently.
	return dropped
}
