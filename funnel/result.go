package funnel

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/stats"
)

// Result is a funnel's outcome. It is not modified after Run returns and is safe for
// concurrent reads. The zero Result is a funnel of no steps; a nil *Result's methods
// fail with ErrInvalid.
type Result struct {
	Steps []StepResult
	// End is the instant observation ended: Spec.AsOf, or the latest event's time; the
	// zero time.Time when there is neither (a funnel over no events), rather than the
	// Unix epoch, which is a time an event could have. It is in UTC.
	End time.Time
	// Breakdown holds one Result per breakdown value when the Spec asked for one; the
	// top-level counts are then the sum over groups.
	Breakdown map[string]*Result

	window    time.Duration
	converted []time.Duration // time to convert, per profile that converted, sorted
	open      chunks          // time of the latest first-step event, per profile that entered and did not convert
}

// StepResult holds the counts of one step.
type StepResult struct {
	Name     string
	Optional bool
	// Unique counts profiles that reached the step; Total counts passes through it,
	// a profile that completes the funnel and enters it again counting once per pass.
	Unique, Total int64
	// Converted holds the profiles that reached the step; Dropped those that reached
	// the previous required step but not this one (empty for the first step).
	Converted, Dropped *roaring.Bitmap
	// FromPrevious is the conversion from the nearest earlier required step (for the
	// first step, from itself), FromFirst from the first step; both with a 95% Wilson
	// interval. Result.Conversion gives other levels and Clopper-Pearson.
	FromPrevious, FromFirst Rate
	// TimeFromPrevious and TimeFromFirst hold, for each profile whose conversion reached
	// the step, the time from the conversion's previous event (the step before it in the
	// conversion, which skips optional steps the profile did not do) and from its first.
	// At step 1 the two are one list, shared.
	TimeFromPrevious, TimeFromFirst Durations
}

// Durations is a sorted list of durations, with quantiles.
type Durations []time.Duration

// Quantile returns the q-quantile (0 <= q <= 1) by linear interpolation between order
// statistics (Hyndman & Fan 1996, definition 7, the default of R and NumPy), or 0 for an
// empty list.
func (d Durations) Quantile(q float64) time.Duration {
	if len(d) == 0 || math.IsNaN(q) {
		return 0
	}
	q = min(max(q, 0), 1)
	h := q * float64(len(d)-1)
	lo := int(h)
	if lo >= len(d)-1 {
		return d[len(d)-1]
	}
	frac := h - float64(lo)
	return d[lo] + time.Duration(math.Round(frac*float64(d[lo+1]-d[lo])))
}

// Median returns the 0.5-quantile.
func (d Durations) Median() time.Duration { return d.Quantile(0.5) }

// Method chooses the confidence interval of a rate.
type Method uint8

const (
	// Wilson is Wilson's (1927) score interval, close to its nominal coverage.
	Wilson Method = iota
	// ClopperPearson is Clopper & Pearson's (1934) exact interval, conservative.
	ClopperPearson
)

// Rate is a proportion K/N with its confidence interval at Level.
type Rate struct {
	K, N             int64
	Estimate, Lo, Hi float64
	Level            float64
}

// NewRate returns k out of n with the interval m at the two-sided level (such as 0.95).
func NewRate(k, n int64, m Method, level float64) (Rate, error) {
	var iv stats.Interval
	var err error
	switch m {
	case Wilson:
		iv, err = stats.Wilson(k, n, level)
	case ClopperPearson:
		iv, err = stats.ClopperPearson(k, n, level)
	default:
		return Rate{}, fmt.Errorf("%w: unknown interval method %d", ErrInvalid, m)
	}
	if err != nil {
		return Rate{}, statsErr(fmt.Sprintf("rate %d of %d", k, n), err)
	}
	return Rate{K: k, N: n, Estimate: iv.Estimate, Lo: iv.Lo, Hi: iv.Hi, Level: level}, nil
}

