package funnel

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/internal/english"
)

// Retention returns ClickHouse's retention(cond1, ..., condN) for one profile's events:
// r[0] says whether some event matches conds[0], and r[k] whether some event matches
// conds[0] and some event (the same or another, before or after) matches conds[k].
func Retention(events []Event, conds ...Step) []bool {
	r := make([]bool, len(conds))
	for _, e := range events {
		for k, c := range conds {
			if !r[k] && c.matches(e) {
				r[k] = true
			}
		}
	}
	if len(r) > 0 && !r[0] {
		clear(r)
	}
	return r
}

// RetentionRule says when a cohort member counts as retained in a column.
type RetentionRule uint8

// String returns the rule's name, "On" or "OnOrAfter".
func (r RetentionRule) String() string {
	switch r {
	case On:
		return "On"
	case OnOrAfter:
		return "OnOrAfter"
	}
	return fmt.Sprintf("RetentionRule(%d)", uint8(r))
}

const (
	// On counts a member in column k when it returned in period k after its cohort's
	// ("N-day retention" with Day periods).
	On RetentionRule = iota
	// OnOrAfter counts a member in column k when it returned in period k or any later
	// one ("unbounded retention").
	OnOrAfter
)

// Bracket is a column of bracketed retention: returned in any period From..To
// (inclusive) after the cohort's, 1 <= From <= To.
type Bracket struct{ From, To int }

// Cohorts describes a cohort retention table. Each profile joins the cohort of the
// period of its first Start event; it is retained in column k by a Return event in
// period k after that (column 0 is the cohort itself). A zero Start or Return (no Name,
// no Match) matches every event. A Cohorts is a plain value.
type Cohorts struct {
	Start, Return Step
	By            Period
	Periods       int // columns 0..Periods; ignored with Brackets
	Retention     RetentionRule
	Brackets      []Bracket // when set, the columns are these brackets
	Location      *time.Location
	// AsOf ends observation (cells whose periods have not ended are incomplete); zero
	// means the latest event's time.
	AsOf time.Time
}

// Table is a cohort retention table. It is safe for concurrent reads. It records the
// period, time zone, columns, retention rule and the names of the steps it was counted
// by, which CompareRetention checks agree. A Step's Match is a function, which cannot be
// compared: tables of steps told apart only by their Match functions (Cohorts whose
// steps have no Name) are the caller's to keep apart, as their partials are. The zero
// Table has no columns and no cohorts; a nil *Table's methods fail with ErrInvalid.
type Table struct {
	By Period
	// Location is the time zone the periods were cut in: Cohorts.Location, or time.UTC
	// when that is nil, so that a table the package makes never holds nil (which
	// time.Time.In refuses). A Table built by hand with nil counts as UTC, as a Cohorts
	// does. A day in America/New_York begins four or five hours after the UTC day of the
	// same date: tables of different locations count different periods under the same
	// column names and cohort dates.
	Location *time.Location
	Columns  []string // "0", "1", ... or "1-3", ... for brackets
	// StartName and ReturnName are the Names of the Cohorts' Start and Return steps:
	// "" for a step that matches every event or only by its Match function.
	StartName, ReturnName string
	// Retention is the rule the columns were counted by (Cohorts.Retention); a table of
	// Brackets records On, as brackets ignore the rule. An On table and an OnOrAfter
	// one have the same columns and different figures.
	Retention RetentionRule
	Cohorts   []Cohort
	// End is the instant observation ended: Cohorts.AsOf, or the latest event's time;
	// the zero time.Time when there is neither (a table over no events), rather than
	// the Unix epoch, which is a time an event could have.
	End time.Time
}

// Cohort is one row of a Table.
type Cohort struct {
	Start    time.Time // the beginning of the cohort's period
	Size     int64
	Retained []int64 // per column
	// Complete says whether the column's periods had ended by Table.End; an incomplete
	// cell undercounts and is left out of Table.Rate.
	Complete []bool
	Profiles *roaring.Bitmap
}

