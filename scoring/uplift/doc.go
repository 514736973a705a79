// Package uplift finds the people a promotion changes: from a randomised campaign
// (a treated and a control group, outcome conversion or spend) it estimates each
// profile's uplift, P(buy | treated, x) - P(buy | control, x) ([Fit]) or
// E[spend | treated, x] - E[spend | control, x] ([FitSpend]), evaluates the estimate
// on held-out campaign data ([Evaluate], [EvaluateSpend]), and chooses whom to send
// under a budget ([Target]).
//
//	m, err := uplift.Fit(x, treated, converted, nil)
//	scores, err := m.Uplift(population)
//
// [Features] builds the features, with named columns, from RFM scores, BTYD
// predictions, engagement and segment memberships; [Evaluate] grades a model on a
// held-out campaign (Qini and uplift curves); [Target] picks whom to send.
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): bad input is ErrInvalid, in errors.go, each
// message naming "uplift:" once; functions take *XOptions, nil meaning the defaults
// (FitOptions, EvalOptions); a fitted model is a Model, as in scoring and identity/match.
// The bootstraps, which may run for seconds, take a ctx first (Evaluate, EvaluateSpend,
// Plan.Check, Plan.CheckSpend), and stop with an error wrapping ctx.Err() once it is
// done.
//
// # Design
//
// Propensity models (scoring.FitLogistic, scoring.Lookalike) rank people by how
// likely they are to buy; a promotion sent to people who buy anyway ("sure things")
// wastes its cost and its discount, and some people are put off by it ("sleeping
// dogs"). Uplift ranks by the change the promotion makes (Radcliffe & Surry 2011).
//
// Learners ([Fit]) are built on scoring's logistic regression: the two-model
// T-learner, class transformation (Jaskowski & Jaroszewicz 2012) and the X-learner
// (Künzel, Sekhon, Bickel & Yu 2019); for spend, on ridge regression ([Linear]).
// Features may be anything numeric.
package uplift