// Conversion returns the rate at which profiles that reached step from went on to
// reach step to (0-based indexes, from <= to), with interval m at level.
func (r *Result) Conversion(from, to int, m Method, level float64) (Rate, error) {
	if r == nil {
		return Rate{}, fmt.Errorf("%w: conversion of a nil *Result", ErrInvalid)
	}
	if from < 0 || to >= len(r.Steps) || from > to {
		return Rate{}, fmt.Errorf("%w: conversion from step %d to step %d of %d", ErrInvalid, from, to, len(r.Steps))
	}
	return NewRate(r.Steps[to].Unique, r.Steps[from].Unique, m, level)
}

// Comparison is the difference between two variants' rates, B minus A.
type Comparison struct {
	// Difference is pB - pA with Newcombe's (1998, method 10) hybrid score interval.
	Difference, Lo, Hi float64
	// Z is the pooled two-proportion z statistic and P its two-sided p-value.
	Z, P float64
}

// Compare tests whether variant B converts at a different rate than variant A, as in
// an A/B test: Compare(resA.Steps[k].FromFirst, resB.Steps[k].FromFirst, 0.95).
func Compare(a, b Rate, level float64) (Comparison, error) {
	d, err := stats.Diff(a.K, a.N, b.K, b.N, level)
	if err != nil {
		return Comparison{}, statsErr(fmt.Sprintf("compare %d/%d with %d/%d", a.K, a.N, b.K, b.N), err)
	}
	z, p, err := stats.TwoProportionTest(a.K, a.N, b.K, b.N)
	if err != nil {
		return Comparison{}, statsErr(fmt.Sprintf("compare %d/%d with %d/%d", a.K, a.N, b.K, b.N), err)
	}
	return Comparison{Difference: d.Estimate, Lo: d.Lo, Hi: d.Hi, Z: z, P: p}, nil
}

// result turns a tally into a Result.
func (pt *funnelPartial) result(t *tally, end int64) *Result {
	n := pt.n
	r := &Result{Steps: make([]StepResult, n), End: instantIn(end, time.UTC), window: time.Duration(pt.window)}
	// The profiles at each step and the sorted lists of durations are independent jobs,
	// run on every core: sorting the durations was most of the Result's time, and on
	// one core it left the others idle after the parallel scan.
	var jobs []resultJob
	for s := range n {
		st := &r.Steps[s]
		jobs = append(jobs, resultJob{size: int(t.unique[s]) / 8, run: func(*[]time.Duration, spawnFunc) {
			st.Converted = t.ids[s].bitmap()
			st.Converted.RunOptimize()
		}})
		jobs = append(jobs, resultJob{size: t.fromPrev[s].n, run: func(scratch *[]time.Duration, spawn spawnFunc) {
			st.TimeFromPrevious = sortedDurations(&t.fromPrev[s], scratch, spawn)
		}})
		if s != 1 {
			jobs = append(jobs, resultJob{size: t.fromFirst[s].n, run: func(scratch *[]time.Duration, spawn spawnFunc) {
				st.TimeFromFirst = sortedDurations(&t.fromFirst[s], scratch, spawn)
			}})
		}
	}
	runJobs(jobs)
	base := 0
	for s := range n {
		st := &r.Steps[s]
		st.Name, st.Optional = pt.names[s], pt.optional&(1<<s) != 0
		st.Unique, st.Total = t.unique[s], t.total[s]
		from := s
		if s > 0 {
			from = base
			st.Dropped = roaring.AndNot(r.Steps[base].Converted, st.Converted)
		} else {
			st.Dropped = roaring.New()
		}
		st.FromPrevious, _ = NewRate(t.unique[s], t.unique[from], Wilson, 0.95)
		st.FromFirst, _ = NewRate(t.unique[s], t.unique[0], Wilson, 0.95)
		if s == 1 {
			st.TimeFromFirst = st.TimeFromPrevious // the same list: see tally.add
		}
		if !st.Optional {
			base = s
		}
	}
	if n == 1 {
		r.converted = make([]time.Duration, max(t.unique[0]-int64(t.open.n), 0))
	} else {
		r.converted = r.Steps[n-1].TimeFromFirst
	}
	r.open.merge(&t.open) // shares the blocks, which are no longer appended to
	return r
}