// Rate pools column col over the cohorts whose cell is complete: retained members over
// their cohorts' sizes, with interval m at level. A cohort whose Retained or Complete
// has not one cell per column (a Table built by hand) is ErrInvalid.
func (t *Table) Rate(col int, m Method, level float64) (Rate, error) {
	if t == nil {
		return Rate{}, fmt.Errorf("%w: rate of a nil *Table", ErrInvalid)
	}
	if col < 0 || col >= len(t.Columns) {
		return Rate{}, fmt.Errorf("%w: column %d of %d", ErrInvalid, col, len(t.Columns))
	}
	var k, n int64
	for i, c := range t.Cohorts {
		if len(c.Retained) != len(t.Columns) || len(c.Complete) != len(t.Columns) {
			return Rate{}, fmt.Errorf("%w: cohort %d has %s and %s for %s", ErrInvalid,
				i, english.Count(len(c.Retained), "retained cell"), english.Count(len(c.Complete), "complete cell"), english.Count(len(t.Columns), "column"))
		}
		if c.Complete[col] {
			k += c.Retained[col]
			n += c.Size
		}
	}
	return NewRate(k, n, m, level)
}

type cohortPlan struct {
	c    Cohorts
	cal  calendar
	cols [][2]int64 // per column: first and last period offset
	last int64      // the last period offset any column looks at
	asOf int64      // Cohorts.AsOf in Unix nanoseconds; noTime: unset
	// span is the length of a period in nanoseconds when every period has it (days and
	// weeks in UTC), else 0: then a return's offset from its cohort is one division
	// from the cohort's first instant instead of two calendar lookups.
	span int64
	// on says the columns are the periods 0..Periods under the rule On: a return in
	// period k retains in column k alone.
	on bool
}

func (c Cohorts) compile() (*cohortPlan, error) {
	cal, err := newCalendar(c.By, c.Location)
	if err != nil {
		return nil, err
	}
	p := &cohortPlan{c: c, cal: cal, asOf: noTime}
	switch {
	case len(c.Brackets) > 0:
		for i, b := range c.Brackets {
			if b.From < 1 || b.To < b.From {
				return nil, fmt.Errorf("%w: bracket %d is [%d, %d], want 1 <= From <= To", ErrInvalid, i, b.From, b.To)
			}
			p.cols = append(p.cols, [2]int64{int64(b.From), int64(b.To)})
		}
	case c.Periods < 0 || c.Periods > 10000:
		return nil, fmt.Errorf("%w: %d periods, want 0..10000", ErrInvalid, c.Periods)
	default:
		for k := 0; k <= c.Periods; k++ {
			p.cols = append(p.cols, [2]int64{int64(k), int64(k)})
		}
	}
	for _, col := range p.cols {
		p.last = max(p.last, col[1])
	}
	if cal.utc && c.By != Month {
		p.span = nsPerDay
		if c.By == Week {
			p.span = 7 * nsPerDay
		}
	}
	p.on = c.Retention == On && len(c.Brackets) == 0
	if c.Retention > OnOrAfter {
		return nil, fmt.Errorf("%w: unknown rule %d", ErrInvalid, c.Retention)
	}
	if !c.AsOf.IsZero() {
		if p.asOf, err = nanos(c.AsOf); err != nil {
			return nil, errorf("cohorts AsOf: %w", err)
		}
	}
	return p, nil
}

func anyStep(s Step) bool { return s.Name == "" && s.Match == nil }

func (p *cohortPlan) masks(e Event) uint32 {
	var m uint32
	if anyStep(p.c.Start) || p.c.Start.matches(e) {
		m |= 1
	}
	if anyStep(p.c.Return) || p.c.Return.matches(e) {
		m |= 2
	}
	return m
}

// cohortPartial is a Cohorts' state behind Partial[*Table]: per cohort, its counts
// and members.
type cohortPartial struct {
	fp string // the fingerprint written in the encoding (see cohortPlan.fingerprint)
	// key is what must agree for two partials to merge: the fingerprint with the rule
	// the columns are counted by (see cohortPlan.rule), which brackets ignore.
	key    string
	plan   *cohortPlan
	end    int64 // the latest event's time in Unix nanoseconds; noTime before any event
	groups map[int64]*cohortCounts
	// scratch
	seen []uint64
	// dense caches groups by cohort index - base: a profile finds its cohort's counts
	// by an index instead of a map lookup (groups stays the record).
	dense []*cohortCounts
	base  int64
}

