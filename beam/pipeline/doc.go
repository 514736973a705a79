// Package pipeline runs clientele's computations as Apache Beam pipelines, so that a
// host whose events outgrow one machine can run them on Prism (embedded, the default),
// Flink, Spark or Google Cloud Dataflow without writing its own distribution.
//
// Every transform gives the same answer as the in-process SDK on the same input,
// because it runs the SDK itself: events are keyed by profile (in batches, a range of
// profiles a key, see Profiles) and shuffled so that each profile's events meet on
// one worker, each profile's journey is computed there by the
// SDK, and the SDK's mergeable partial states (funnel.Partial of a funnel or a cohort
// table, funnel.Journeys, grouped BTYD statistics, Markov transition counts, roaring bitmaps)
// are combined across workers by a CombineFn whose MergeAccumulators is the SDK's
// merge. What the shuffle changes is written beside each transform:
//
//   - a shuffle keeps no input order, so a profile's events at the same instant are
//     taken in a canonical order (name, then properties) where the in-process SDK takes
//     them in input order; the results agree whenever the input is in that order or a
//     profile has no two events at one instant;
//   - the SDK's Match and Referrer functions cannot travel to remote workers, so steps
//     are matched by event name (a Step with a Match function is refused);
//   - floating-point sums over customers and paths are added in the order the workers
//     deliver them, so fitted parameters and attributed credit agree with the
//     in-process figures to rounding (relative 1e-9 in the tests), not bit for bit;
//   - identity resolution (Resolve) replays each connected component's events in the
//     order SortLinks gives (time, source, match, identifiers), where the
//     in-process resolver takes events in the order Link is called: the results are
//     equal whenever no two events share an instant, and always equal to the resolver
//     fed the SortLinks order. Rules hold functions, so a pipeline names registered
//     rules (RegisterRules) instead of passing them;
//   - a CLV fit on data too few to fit (scoring.ErrTooFew), an error the in-process
//     caller sees and carries on past, would fail every table of the pipeline, so
//     CustomerValue writes the reason in its Model element and scores no one.
//
// Identity resolution is the one computation whose rules depend on order (per-kind
// limits and the hot-identifier quarantine decide event by event), so it is not a
// combine: Resolve finds the connected components of the identifier graph with
// large-star/small-star rounds unrolled into the pipeline, checks they are final, and
// replays each component through identity.Resolver on one worker (see Resolve).
//
// Each transform returns a PCollection with one element, the merged state encoded by
// the SDK's MarshalBinary (decode it with the SDK and ask it for the table), or per-key
// results as documented. Every DoFn and CombineFn is registered with Beam's register
// package, so the pipelines run on remote workers.
package pipeline
