package segment

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele"
)

// saved is a saved segment: its definition and its members as of the last Refresh.
type saved struct {
	q       *Query
	members *roaring.Bitmap
}

// maxNameLen bounds the length of a saved segment's name.
const maxNameLen = 256

// Save saves q under name, replacing any earlier definition; queries may then
// reference it as segment:name. The query is checked as Eval would check it (names,
// types, windows against retention) and must not reference name, directly or through
// other segments (ErrCycle). A new segment starts with no members, so its first
// Refresh reports everyone in it as entered; a redefined one keeps its members, so the
// next Refresh reports the difference the new definition makes.
func (x *Index) Save(name string, q *Query) error {
	return x.save("save", name, q, false)
}

// Recreate saves q under name as a new segment, as Delete and then Save would: the
// segment starts with no members, so its next Refresh reports everyone in it as
// entered, and no change is reported of the segment it replaces. Unlike Delete, it
// accepts a segment that other saved segments reference: they reference the new one,
// and keep their own members. q is checked as Save checks it, and a refused q changes
// nothing. A host that keeps definitions elsewhere calls it when another process
// deleted a segment and saved one of the same name, which the referencing segments
// (unchanged, or changed back) kept it from deleting. Without a segment of the name,
// it is Save.
func (x *Index) Recreate(name string, q *Query) error {
	return x.save("recreate", name, q, true)
}

// save is Save, or Recreate if renew.
func (x *Index) save(op, name string, q *Query, renew bool) error {
	if x.zero() {
		return errZeroIndex
	}
	if name == "" || len(name) > maxNameLen || !utf8.ValidString(name) {
		return fmt.Errorf("%w: %s %q: name must be 1 to %d bytes of UTF-8", ErrInvalid, op, name, maxNameLen)
	}
	if q == nil || q.root == nil {
		return fmt.Errorf("%w: %s %q: nil query", ErrInvalid, op, name)
	}
	x.lock()
	defer x.mu.Unlock()
	c := x.newChecker(0, false)
	c.stack = []string{name}
	if _, err := c.check(q.root, 0); err != nil {
		return err
	}
	if s, ok := x.saved[name]; ok && !renew {
		s.q = q
	} else {
		// A new saved value, not the old one emptied: a Refresh running meanwhile
		// commits its members only to the value it evaluated (see Refresh).
		x.saved[name] = &saved{q: q, members: roaring.New()}
	}
	x.changed()
	return nil
}

// Delete removes a saved segment. It fails with ErrUnknownSegment (an ErrNotFound) if
// there is none of that name, and with ErrInUse if another saved segment references
// it. No change is reported for a deleted segment.
func (x *Index) Delete(name string) error {
	if x.zero() {
		return errZeroIndex
	}
	x.lock()
	defer x.mu.Unlock()
	if _, ok := x.saved[name]; !ok {
		return fmt.Errorf("%w %q: nothing deleted", ErrUnknownSegment, name)
	}
	for _, other := range slices.Sorted(maps.Keys(x.saved)) {
		if other != name && slices.Contains(x.saved[other].q.References(), name) {
			return fmt.Errorf("%w: delete %q: referenced by segment %q", ErrInUse, name, other)
		}
	}
	delete(x.saved, name)
	x.changed()
	return nil
}