// maxDense bounds the cohorts dense covers (a span of 2^14 periods: 45 years of days).
const maxDense = 1 << 14

type cohortCounts struct {
	size     int64
	retained []int64
	// ids are the members, gathered into a bitmap as the funnel's steps gather theirs:
	// a worker's profiles ascend, so its appends are cheap, where a list of ids holds
	// four bytes a member and, merged across workers (whose ranges interleave), made
	// the table's AddMany insert into the middle of its containers (a quarter of the
	// second core's gain at 10M events).
	ids idSet
}

func (p *cohortPlan) newPartial() *cohortPartial {
	return &cohortPartial{fp: p.fingerprint(seenVersion), key: p.fingerprintRule(seenVersion, p.rule()),
		plan: p, end: noTime, groups: map[int64]*cohortCounts{}}
}

// rule is the retention rule p's columns are counted by: Cohorts.Retention, or On for
// brackets, which ignore it (as Table.Retention records).
func (p *cohortPlan) rule() RetentionRule {
	if len(p.c.Brackets) > 0 {
		return On
	}
	return p.c.Retention
}

// fingerprint describes p's Cohorts as the encoding's version wrote it, with the rule
// as set (Cohorts.Retention), brackets or not: the bytes stay those that releases
// before brackets ignored the rule wrote and read.
func (p *cohortPlan) fingerprint(version uint32) string {
	return p.fingerprintRule(version, p.c.Retention)
}

// accepts says whether fp, read from an encoding of the version, is the fingerprint of
// a partial that merges with p's: p's own, or for brackets, that of the same Cohorts
// with the other rule, which brackets ignore.
func (p *cohortPlan) accepts(fp string, version uint32) bool {
	if len(p.c.Brackets) == 0 {
		return fp == p.fingerprint(version)
	}
	return fp == p.fingerprintRule(version, On) || fp == p.fingerprintRule(version, OnOrAfter)
}

// fingerprintRule is the fingerprint of p's Cohorts with the rule given, as the
// encoding's version wrote it: version 1 wrote an unset AsOf as 0, the Unix epoch's
// AsOf too.
func (p *cohortPlan) fingerprintRule(version uint32, rule RetentionRule) string {
	loc := "UTC"
	if p.c.Location != nil {
		loc = p.c.Location.String()
	}
	asOf := "none"
	switch {
	case p.asOf != noTime:
		asOf = fmt.Sprint(p.asOf)
	case version == 1:
		asOf = "0"
	}
	return fmt.Sprintf("start=%q return=%q by=%v cols=%v rule=%d loc=%s asof=%s", p.c.Start.Name, p.c.Return.Name, p.c.By, p.cols, rule, loc, asOf)
}

// profile adds one profile's rows (bit 0: a Start event, bit 1: a Return event).
func (cp *cohortPartial) profile(id uint32, rows []row) {
	start, end := int64(math.MaxInt64), cp.end
	for _, r := range rows {
		end = max(end, r.t)
		if r.steps&1 != 0 {
			start = min(start, r.t)
		}
	}
	cp.end = end
	if start == math.MaxInt64 {
		return // no Start event (no event time reaches MaxInt64: see maxNano)
	}
	ret := cp.returns(start)
	for _, r := range rows {
		if r.steps&2 != 0 && r.t >= start {
			ret.add(r.t)
		}
	}
	cp.count(id, &ret)
}

// profileCols is profile over one profile's events in a batch's columns (times ts, name
// ids ev, masks per name id as profile's rows carry them), with the checks of
// Batch.profiles folded in: ok is false, and nothing is added, when an event's name id,
// time or AsOf (limit) is out of range.
func (cp *cohortPartial) profileCols(id uint32, ts []int64, ev []uint32, masks []uint32, limit int64) (ok bool) {
	start, end := int64(math.MaxInt64), cp.end
	ev = ev[:len(ts)]
	for k, t := range ts {
		e := ev[k]
		if int(e) >= len(masks) || t < minNano || t >= maxNano || t > limit {
			return false
		}
		end = max(end, t)
		c := t
		if masks[e]&1 == 0 {
			c = math.MaxInt64
		}
		start = min(start, c)
	}
	cp.end = end
	if start == math.MaxInt64 {
		return true
	}
	ret := cp.returns(start)
	for k, t := range ts {
		if masks[ev[k]]&2 != 0 && t >= start {
			ret.add(t)
		}
	}
	cp.count(id, &ret)
	return true
}

