package funnel

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/stats"
)

// Trend is a funnel over time: the profiles that entered the funnel in each period
// (day, week from Monday, or month in Location; nil means UTC), with the share that
// reached each step, the conversion rate and the time to convert, each with its
// interval. A profile enters in the period of its conversion's first event (the
// canonical conversion: see the package documentation) and counts at the steps that
// conversion reached. A Trend is a plain value.
type Trend struct {
	Spec     Spec
	By       Period
	Location *time.Location
}

// TrendResult is a trend's figures, one TrendPeriod per period in which some profile
// entered, in time order. It is safe for concurrent reads.
type TrendResult struct {
	By       Period
	Location *time.Location
	Periods  []TrendPeriod
}

// TrendPeriod holds one period's figures.
type TrendPeriod struct {
	Start   time.Time
	Entered int64
	// Steps[s] is the share of the entered profiles whose conversion reached step s,
	// with a 95% Wilson interval (K is the count); Steps[0] is all of them.
	Steps []Rate
	// Conversion is the last step's share: the conversion rate.
	Conversion Rate
	// TimeToConvert is the median time from first to last step of the profiles that
	// converted, with its distribution-free 95% interval.
	TimeToConvert MedianInterval
}

// MedianInterval is the median of N durations with a distribution-free confidence
// interval: the order statistics of ranks ⌊n/2 − z·√n/2⌋ and ⌈n/2 + z·√n/2⌉ + 1
// (1-based, clamped to 1..n), the normal approximation to the binomial distribution of
// the number of observations below the median (Conover 1999, "Practical Nonparametric
// Statistics", §3.2; for n = 100 it gives the 40th and 61st, the exact interval's
// ranks). It covers the population median whatever the distribution. With no durations
// the figures are zero.
type MedianInterval struct {
	N              int64
	Median, Lo, Hi time.Duration
	Level          float64
}

func medianInterval(sorted []int64, level float64) MedianInterval {
	n := len(sorted)
	mi := MedianInterval{N: int64(n), Level: level}
	if n == 0 {
		return mi
	}
	d := Durations(make([]time.Duration, n))
	for i, v := range sorted {
		d[i] = time.Duration(v)
	}
	mi.Median = d.Median()
	z := stats.ZCrit(level)
	half := z * math.Sqrt(float64(n)) / 2
	lo := int(math.Floor(float64(n)/2 - half)) // 1-based rank
	hi := int(math.Ceil(float64(n)/2+half)) + 1
	lo, hi = max(lo, 1), min(hi, n)
	mi.Lo, mi.Hi = d[lo-1], d[hi-1]
	return mi
}

// trendPartial is a Trend's state behind Partial[*TrendResult]: per period, the count
// at each step and the time to convert of each converter, and the set of profiles
// counted (about a bit a profile for dense ids), by which Merge refuses a profile
// counted in both partials.
type trendPartial struct {
	fp      string
	n       int
	cal     calendar
	periods map[int64]*trendCounts
	// counted holds the profiles that entered, each counted at step 0 of one period.
	// A partial decoded from version 1 (see countedVersion) counted profiles it does
	// not know, so the set may hold fewer than the periods' entries, never more.
	counted idSet
}

type trendCounts struct {
	steps []int64 // profiles whose conversion reached each step
	times []int64 // time to convert, nanoseconds, per converter
}

const trendMagic = "CLTFUNT\x00"

func (tr Trend) compile() (*plan, calendar, error) {
	p, err := tr.Spec.compile()
	if err != nil {
		return nil, calendar{}, err
	}
	cal, err := newCalendar(tr.By, tr.Location)
	if err != nil {
		return nil, calendar{}, err
	}
	return p, cal, nil
}

func (tr Trend) newPartial(p *plan, cal calendar) *trendPartial {
	fp := fmt.Sprintf("%s by=%d loc=%q", newPartial(p).fp, cal.by, cal.loc.String())
	return &trendPartial{fp: fp, n: p.n, cal: cal, periods: map[int64]*trendCounts{}}
}