// References returns the names of the saved segments q references directly
// (segment:name), sorted, each once: the segments that Delete refuses to delete while q
// is saved. A host that keeps definitions elsewhere checks with it that a deletion will
// be accepted before it makes one that it could not undo.
func (q *Query) References() []string {
	var names []string
	var walk func(n node)
	walk = func(n node) {
		if s, ok := n.(*segNode); ok {
			names = append(names, s.name)
		}
		eachOperand(n, walk)
	}
	if q != nil && q.root != nil {
		walk(q.root)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Segments returns the names of the saved segments, sorted.
func (x *Index) Segments() []string {
	if x.zero() {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Sorted(maps.Keys(x.saved))
}

// Definition returns the query saved under name.
func (x *Index) Definition(name string) (*Query, bool) {
	if x.zero() {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.saved[name]
	if !ok {
		return nil, false
	}
	return s.q, true
}

// Members returns a saved segment's members as of the last Refresh (empty before the
// first). To evaluate it now, Eval the query segment:name.
func (x *Index) Members(name string) (*roaring.Bitmap, bool) {
	if x.zero() {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.saved[name]
	if !ok {
		return nil, false
	}
	return x.out(s.members, false), true
}

// Change is how a saved segment's membership moved between two Refreshes: the exact
// profiles that entered and exited, and the size after the change. Entered and Exited
// belong to the receiver and share nothing with the index.
type Change struct {
	Segment string
	Entered *roaring.Bitmap
	Exited  *roaring.Bitmap
	Size    uint64
}

// Refresh re-evaluates every saved segment at now and returns, sorted by segment name,
// a Change for each segment whose membership moved since the previous Refresh: Entered
// is new members minus old, Exited old minus new. Time-based conditions move with now
// alone, so a Refresh with no new data still reports who aged out of a window.
//
// Each change is reported once, to the Refresh that observes it: run one consumer of
// changes (one Watch, or one loop calling Refresh) per index. If any segment cannot be
// evaluated (ErrRetention), Refresh returns the errors and changes nothing. A segment
// saved or deleted while a Refresh runs is left for the next one; one redefined while
// it runs gets the members this Refresh reports, and the next reports the difference
// the new definition makes. Absorbed profiles of an ApplyMerge are reported as exited
// on the next Refresh; profiles erased by Forget are not reported at all (see Forget),
// even by a Refresh whose evaluation began before Forget and ends after it.
func (x *Index) Refresh(now time.Time) ([]Change, error) {
	if x.zero() {
		return nil, errZeroIndex
	}
	x.refreshMu.Lock()
	defer x.refreshMu.Unlock()

	x.rlock()
	type result struct {
		s   *saved
		now *roaring.Bitmap
	}
	names := slices.Sorted(maps.Keys(x.saved))
	results := make([]result, 0, len(names))
	var errs []error
	today := dayOf(now, x.loc)
	e := &evaluator{x: x, today: today, memo: map[string]*roaring.Bitmap{}}
	for _, name := range names {
		s := x.saved[name]
		c := x.newChecker(today, true)
		c.stack = []string{name}
		if _, err := c.check(s.q.root, 0); err != nil {
			errs = append(errs, err)
			continue
		}
		b := e.segment(name)
		results = append(results, result{s: s, now: b})
	}
	type moved struct {
		result          int
		entered, exited *roaring.Bitmap
	}
	var moves []moved
	if len(errs) == 0 {
		for i, r := range results {
			entered := roaring.AndNot(r.now, r.s.members)
			exited := roaring.AndNot(r.s.members, r.now)
			if !entered.IsEmpty() || !exited.IsEmpty() {
				moves = append(moves, moved{i, entered, exited})
			}
		}
		// From here to the commit, Forget notes what it erases (see Index.forgotten).
		// Set under the read lock: every Forget after this waits for its release, so
		// none whose effect this evaluation saw is noted, and none after it is missed.
		x.forgotten = roaring.New()
	}
	x.mu.RUnlock()
	if len(errs) > 0 {
		return nil, errorf("refresh: %w", errors.Join(errs...))
	}
	if refreshGapHook != nil {
		refreshGapHook()
	}

	// Commit the new memberships of the segments still saved, even those redefined
	// meanwhile: the changes returned are what the caller now believes, and a redefined
	// segment keeps its members (see Save), so the next Refresh must start from these or
	// it would report the same profiles entering twice. A segment deleted meanwhile (or
	// deleted and saved anew, which starts with no members) is not touched.
	// Memberships are replaced only here (Refresh is serialised by refreshMu), and
	// changed in place only by Forget, under the write lock; they are read by Refresh,
	// Members and snapshots, so a concurrent reader sees either the old or the new
	// bitmap. Profiles forgotten since the evaluation are left out of both the members
	// and the changes: Forget took them out of the old members already, and this
	// evaluation, made before it, still holds them.
	x.mu.Lock()
	gone := x.forgotten
	x.forgotten = nil
	for i, r := range results {
		if !gone.IsEmpty() {
			r.now.AndNot(gone)
		}
		if s, ok := x.saved[names[i]]; ok && s == r.s {
			s.members = r.now
		}
	}
	var changes []Change
	for _, m := range moves {
		if !gone.IsEmpty() {
			m.entered.AndNot(gone)
			m.exited.AndNot(gone)
			if m.entered.IsEmpty() && m.exited.IsEmpty() {
				continue
			}
		}
		changes = append(changes, Change{
			Segment: names[m.result],
			Entered: x.out(m.entered, true),
			Exited:  x.out(m.exited, true),
			Size:    results[m.result].now.GetCardinality(),
		})
	}
	x.mu.Unlock()
	return changes, nil
}

// refreshGapHook, when set by a test, runs in Refresh between the evaluation (under the
// read lock) and the commit of memberships (under the write lock): the moment at which
// another goroutine's Save or Delete can slip in.
var refreshGapHook func()

// Watch re-evaluates the saved segments as data or the clock moves and yields every
// change (see Refresh), until ctx is done or the loop stops. It refreshes at once, then
// every interval, skipping rounds in which neither the index nor the clock's day has
// changed (windows move by whole days). Each round first applies the retention
// (Expire). The clock gives "now" for each round; the interval is measured by the
// runtime's timers. A Refresh error is yielded with a zero Change, and watching goes on;
// a zero or nil Index yields its ErrInvalid once and stops.
func (x *Index) Watch(ctx context.Context, clock clientele.Clock, every time.Duration) iter.Seq2[Change, error] {
	if x.zero() {
		// one error, not one per interval: a zero Index never becomes ready
		return func(yield func(Change, error) bool) { yield(Change{}, errZeroIndex) }
	}
	if every <= 0 {
		every = time.Minute
	}
	return func(yield func(Change, error) bool) {
		var lastVersion uint64
		var lastDay int32
		first := true
		for {
			now := clock.Now()
			x.Expire(now)
			v, day := x.version.Load(), dayOf(now, x.loc)
			if first || v != lastVersion || day != lastDay {
				changes, err := x.Refresh(now)
				if err != nil {
					if !yield(Change{}, err) {
						return
					}
				} else {
					first, lastVersion, lastDay = false, v, day
					for _, c := range changes {
						if !yield(c, nil) {
							return
						}
					}
				}
			}
			t := time.NewTimer(every)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}