// returnSet collects the periods, counted from its cohort's, in which a profile returned.
type returnSet struct {
	p      *cohortPlan
	cohort int64 // the cohort's period index
	from   int64 // with a uniform span: the cohort period's first instant
	seen   []uint64
	last   int64 // the latest period returned in; -1: none after the cohort's
}

// returns starts the return set of a profile whose first Start event is at start.
func (cp *cohortPartial) returns(start int64) returnSet {
	p := cp.plan
	r := returnSet{p: p, cohort: p.cal.index(start), last: -1}
	switch {
	case p.span == nsPerDay:
		r.from = r.cohort * nsPerDay
	case p.span > 0:
		r.from = (r.cohort*7 - 3) * nsPerDay // see calendar.index: weeks begin on Monday
	}
	words := int(p.last/64 + 1)
	if cap(cp.seen) < words {
		cp.seen = make([]uint64, words)
	}
	r.seen = cp.seen[:words]
	clear(r.seen)
	return r
}

// add records a Return event at t, no earlier than the profile's first Start event.
func (r *returnSet) add(t int64) {
	var k int64
	if r.p.span > 0 {
		// t >= from: the floor of the quotient is the quotient, and it equals
		// index(t) - cohort since every period spans span nanoseconds.
		k = (t - r.from) / r.p.span
	} else {
		k = r.p.cal.index(t) - r.cohort
	}
	if k <= 0 {
		return
	}
	r.last = max(r.last, k)
	if k <= r.p.last {
		r.seen[k/64] |= 1 << (k % 64)
	}
}

// count adds a profile with its return set to its cohort's counts.
func (cp *cohortPartial) count(id uint32, r *returnSet) {
	p := cp.plan
	g := cp.group(r.cohort)
	g.size++
	g.ids.add(id)
	if p.on {
		// Column k is period k: count column 0 and each period returned in.
		g.retained[0]++
		for w, word := range r.seen {
			for ; word != 0; word &= word - 1 {
				g.retained[w*64+bits.TrailingZeros64(word)]++
			}
		}
		return
	}
	for c, col := range p.cols {
		hit := false
		switch {
		case col[1] == 0:
			hit = true // column 0: the cohort itself
		case p.c.Retention == OnOrAfter && len(p.c.Brackets) == 0:
			hit = r.last >= col[0]
		default:
			for k := col[0]; k <= col[1] && !hit; k++ {
				hit = r.seen[k/64]&(1<<(k%64)) != 0
			}
		}
		if hit {
			g.retained[c]++
		}
	}
}

// group returns the counts of cohort k, creating them.
func (cp *cohortPartial) group(k int64) *cohortCounts {
	if i := k - cp.base; i >= 0 && i < int64(len(cp.dense)) {
		if g := cp.dense[i]; g != nil {
			return g
		}
	}
	g := cp.groups[k]
	if g == nil {
		g = &cohortCounts{retained: make([]int64, len(cp.plan.cols))}
		cp.groups[k] = g
	}
	switch {
	case len(cp.dense) == 0:
		cp.base, cp.dense = k, make([]*cohortCounts, 64)
	case k < cp.base && cp.base+int64(len(cp.dense))-k <= maxDense:
		grown := make([]*cohortCounts, cp.base+int64(len(cp.dense))-k+64)
		copy(grown[cp.base-k+64:], cp.dense)
		cp.base, cp.dense = k-64, grown
	case k >= cp.base+int64(len(cp.dense)) && k-cp.base < maxDense:
		cp.dense = append(cp.dense, make([]*cohortCounts, k-cp.base+1-int64(len(cp.dense))+64)...)
	}
	if i := k - cp.base; i >= 0 && i < int64(len(cp.dense)) {
		cp.dense[i] = g
	}
	return g
}