// add records the outcome of profile prof, whose times are set.
func (tp *trendPartial) add(p *plan, prof uint32, o *outcome) {
	if o.level == 0 {
		return
	}
	tp.counted.add(prof)
	k := tp.cal.index(o.at[0])
	c := tp.periods[k]
	if c == nil {
		c = &trendCounts{steps: make([]int64, tp.n)}
		tp.periods[k] = c
	}
	for s := range o.level {
		if o.path[s] >= 0 {
			c.steps[s]++
		}
	}
	if o.level == p.n {
		c.times = append(c.times, o.at[p.n-1]-o.at[0])
	}
}

// Merge adds other's profiles to tp. Both must come from the same Trend (Spec, period
// and location; the Match functions cannot be compared, so that much is the caller's
// promise) and from disjoint sets of profiles: a profile counted in both (a shard
// merged twice, a partial merged into itself, shards that overlap) would count twice,
// so it is refused with ErrInvalid naming how many, and tp is unchanged. A partial
// decoded from version 1 does not know the profiles it counted (see countedVersion):
// those merge as before, their disjointness the caller's promise.
func (tp *trendPartial) Merge(other *trendPartial) error {
	if tp.fp != other.fp {
		return mismatchErr(tp.fp, other.fp)
	}
	tp.counted.settle() // the receiver of merges settles once (see idSet.settle)
	if n := overlap([]*idSet{&tp.counted}, []*idSet{&other.counted}); n > 0 {
		return overlapErr(trendKind, n)
	}
	tp.mergeDisjoint(other)
	return nil
}

// mergeDisjoint is Merge without its check, for the partials of one computation's
// workers, whose ranges of profiles are disjoint by construction.
func (tp *trendPartial) mergeDisjoint(other *trendPartial) {
	for _, k := range slices.Sorted(maps.Keys(other.periods)) {
		o := other.periods[k]
		c := tp.periods[k]
		if c == nil {
			c = &trendCounts{steps: make([]int64, tp.n)}
			tp.periods[k] = c
		}
		for s, v := range o.steps {
			c.steps[s] += v
		}
		c.times = append(c.times, o.times...)
	}
	tp.counted.merge(&other.counted)
}

// Result computes the trend's figures.
func (tp *trendPartial) Result() *TrendResult {
	res := &TrendResult{By: tp.cal.by, Location: tp.cal.loc}
	for _, k := range slices.Sorted(maps.Keys(tp.periods)) {
		c := tp.periods[k]
		tpd := TrendPeriod{Start: tp.cal.start(k), Entered: c.steps[0], Steps: make([]Rate, tp.n)}
		for s, v := range c.steps {
			tpd.Steps[s], _ = NewRate(v, c.steps[0], Wilson, 0.95)
		}
		tpd.Conversion = tpd.Steps[tp.n-1]
		times := slices.Clone(c.times)
		slices.Sort(times)
		tpd.TimeToConvert = medianInterval(times, 0.95)
		res.Periods = append(res.Periods, tpd)
	}
	return res
}

// Run computes the trend over events from any number of profiles, in any order.
func (tr Trend) Run(events []Event) (*TrendResult, error) {
	tp, err := tr.partial(events)
	if err != nil {
		return nil, err
	}
	return tp.Result(), nil
}

// partial computes the mergeable state of the trend over events, which must hold every
// event of each of their profiles.
func (tr Trend) partial(events []Event) (*trendPartial, error) {
	p, cal, err := tr.compile()
	if err != nil {
		return nil, err
	}
	type keyed struct {
		prof uint32
		r    row
	}
	rows := make([]keyed, len(events))
	for i, e := range events {
		t, err := instant(i, e, tr.Spec.AsOf)
		if err != nil {
			return nil, err
		}
		steps, excl := p.masks(e)
		rows[i] = keyed{e.Profile, row{t: t, steps: steps, excl: excl, idx: int32(i)}}
	}
	slices.SortFunc(rows, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.prof, b.prof), cmp.Compare(a.r.t, b.r.t), cmp.Compare(a.r.idx, b.r.idx))
	})
	tp := tr.newPartial(p, cal)
	m := newMatcher(p)
	var out outcome
	var prof []row
	for i := 0; i < len(rows); {
		j := i
		prof = prof[:0]
		for ; j < len(rows) && rows[j].prof == rows[i].prof; j++ {
			prof = append(prof, rows[j].r)
		}
		m.profile(prof, &out)
		out.stamp(prof)
		tp.add(p, rows[i].prof, &out)
		i = j
	}
	tp.counted.settle() // see partialBatch
	return tp, nil
}

