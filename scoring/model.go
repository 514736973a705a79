package scoring

// Model is a fitted continuous-time buy-till-you-die model: *BGNBD, *MBGNBD or
// *ParetoNBD. Times are in the unit of the customers the model was fitted on. A
// Model's methods only read it, so a fitted model is safe for concurrent use.
//
// The methods take a customer that passes Customer.Validate and a horizon t >= 0; for
// anything else they return 0 (never NaN). Score, CLV, Forecast and Validate check
// their input and return errors instead.
type Model interface {
	// ExpectedPurchases returns E[X(T, T+t) | c]: the purchases c is expected to make
	// in the next t after the end of its observation period.
	ExpectedPurchases(t float64, c Customer) float64
	// PAlive returns the probability that c is still active at its age T.
	PAlive(c Customer) float64
	// PurchaseProb returns P(X(T, T+t) = n | c).
	PurchaseProb(t float64, n int, c Customer) float64
	// ExpectedPurchasesNew returns E[X(t)] for a customer just acquired.
	ExpectedPurchasesNew(t float64) float64
	// PurchaseProbNew returns P(X(t) = n) for a customer just acquired.
	PurchaseProbNew(t float64, n int) float64
}

var (
	_ Model = (*BGNBD)(nil)
	_ Model = (*MBGNBD)(nil)
	_ Model = (*ParetoNBD)(nil)
)

// usable reports whether a prediction's inputs are valid; the Model methods answer 0
// for anything else.
func usable(t float64, c Customer) bool {
	return checkHorizon(t) == nil && c.Validate() == nil
}