// Merge adds other's profiles; both must come from the same Cohorts (but for the
// Retention of bracket Cohorts, which brackets ignore) and from disjoint sets of
// profiles: a profile in both (a shard merged twice, a partial merged into itself)
// would count twice, so it is refused with ErrInvalid and cp is unchanged.
func (cp *cohortPartial) Merge(other *cohortPartial) error {
	if cp.key != other.key {
		return mismatchErr(cp.key, other.key)
	}
	for _, g := range cp.groups {
		g.ids.settle() // see funnelPartial.settle
	}
	if n := overlap(cp.memberSets(), other.memberSets()); n > 0 {
		return overlapErr(cohortKind, n)
	}
	cp.mergeDisjoint(other)
	return nil
}

// memberSets returns the sets of cp's profiles, one per cohort.
func (cp *cohortPartial) memberSets() []*idSet {
	sets := make([]*idSet, 0, len(cp.groups))
	for _, g := range cp.groups {
		sets = append(sets, &g.ids)
	}
	return sets
}

// mergeDisjoint is Merge without its checks, for the partials of one computation's
// workers, whose ranges of profiles are disjoint by construction.
func (cp *cohortPartial) mergeDisjoint(other *cohortPartial) {
	for k, o := range other.groups {
		g := cp.groups[k]
		if g == nil {
			g = &cohortCounts{retained: make([]int64, len(o.retained))}
			cp.groups[k] = g
		}
		g.size += o.size
		for c := range g.retained {
			g.retained[c] += o.retained[c]
		}
		g.ids.merge(&o.ids)
	}
	cp.end = max(cp.end, other.end) // noTime, below every event's time, when other saw none
}

// Table computes the cohort table.
func (cp *cohortPartial) Table() *Table {
	p := cp.plan
	end := cp.end // noTime over no events, which make no cohort
	if p.asOf != noTime {
		end = p.asOf
	}
	t := &Table{By: p.c.By, Location: p.cal.loc, StartName: p.c.Start.Name, ReturnName: p.c.Return.Name, Retention: p.rule(),
		End: instantIn(end, p.cal.loc)}
	for _, col := range p.cols {
		if len(p.c.Brackets) > 0 {
			t.Columns = append(t.Columns, fmt.Sprintf("%d-%d", col[0], col[1]))
		} else {
			t.Columns = append(t.Columns, fmt.Sprint(col[0]))
		}
	}
	endT := time.Unix(0, end)
	keys := slices.Sorted(maps.Keys(cp.groups))
	if len(keys) > 0 {
		t.Cohorts = make([]Cohort, len(keys))
	}
	// The cohorts' bitmaps of members, one per cohort, are built on every core: on one
	// they were a tenth of a 10M-event table's time, with the other core idle.
	split(len(keys), workersFor(cp.members()), func(lo, hi int) struct{} {
		for i, k := range keys[lo:hi] {
			g := cp.groups[k]
			row := Cohort{Start: p.cal.start(k), Size: g.size, Retained: slices.Clone(g.retained),
				Complete: make([]bool, len(p.cols)), Profiles: g.ids.bitmap()}
			for c, col := range p.cols {
				// Complete once the column's last period has ended (the next one begun).
				row.Complete[c] = col[1] == 0 || !endT.Before(p.cal.start(k+col[1]+1).Add(-1))
			}
			t.Cohorts[lo+i] = row
		}
		return struct{}{}
	})
	return t
}

// members returns the number of profiles in cp's cohorts.
func (cp *cohortPartial) members() int {
	n := 0
	for _, g := range cp.groups {
		n += int(g.size)
	}
	return n
}

// Run computes the table over events of any profiles in any order.
func (c Cohorts) Run(events []Event) (*Table, error) {
	cp, err := c.partial(events)
	if err != nil {
		return nil, err
	}
	return cp.Table(), nil
}

// partial computes the mergeable state over events.
func (c Cohorts) partial(events []Event) (*cohortPartial, error) {
	p, err := c.compile()
	if err != nil {
		return nil, err
	}
	byProfile := map[uint32][]row{}
	for i, e := range events {
		t, err := instant(i, e, c.AsOf)
		if err != nil {
			return nil, err
		}
		byProfile[e.Profile] = append(byProfile[e.Profile], row{t: t, steps: p.masks(e)})
	}
	cp := p.newPartial()
	for _, id := range slices.Sorted(maps.Keys(byProfile)) {
		cp.profile(id, byProfile[id])
	}
	return cp, nil
}