// RunSeq computes the trend over a stream grouped by profile (see Spec.RunSeq).
func (tr Trend) RunSeq(events iter.Seq[Event]) (*TrendResult, error) {
	tp, err := tr.partialSeq(events)
	if err != nil {
		return nil, err
	}
	return tp.Result(), nil
}

// partialSeq computes the mergeable state of the trend over a stream grouped by
// profile that holds every event of each of its profiles.
func (tr Trend) partialSeq(events iter.Seq[Event]) (*trendPartial, error) {
	p, cal, err := tr.compile()
	if err != nil {
		return nil, err
	}
	tp := tr.newPartial(p, cal)
	m := newMatcher(p)
	var rows []row
	var out outcome
	add := func(e Event, t int64) {
		steps, excl := p.masks(e)
		rows = append(rows, row{t: t, steps: steps, excl: excl, idx: int32(len(rows))})
	}
	end := func(prof uint32) {
		sortRows(rows)
		m.profile(rows, &out)
		out.stamp(rows)
		tp.add(p, prof, &out)
		rows = rows[:0]
	}
	if err := grouped(events, tr.Spec.AsOf, add, end); err != nil {
		return nil, err
	}
	tp.counted.settle() // see partialBatch
	return tp, nil
}

// RunBatch computes the trend over a columnar batch, profile ranges in parallel.
func (tr Trend) RunBatch(b *Batch) (*TrendResult, error) {
	if b == nil {
		return nil, errNilBatch
	}
	tp, err := tr.partialBatch(b)
	if err != nil {
		return nil, err
	}
	return tp.Result(), nil
}

// partialBatch computes the mergeable state of the trend over a batch that holds every
// event of each of its profiles.
func (tr Trend) partialBatch(b *Batch) (*trendPartial, error) {
	p, cal, err := tr.compile()
	if err != nil {
		return nil, err
	}
	starts, err := b.profiles(tr.Spec.AsOf)
	if err != nil {
		return nil, err
	}
	steps := b.byName(func(e Event) uint32 { m, _ := p.masks(e); return m })
	excl := b.byName(func(e Event) uint32 { _, m := p.masks(e); return m })
	parts := split(len(starts)-1, workersFor(b.Len()), func(lo, hi int) *trendPartial {
		tp := tr.newPartial(p, cal)
		m := newMatcher(p)
		var rows []row
		var out outcome
		for q := lo; q < hi; q++ {
			rows = rows[:0]
			for k := starts[q]; k < starts[q+1]; k++ {
				id := b.Event[k]
				rows = append(rows, row{t: b.Time[k], steps: steps[id], excl: excl[id], idx: int32(k - starts[q])})
			}
			sortRows(rows)
			m.profile(rows, &out)
			out.stamp(rows)
			tp.add(p, b.Profile[starts[q]], &out)
		}
		return tp
	})
	for _, q := range parts[1:] {
		parts[0].mergeDisjoint(q)
	}
	// A partial is made to be merged and encoded: settled now, once, neither builds
	// its set's window and buffer into a bitmap again (overlap and idSet.merge would
	// each build it on every merge).
	parts[0].counted.settle()
	return parts[0], nil
}

// MarshalBinary encodes the partial (see codec.go for the frame), in version
// countedVersion:
//
//	fingerprint | periods count | per period, ascending: index (varint) |
//	step counts | times to convert, ascending (varints) | profiles counted (roaring)
//
// Version 1 ended before the profiles counted. The Spec's Match functions and the
// Location are not encoded: UnmarshalBinary needs a partial of the same Trend.
func (tp *trendPartial) MarshalBinary() ([]byte, error) { return tp.marshal(countedVersion) }