// resultJob is one independent part of a Result; size estimates its cost. A job may
// hand further jobs to spawn (the groups of a long list of durations, once dealt out).
type resultJob struct {
	size int
	run  func(scratch *[]time.Duration, spawn spawnFunc)
}

// spawnFunc adds a job of the given size, which gets a scratch buffer of its own.
type spawnFunc = func(run func(scratch *[]time.Duration), size int)

// runJobs runs the jobs, and those they spawn, on up to GOMAXPROCS goroutines, the
// largest waiting job first (so that the last to finish is a small one), each
// goroutine with its own sort buffer.
func runJobs(jobs []resultJob) {
	total := 0
	for _, j := range jobs {
		total += j.size
	}
	newJobQueue(jobs).run(workersFor(total), total)
}

// jobQueue holds the jobs waiting to run and counts those running, which may add more.
type jobQueue struct {
	mu      sync.Mutex
	more    sync.Cond // signalled when a job is added or the last running one ends
	jobs    []resultJob
	running int
}

func newJobQueue(jobs []resultJob) *jobQueue {
	q := &jobQueue{jobs: jobs}
	q.more.L = &q.mu
	return q
}

// run runs the jobs, of sizes summing to total, on workers goroutines. Only a job
// larger than a worker's share (total/workers) gets a spawn to cut itself up with: the
// others, and every job on one goroutine, gain nothing by spreading their groups.
func (q *jobQueue) run(workers, total int) {
	if workers <= 1 {
		q.work(nil, 0)
		return
	}
	spawn := func(run func(*[]time.Duration), size int) {
		q.mu.Lock()
		q.jobs = append(q.jobs, resultJob{size: size, run: func(s *[]time.Duration, _ spawnFunc) { run(s) }})
		q.mu.Unlock()
		q.more.Signal()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { q.work(spawn, total/workers) })
	}
	wg.Wait()
}

// work runs jobs until none is waiting and none is running, handing spawn to those
// larger than share.
func (q *jobQueue) work(spawn spawnFunc, share int) {
	scratch := getScratch()
	defer scratchPool.Put(scratch)
	q.mu.Lock()
	for {
		for len(q.jobs) == 0 && q.running > 0 {
			q.more.Wait()
		}
		if len(q.jobs) == 0 {
			q.mu.Unlock()
			return
		}
		k := 0
		for i, j := range q.jobs {
			if j.size > q.jobs[k].size {
				k = i
			}
		}
		j := q.jobs[k]
		q.jobs = slices.Delete(q.jobs, k, k+1)
		q.running++
		q.mu.Unlock()
		if j.size > share {
			j.run(scratch, spawn)
		} else {
			j.run(scratch, nil)
		}
		q.mu.Lock()
		q.running--
		if q.running == 0 && len(q.jobs) == 0 {
			q.more.Broadcast()
		}
	}
}

// scratchPool keeps the radix sort's scratch buffers between Results: a buffer as long
// as the longest list of durations, fresh each time, was a fifth of what a funnel over
// a batch allocated (and so of its page faults; see blockPool). Since long lists are
// sorted in groups (partition), a buffer is as long as the longest group or short list.
var scratchPool sync.Pool // of *[]time.Duration

func getScratch() *[]time.Duration {
	if p, ok := scratchPool.Get().(*[]time.Duration); ok {
		return p
	}
	return new([]time.Duration)
}

// sortedDurations returns the values of c sorted. A long list is dealt into groups
// (partition), sorted within the caches: with several workers (spawn not nil) the
// groups become jobs of their own, else this goroutine sorts them in turn.
func sortedDurations(c *chunks, scratch *[]time.Duration, spawn spawnFunc) Durations {
	d := make(Durations, c.n)
	if c.n < partitionMin {
		sortBlocks(d, c.blocks, scratch)
	} else if starts, sorted := partition(d, c.blocks); !sorted {
		if spawn == nil {
			spawn = func(run func(*[]time.Duration), size int) { run(scratch) }
		}
		sortGroups(d, starts, spawn)
	}
	return d
}