// RunSeq computes the table over a stream of events that comes grouped by profile (each
// profile's events together, in any time order), as Spec.RunSeq does. Memory is one
// profile's events plus the table. A profile that reappears after another profile's
// events is an error wrapping ErrUnsorted.
func (c Cohorts) RunSeq(events iter.Seq[Event]) (*Table, error) {
	cp, err := c.partialSeq(events)
	if err != nil {
		return nil, err
	}
	return cp.Table(), nil
}

// partialSeq computes the mergeable state over a stream grouped by profile (see
// RunSeq) that holds every event of each of its profiles.
func (c Cohorts) partialSeq(events iter.Seq[Event]) (*cohortPartial, error) {
	p, err := c.compile()
	if err != nil {
		return nil, err
	}
	cp := p.newPartial()
	var rows []row
	add := func(e Event, t int64) { rows = append(rows, row{t: t, steps: p.masks(e)}) }
	end := func(profile uint32) {
		cp.profile(profile, rows)
		rows = rows[:0]
	}
	if err := grouped(events, c.AsOf, add, end); err != nil {
		return nil, err
	}
	return cp, nil
}

// RunBatch computes the table over a batch grouped by profile, in parallel.
func (c Cohorts) RunBatch(b *Batch) (*Table, error) {
	if b == nil {
		return nil, errNilBatch
	}
	cp, err := c.partialBatch(b)
	if err != nil {
		return nil, err
	}
	return cp.Table(), nil
}

// partialBatch computes the mergeable state over a batch grouped by profile.
//
// Each worker reads ranges of profiles straight from the columns, checking every event
// as it goes (as RunBatch does), rather than after a pass of Batch.profiles that checks
// the batch and lists where each profile starts: that pass read the columns once more
// and wrote a list of 8 bytes a profile, fresh memory on every call. Any problem sends
// the batch to Batch.profiles to be named exactly as before.
func (c Cohorts) partialBatch(b *Batch) (*cohortPartial, error) {
	p, err := c.compile()
	if err != nil {
		return nil, err
	}
	n := len(b.Profile)
	cols := make([][]uint32, 0, len(b.Props))
	for _, col := range b.Props {
		cols = append(cols, col)
	}
	fail := func() (*cohortPartial, error) {
		if _, err := b.profiles(c.AsOf); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: batch: an event failed the cohort scan's check but not the full one", ErrCorrupt)
	}
	if len(b.Time) != n || len(b.Event) != n {
		return fail()
	}
	for _, col := range cols {
		if len(col) != n {
			return fail()
		}
	}
	limit := int64(math.MaxInt64)
	if !c.AsOf.IsZero() {
		limit = c.AsOf.UnixNano()
	}
	masks := b.byName(p.masks)
	values := uint32(len(b.Values))
	parts, bad, unascending := scanRanges(b, n, p.newPartial, func(cp *cohortPartial, lo, hi int) (ok, ascending bool) {
		for _, col := range cols {
			for _, id := range col[lo:hi] {
				if id >= values {
					return false, true
				}
			}
		}
		for i := lo; i < hi; {
			prof := b.Profile[i]
			if i > lo && prof < b.Profile[i-1] {
				return true, false // the fallback below recomputes the whole batch
			}
			j := i + 1
			for j < hi && b.Profile[j] == prof {
				j++
			}
			if !cp.profileCols(prof, b.Time[i:j], b.Event[i:j], masks, limit) {
				return false, true
			}
			i = j
		}
		return true, true
	})
	if bad || unascending {
		// Profiles out of ascending order (or a bad event): the one-core passes find a
		// repeated profile, or name the problem; a batch they accept is computed from
		// its list of profiles, in any order.
		return c.partialBatchRuns(p, b, masks)
	}
	for _, q := range parts[1:] {
		parts[0].mergeDisjoint(q) // the workers' profiles are disjoint
	}
	return parts[0], nil
}

// partialBatchRuns is PartialBatch from Batch.profiles' list of where each profile
// starts: for batches whose profiles are not in ascending order.
func (c Cohorts) partialBatchRuns(p *cohortPlan, b *Batch, masks []uint32) (*cohortPartial, error) {
	starts, err := b.profiles(c.AsOf)
	if err != nil {
		return nil, err
	}
	parts := split(len(starts)-1, workersFor(b.Len()), func(lo, hi int) *cohortPartial {
		cp := p.newPartial()
		for r := lo; r < hi; r++ {
			cp.profileCols(b.Profile[starts[r]], b.Time[starts[r]:starts[r+1]], b.Event[starts[r]:starts[r+1]], masks, math.MaxInt64)
		}
		return cp
	})
	for _, q := range parts[1:] {
		parts[0].mergeDisjoint(q) // the workers' profiles are disjoint
	}
	return parts[0], nil
}