// marshal encodes tp in version 1 (without the profiles counted: how tests make what
// earlier releases wrote) or countedVersion.
func (tp *trendPartial) marshal(version uint32) ([]byte, error) {
	w := newWriterVersion(trendMagic, version)
	w.str(tp.fp)
	w.uvarint(uint64(len(tp.periods)))
	for _, k := range slices.Sorted(maps.Keys(tp.periods)) {
		c := tp.periods[k]
		w.varint(k)
		w.int64s(c.steps)
		times := slices.Clone(c.times)
		slices.Sort(times)
		w.int64s(times)
	}
	if version >= countedVersion {
		if err := w.profileSet(tp.counted.bitmap()); err != nil {
			return nil, errorf("encode trend partial: %w", err)
		}
	}
	return w.finish(), nil
}

// newState returns the empty state of tr (see Trend.NewPartial).
func (tr Trend) newState() (*trendPartial, error) {
	p, cal, err := tr.compile()
	if err != nil {
		return nil, err
	}
	return tr.newPartial(p, cal), nil
}

// UnmarshalBinary decodes a partial written by MarshalBinary into tp, made by the same
// Trend, checking that its counts are consistent (step counts within the period's
// entries, one time to convert per converter, times in ascending order, no more
// profiles counted than entered). Versions 1 and 2 are read (see countedVersion).
// Bytes of another Trend fail with ErrMismatch, damaged bytes with ErrCorrupt naming
// the offset. On error tp is unchanged.
func (tp *trendPartial) UnmarshalBinary(data []byte) error {
	q := &trendPartial{fp: tp.fp, n: tp.n, cal: tp.cal, periods: map[int64]*trendCounts{}}
	r, version, err := openFrameUpTo("trend partial", trendMagic, data, countedVersion)
	if err != nil {
		return err
	}
	if fp := r.str(); !r.failed() && fp != q.fp {
		return mismatchErr(fp, q.fp)
	}
	np := r.count("period", 1<<31, 3)
	prev := int64(math.MinInt64)
	var entered uint64 // the periods' entries, saturating at 2^63 (each is below it)
	for i := range np {
		at := r.Offset()
		k := r.varint()
		if !r.failed() && i > 0 && k <= prev {
			r.FailAt(at, "period %d after period %d", k, prev)
		}
		prev = k
		steps := r.int64sIn("step count", 0, math.MaxInt64)
		if !r.failed() && len(steps) != q.n {
			r.FailAt(at, "period %d: %s, want %d", k, english.Count(len(steps), "step count"), q.n)
		}
		if r.failed() {
			break
		}
		for s, v := range steps {
			if v > steps[0] || s == 0 && v == 0 {
				r.FailAt(at, "period %d: %d profiles at step %d of %d entered", k, v, s+1, steps[0])
			}
		}
		at = r.Offset()
		times := r.int64sIn("time to convert", 0, maxNano-minNano)
		if !r.failed() && (int64(len(times)) != steps[q.n-1] || !slices.IsSorted(times)) {
			r.FailAt(at, "period %d: %s for %s, or out of order", k, english.Count(len(times), "time"), english.Count(steps[q.n-1], "converter"))
		}
		if r.failed() {
			break
		}
		q.periods[k] = &trendCounts{steps: steps, times: times}
		entered = min(entered+uint64(steps[0]), math.MaxUint64-math.MaxInt64)
	}
	if version >= countedVersion {
		at := r.Offset()
		bm := r.profileSet("profiles counted")
		if !r.failed() && bm.GetCardinality() > entered {
			r.FailAt(at, "%s counted, more than the %d that entered", english.Count(bm.GetCardinality(), "profile"), entered)
		}
		q.counted.bm = bm
	}
	if err := r.end(); err != nil {
		return err
	}
	*tp = *q
	return nil
}
