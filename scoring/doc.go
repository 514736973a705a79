// Package scoring gives every profile the numbers that decide where marketing money
// goes: who will buy again, what each customer is worth, and who looks like the best
// customers. It is the Go peer of Python's lifetimes and R's BTYD and CLVTools, and
// reproduces the published results they reproduce.
//
// The shortest useful program turns transactions into per-customer summaries, fits a
// buy-till-you-die model and asks it who is still active:
//
//	summaries, err := scoring.Summarize(slices.Values(txs), &scoring.SummaryOptions{End: end})
//	// ... collect summaries[i].Customer into cs
//	m, err := scoring.FitBGNBD(cs, nil) // the model records the customers' unit, weeks
//	p := m.PAlive(cs[0])                // probability customer 0 is still active
//	e := m.ExpectedPurchases(13, cs[0]) // purchases expected in the next 13 weeks
//
// # From transactions to models
//
// [Summarize] turns (profile, time, amount) transactions into a [Customer] per
// profile in the conventions of Fader, Hardie & Lee (2005) and lifetimes: repeat
// purchases x, age at the last repeat purchase t_x, age T, mean repeat spend, with
// purchases in the same period (a day by default) counted once. [SummarizeHoldout]
// also returns each profile's purchases and spend in a holdout period, which
// [CheckHoldout] compares with a model's predictions. [ReadTransactions] parses CSV or
// whitespace-separated files of transactions; [ReadRows] reads them with each row's
// line and fields, for a column of the caller's own (an order id), and
// [ReadOptions].EmptyAmount lets that caller skip the rows without an amount that it
// knows (an order export's later rows of an order, one per item).
//
// # Models
//
//   - [BGNBD]: BG/NBD, Fader, Hardie & Lee (2005), "Counting your customers the easy way".
//   - [MBGNBD]: MBG/NBD, Batislam, Denizel & Filiztekin (2007).
//   - [ParetoNBD]: Pareto/NBD, Schmittlein, Morrison & Colombo (1987), with the
//     likelihood of Fader & Hardie's 2005 note, its A0 integrated by Gauss-Legendre
//     quadrature so that the gradient and Hessian come from the same pass.
//   - [BGBB]: BG/BB for discrete opportunities, Fader, Hardie & Shang (2010), on
//     weighted [Opportunities] rows.
//   - [GammaGamma]: spend per transaction, Fader, Hardie & Lee (2005), "RFM and CLV".
//   - [SBG]: shifted-beta-geometric for contractual settings (subscriptions,
//     memberships), Fader & Hardie (2007), "How to project customer retention", fitted
//     from a cohort's survivor counts ([FitSBG], [FitSBGCohorts]), with survival and
//     retention curves and the discounted expected residual lifetime of Fader &
//     Hardie (2010).
//
// [FitBGNBDCovariates] and [FitParetoNBDCovariates] fit BG/NBD and Pareto/NBD with
// time-invariant covariates on the purchase and dropout processes, in the exp(γ·z)
// form of CLVTools (Bachmann, Meierer & Näf 2021); a fitted model's For returns the
// plain model of a customer with given covariates, whose methods score that customer.
//
// The three continuous-time models satisfy [Model]: per customer, the purchases
// expected in the next t, P(alive) and P(X(t) = n); for a new customer E[X(t)] and
// P(X(t) = n). [Predict], [CLV], [Forecast] and [Tracking] (the cumulative tracking
// plot in calendar time) work on any Model. Times are in the unit of the customers a
// model was fitted on (Customer.Unit, which the model records as its Unit). Every
// function and method that returns an error (Predict, CLV, Forecast, CheckHoldout,
// the intervals, BG/BB's among them) refuses customers of another recorded unit than
// the model's; the Model and BGBB methods, which return none, do not check it. sBG
// records no unit: its survivor counts are per renewal period, whatever that is.
//
// Fits maximise the likelihood over the log-parameters with gonum's optimize.Newton
// and a backtracking line search (each step confined to a factor e² per parameter;
// BG/NBD, MBG/NBD and Pareto/NBD with analytic gradients and Hessians, so that a
// Newton iteration costs one pass over the data, the other models with derivatives
// analytic or from gonum's fd package), from a moment-based start and further
// starts only when it fails, and report the log-likelihood and the standard errors from
// the Hessian in [Diagnostics]. They stop on scale-free criteria and declare a maximum
// only where a first-order optimality check holds (a Newton step would gain less than
// 1e-3 of log-likelihood). Where the likelihood rises towards the edge of the
// parameter space (no dropout seen, the same mean spend for everyone, ...) the fit
// holds the parameter running off at the boundary and reports the limiting model in
// [Diagnostics].Boundary, so its predictions still work and say what they rest on.
// Repeat purchases at recency 0, all at the instant of the first, are no such limit:
// towards them the likelihood of BG/NBD, MBG/NBD and Pareto/NBD grows without bound,
// and those fits return a maximum away from them or fail with [ErrBurst] (Summarize,
// which counts a period's purchases once, never makes them).
// FitOptions.Penalizer adds lifetimes' L2 penalty for small bases. Customers with
// identical (x, t_x, T) are grouped with weights and the likelihood is evaluated in
// parallel over the groups; [FitOptions].Weights hands such groups to FitBGNBD,
// FitMBGNBD, FitParetoNBD and FitGammaGamma directly, one row per distinct history
// with the number of customers who have it, and the estimates do not depend on the
// weights' scale (nor on BG/BB's or sBG's counts'). A fit that finds no maximum
// fails with a [*ConvergenceError] naming the cause.
//
// # Intervals
//
// Every prediction has an interval form that carries the uncertainty of the fitted
// parameters. [NewIntervals] returns an [Intervals] whose methods mirror the Model
// methods, ExpectedSpend and CLV, per customer and for the whole base
// (BasePurchases, BaseAlive, BasePurchaseCount, BaseCLV); [BGBB.Intervals],
// [SBG.Intervals] and the covariate models' Intervals do the same for the other
// models. All take one [IntervalOptions], whose Method chooses the delta method
// ([Delta], the default: from the Hessian of the likelihood) or the parametric
// bootstrap ([Bootstrap]: simulates the base from the fitted model and refits). The
// delta method refuses, with [ErrInvalid] naming the limits, a fit whose likelihood is
// nearly flat towards a limit of the parameter space (no dropout seen in a small
// base), where its normal approximation gave P(alive) intervals of [0, 1]: the
// bootstrap is the one to use there.
//
// # Scores and audiences
//
// [RFM] scores recency, frequency and monetary value by quantile with deterministic
// ties and names the standard segments; [RFMSegments] returns them as roaring bitmaps
// that a segment index can hold as tags. [FitLogistic] fits an L2-regularised
// propensity model (or, unpenalised, one with Wald standard errors) and [Evaluate]
// reports its AUC, lift and gains by decile and calibration. [FindLookalikes] ranks the
// base by similarity to a seed segment and measures the ranking on held-out seed
// members. [Engagement] keeps a recency-weighted activity score with a stated
// half-life.
//
// # Errors
//
// Bad input gets an error, never a NaN: [ErrInvalid] (negative or inconsistent rows,
// NaN or infinite values, wrong lengths; [ErrBurst], repeat purchases at recency 0, is
// one), [ErrTooFew] (not enough customers to fit),
// [ErrNoConvergence], [ErrSyntax] (files, with line and column) and [ErrModel]
// (serialised models). Errors name the offending row or field.
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): bad input is ErrInvalid, with ErrTooFew,
// ErrNoConvergence, ErrSyntax and ErrModel where they say more, all in errors.go, each
// message naming "scoring:" once; functions take *XOptions, nil meaning the defaults
// (FitOptions, SummaryOptions, CLVOptions, ReadOptions, ...); the intervals of every
// model come from one constructor whose IntervalOptions.Method chooses delta or
// bootstrap; rows that stand for several customers are weighted by
// FitOptions.Weights, not by a weighted twin of each fit.
//
// # Design: concurrency
//
// Fitted models ([BGNBD], [MBGNBD], [ParetoNBD], [BGBB], [GammaGamma], [Logistic],
// [Lookalike]) are not modified by their methods and are safe for concurrent use, so a
// host can fit nightly and score in its request path from many goroutines.
// [Engagement] is safe for concurrent use. Plain data types (Customer, Summary,
// options, result tables) carry no synchronisation of their own. Models serialise to
// and from JSON with their time unit and fit diagnostics.
package scoring