const cohortMagic = "CLTFUNC\x00"

// MarshalBinary encodes the partial (see codec.go for the frame), in version
// seenVersion:
//
//	fingerprint | latest event (flag: any seen, time) | cohort count |
//	per cohort, ascending: period index | retained per column | members (roaring)
//
// Version 1 had no flag, writing 0 for no event, and its fingerprint wrote an unset
// AsOf as 0. The Cohorts' Match functions and Location are not encoded:
// UnmarshalBinary needs the same Cohorts.
func (cp *cohortPartial) MarshalBinary() ([]byte, error) {
	w := newWriterVersion(cohortMagic, seenVersion)
	w.str(cp.fp)
	w.optTime(cp.end)
	w.uvarint(uint64(len(cp.groups)))
	for _, k := range slices.Sorted(maps.Keys(cp.groups)) {
		g := cp.groups[k]
		w.varint(k)
		w.int64s(g.retained)
		raw, err := g.ids.bitmap().ToBytes()
		if err != nil {
			return nil, errorf("encode cohort partial: %w", err)
		}
		w.bytes(raw)
	}
	return w.finish(), nil
}

// newState returns the empty state of c (see Cohorts.NewPartial).
func (c Cohorts) newState() (*cohortPartial, error) {
	p, err := c.compile()
	if err != nil {
		return nil, err
	}
	return p.newPartial(), nil
}

// UnmarshalBinary decodes a partial written by MarshalBinary into cp, made by the same
// Cohorts (but for the Retention of bracket Cohorts, which brackets ignore, as Merge
// does): bytes of other Cohorts fail with ErrMismatch, damaged bytes with
// ErrCorrupt. Versions 1 and 2 are read (see seenVersion and v1End). On error cp is
// unchanged.
func (cp *cohortPartial) UnmarshalBinary(data []byte) error {
	p := cp.plan
	q := p.newPartial()
	r, version, err := openFrameUpTo("cohort partial", cohortMagic, data, seenVersion)
	if err != nil {
		return err
	}
	if fp := r.str(); !r.failed() && !p.accepts(fp, version) {
		return mismatchErr(fp, p.fingerprint(version))
	}
	if version == 1 {
		// 0 for events before 1970 too, so that it may follow an AsOf before 1970.
		q.end = r.varint()
		if !r.failed() && (q.end < 0 || q.end >= maxNano) {
			r.fail("end %d: before 1970 or after 2189", q.end)
		}
	} else {
		q.end = r.optTime("latest event's time")
		if !r.failed() && p.asOf != noTime && q.end != noTime && q.end > p.asOf {
			r.fail("latest event at %d, after AsOf %d", q.end, p.asOf)
		}
	}
	ng := r.count("cohort", 1<<31, 3)
	for range ng {
		k := r.varint()
		g := &cohortCounts{retained: r.int64s("column")}
		ids := r.profileIDs(fmt.Sprintf("cohort %d profiles", k))
		if r.failed() {
			break
		}
		g.ids.bm = roaring.BitmapOf(ids...)
		g.size = int64(len(ids))
		if len(g.retained) != len(p.cols) || q.groups[k] != nil {
			r.fail("cohort %d: %s, want %d, or repeated", k, english.Count(len(g.retained), "column"), len(p.cols))
			break
		}
		for _, v := range g.retained {
			if v < 0 || v > g.size {
				r.fail("cohort %d: %d retained of %d", k, v, g.size)
			}
		}
		q.groups[k] = g
	}
	if version == 1 {
		q.end = v1End(q.end, len(q.groups) > 0)
	} else if !r.failed() && len(q.groups) > 0 && q.end == noTime {
		r.fail("%s, yet no event was seen", english.Count(len(q.groups), "cohort"))
	}
	if err := r.end(); err != nil {
		return err
	}
	*cp = *q
	return nil
}
