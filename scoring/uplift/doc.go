// Package uplift finds the people a promotion changes: from a randomised campaign
// (a treated and a control group, outcome conversion) it estimates each profile's
// uplift, P(buy | treated, x) - P(buy | control, x), evaluates the estimate on
// held-out campaign data, and chooses whom to send under a budget.
//
// Propensity models (scoring.FitLogistic, scoring.Lookalike) rank people by how
// likely they are to buy; a promotion sent to people who buy anyway ("sure things")
// wastes its cost and its discount, and some people are put off by it ("sleeping
// dogs"). Uplift ranks by the change the promotion makes (Radcliffe & Surry 2011).
//
// Learners ([Fit]) are built on scoring's logistic regression: the two-model
// T-learner, class transformation (Jaskowski & Jaroszewicz 2012) and the X-learner
// (Künzel, Sekhon, Bickel & Yu 2019). Features may be anything numeric: RFM scores,
// BTYD predictions, engagement, segment memberships as 0/1.
//
//	m, err := uplift.Fit(x, treated, converted, nil)
//	scores, err := m.Uplift(population)
package uplift
