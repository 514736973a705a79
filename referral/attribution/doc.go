// Package attribution shares conversions and their value among the channels of
// customer journeys: which channels deserve the credit for a sale.
//
//	paths := []attribution.Path{
//		{Touches: []string{"search", "email"}, Conversions: 3, Value: 90},
//		{Touches: []string{"social"}, Nulls: 10},
//	}
//	credits, err := attribution.Attribute(paths, attribution.Markov{Order: 1})
//
// [Attribute] applies a [CreditRule] to journeys ([Path], parsed by [ParsePath] and
// [ReadPaths]): the rule-based [FirstTouch], [LastTouch] (optionally last non-direct),
// [Linear], [PositionBased] and [TimeDecay], and the data-driven [Markov] (removal
// effects of an absorbing chain of order 1 to 4, solved exactly) and [Shapley] (Zhao
// et al.'s closed form for the game of conversions; the conversion-rate game exactly
// over every coalition up to [MaxExactShapley] channels, and from sampled orderings
// with standard errors beyond). Path ages use the SDK's duration syntax
// ("search@3d > email@36h", see clientele.ParseDuration).
//
// Errors wrap [ErrInvalid] (a path or credit rule that cannot be used, among them
// figures no journey data holds: counts over [MaxCount], values over scoring.MaxAmount),
// [ErrSyntax] (a path that does not parse, with its column) or [ErrNotConverged].
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): bad input is ErrInvalid, in errors.go, each
// message naming "attribution:" once; how credit is divided is a CreditRule, not a
// Model (a Model is fitted, as in scoring); a reader yields iter.Seq2[Path, error] and
// takes *ReadOptions (nil: strict), as scoring.ReadTransactions does; path ages are
// written in the SDK's duration syntax.
//
// # Design
//
// It was part of package referral, which it belongs with in the SDK's map (who brought
// whom, by which channel), but it shares no types with the programme ledger, so it is a
// package of its own. Markov models condense the chain's strongly connected components
// and factorise each (LU, or Gauss-Seidel for a very large core) rather than invert the
// whole fundamental matrix; testdata/markov_golden.py checks them against the dense
// inverse.
package attribution
