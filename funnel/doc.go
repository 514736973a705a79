// Package funnel measures how profiles move: ordered funnels with ClickHouse's
// windowFunnel semantics, retention tables, and lifecycle stages from stranger to
// advocate, each rate with a confidence interval a product team can trust.
//
//	spec := funnel.Spec{
//		Steps:  []funnel.Step{{Name: "visit"}, {Name: "signup"}, {Name: "purchase"}},
//		Window: 7 * 24 * time.Hour,
//	}
//	res, err := spec.Run(events)
//	// res.Steps[2].Unique, .FromFirst (Wilson 95%), .Converted / .Dropped bitmaps,
//	// .TimeFromPrevious.Median(), res.TimeToConvert(0.95) (Kaplan-Meier) ...
//
// # Conversions
//
// A profile's events are put in time order (ties in input order) and listed as
// (time, step, event) entries, one for each step an event matches, ordered by time,
// then step, then event: at equal timestamps a lower step comes first, as in
// ClickHouse. A conversion is a sequence of entries for steps 1, 2, ... (skipping only
// optional steps) in that order, whose last entry is at most Window after its first
// (inclusive; Window 0 means no limit, where ClickHouse's window 0 would mean "the same
// instant"), each within its step's Within of the previous one, and:
//
//   - StrictIncrease: each entry strictly later than the previous;
//   - StrictOnce: no event used twice;
//   - an Exclusion: no excluded event strictly between the conversion's events for its
//     From and To steps.
//
// The search over a profile's entries stops early, as ClickHouse's does, in three
// modes: StrictDeduplication stops at an entry for a step (after the first) that some
// conversion already reached; StrictOrder stops at an event that matches no step once a
// first step was seen, at an entry whose previous step no conversion reached, and at a
// first-step entry once a conversion got past the first step (with AllowReentry that
// entry is skipped instead). A profile reached step k when some conversion among the
// entries before the stop contains step k; Level returns the deepest step reached.
//
// Level equals ClickHouse's windowFunnel(window, modes...) for every Spec ClickHouse
// can express, including its one blind spot: with StrictIncrease (and not StrictOnce)
// ClickHouse keeps one partial conversion per step and misses some conversions through
// events sharing an instant; Level does too, Run does not. ClickHouse's tests are
// transcribed in clickhouse_test.go, and testdata/clickhouse holds answers from a live
// server.
//
// # Counts
//
// Unique counts count profiles that reached a step. A profile that completes the funnel
// may enter it again: its next pass starts after the entry that completed the previous
// one (the earliest completion), and Total counts passes through each step. Conversion
// rates are from the nearest earlier required step and from the first step, with
// Wilson intervals (Clopper-Pearson on request); Compare gives an A/B test's difference
// (Newcombe's interval) and p-value.
//
// Times between steps come from one conversion per profile, the canonical one: the one
// that reached the profile's deepest step earliest, then the one with the latest first
// step (the shortest window, as ClickHouse anchors it), then the latest events, compared
// from the last step backwards. Breakdowns attribute a profile to the value of a
// property on that conversion's first event (FirstStep), on its deepest event
// (DeepestStep), or on its event for a named step (AtStep; "" when not reached).
//
// AnyOrder funnels count steps done in any order within one window that starts at one
// of the profile's matching events: "step k" there means "k of the steps".
//
// TimeToConvert is a Kaplan-Meier curve: converters are events at their time to
// convert; a profile that entered and did not convert is censored at its follow-up, from
// its latest first-step event to the end of observation (Spec.AsOf, or the latest event)
// or the window, whichever is shorter. A profile still inside its window is thus not yet
// converted, rather than lost.
//
// # Sequence patterns
//
// Sequence is ClickHouse's sequenceMatch and sequenceCount: a profile's events (those
// meeting at least one condition) matched against a pattern such as
// "(?1)(?t<=3600)(?2)", with ClickHouse's semantics, including its backtracking
// search's choice of which match to count. The search's work on a profile is bounded
// (Sequence.MaxSteps), as ClickHouse bounds it, so a hostile pattern fails rather than
// hangs. Results of one Sequence over disjoint shards of profiles add up with
// SequenceResult.Merge, which refuses a result of another Sequence (ErrMismatch) and a
// profile counted in both, matched or not (ErrInvalid).
//
// # Correlation
//
// Correlate asks what goes with converting: for every event name (other than the
// steps'), every value of the properties asked for and every segment given as a bitmap,
// the 2×2 table of converters and non-converters with and without it, its odds ratio
// with Woolf's interval (with a zero in the table, the conditional estimate, 0 or
// +Inf, and Fisher's exact interval), a p-value (Fisher's exact test when the smallest
// expected count is below 5, Cochran's rule; otherwise χ² with Yates's correction) and
// the Benjamini-Hochberg adjustment over all candidates, ranked into success and
// failure lists. A converter's events count from its conversion's first event to its last
// (events after the conversion are excluded by definition); a non-converter's from its
// first event to the end of the window.
//
// # Trends
//
// Trend is the funnel per period of entry (day, week or month in a location): the
// profiles whose canonical conversion started in the period, the share reaching each
// step and converting (Wilson intervals) and the median time to convert with a
// distribution-free interval. Its Partial merges across shards and encodes like the
// other analyses'.
//
// # Paths
//
// NextNode is ClickHouse's sequenceNextNode: the event after a chain of events from a
// base (head, tail, first or last match), forwards or backwards. Paths generalises it to
// flows: for each profile, the events after its first anchor event (or before its last),
// up to a depth, optionally ending at a To step; the result holds the top-N names at
// each depth, the drop-offs, and the links between depths that a Sankey chart draws.
//
// # Stickiness
//
// Stickiness counts on how many days of each week or month each profile did an event:
// the distribution per calendar period, per cohort (profiles by the period of their
// first such event, followed to the end of observation, inactive periods as 0 days) and
// split by a property's value on the profile's first such event.
//
// # Experiments
//
// CompareGroups compares a funnel's conversion between a control and a treatment group
// of profiles (bitmaps: an A/B test or a holdout), with the fixed-sample interval and
// p-value, and an always-valid confidence sequence for teams that look every day;
// CompareRetention does the same for a retention column of two groups' cohort tables,
// refusing tables that different Cohorts made (period, time zone, columns, rule, steps).
// Given the split the assignment meant (ExperimentOptions.ControlShare), both check the
// groups' sizes against it for a sample ratio mismatch (Experiment.SampleRatio).
// Holdout chooses a campaign's held-out profiles by a hash of the profile and a salt,
// the same on every server without a stored list. SampleSize says how many profiles a
// group needs for a target lift.
//
// # Retention and lifecycle
//
// Retention is ClickHouse's retention(cond1, ..., condN) for one profile. Cohorts builds
// cohort tables by day, week (from Monday) or month in a location: a profile joins the
// cohort of its first Start event and is retained in column k by a Return event in the
// k-th period after it (Retention On: N-day retention), in that period or any later one
// (OnOrAfter: unbounded), or in a bracket of periods. Cells whose periods have not ended
// are marked incomplete and left out of pooled rates.
//
// Lifecycle places each profile at any instant on the ladder stranger, visitor, user
// (UserVisits visits within UserSpan, by default 2 in 30 days), customer, repeat
// customer, advocate (a customer who brought a new user), overlaid by dormant and
// churned (no activity for DormantAfter or ChurnedAfter) and reactivated (back after a
// dormant spell, for DormantAfter). Journeys give the stage of every profile at a time,
// the transition matrix between two times, and a growth accounting table (new,
// retained, resurrected, dormant) per period. A profile's referrer is the one its
// earliest referring event names (Lifecycle.Referrer); RunBatch, which calls no
// function per event, takes the referrals as a map from referred profile to referrer,
// as a referral ledger keeps them, or, given a nil map and the default Referrer, reads
// them from the batch's "referrer" property column.
//
// # Scale
//
// Every computation takes its events in three forms:
//
//	            slice (any order)   iter.Seq, grouped by profile   columnar Batch
//	funnel      Spec.Run            Spec.RunSeq                    Spec.RunBatch
//	cohorts     Cohorts.Run         Cohorts.RunSeq                 Cohorts.RunBatch
//	lifecycle   Lifecycle.Run       Lifecycle.RunSeq               Lifecycle.RunBatch
//	sequences   Sequence.Run        Sequence.RunSeq                Sequence.RunBatch
//	correlation Correlate.Run       Correlate.RunSeq               Correlate.RunBatch
//	trends      Trend.Run           Trend.RunSeq                   Trend.RunBatch
//	paths       Paths.Run           Paths.RunSeq                   Paths.RunBatch
//	stickiness  Stickiness.Run      Stickiness.RunSeq              Stickiness.RunBatch
//
// Timestamps must lie in the years 1900-2189 (ErrTimeRange otherwise), where every
// difference of two fits in a time.Duration. A Batch holds profile, time (Unix
// nanoseconds) and interned event ids in parallel columns, grouped by profile; steps
// are matched once per distinct name, and RunBatch checks the columns as it matches them.
// A stream or a Batch whose profile reappears after another's is refused with
// ErrUnsorted. The slice and Batch forms work
// on ranges of profiles in parallel (GOMAXPROCS goroutines); the stream holds one
// profile's events at a time. Memory beyond the input is a few words per profile, and
// for lifecycles its runs of activity and active periods, never per event.
//
// The state of one shard of profiles (every event of a profile in one shard) merges
// exactly and serialises to a checksummed binary form, so the same computation can run
// on many machines: one Partial type for every analysis (Spec, Cohorts, Trend,
// Correlate and Stickiness: NewPartial, Partial, PartialSeq, PartialBatch;
// Partial.Merge, Result) and Journeys themselves
// (MergeJourneys; Lifecycle.NewJourneys and UnmarshalBinary). Merged journeys equal one pass over all
// the events, advocates included, though a referrer and the profiles it brought may
// sit in different shards: advocates are worked out after the merge.
//
// Specs, Cohorts and Lifecycles are plain values, whose Match and Referrer functions are
// called on the calling goroutine only (in a Batch, once per distinct name); Results,
// Tables and Journeys are not modified after they are returned and are safe for
// concurrent reads; Partials and Batches are not safe for concurrent mutation.
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): bad input is ErrInvalid and damaged
// encodings ErrCorrupt, with ErrUnsorted, ErrTimeRange and ErrMismatch where they say
// more, all in errors.go, each message naming "funnel:" once; partial results encode
// with MarshalBinary. funnel has no ApplyMerge: its results are computed from events and
// never modified, so a host remaps an event's profile before it reaches funnel.
package funnel
