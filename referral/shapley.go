package referral

// Shapley shares conversions by the Shapley value (Shapley 1953) of the cooperative
// game whose players are the channels and whose worth of a coalition S is the
// conversions (and, for value, the conversion value) of the journeys whose set of
// channels is a subset of S: what the coalition would have converted on its own. This
// is the characteristic function of Zhao, Mahboobi & Bagheri (2018), "Shapley value
// methods for attribution modeling in online advertising", §3.
//
// That game is a sum of unanimity games, one per distinct channel set T, each worth the
// conversions R(T) of the journeys touched by exactly T; the Shapley value is additive
// and gives a unanimity game's worth in equal shares to its members, so
//
//	φ_j = Σ_{T ∋ j} R(T) / |T|
//
// (Zhao et al.'s "simplified Shapley value"). It is exact for any number of channels in
// time linear in the journeys: enumerating the 2^n coalitions, or sampling
// permutations with an error estimate beyond a dozen channels, would only approximate
// the same number more slowly (the tests check the formula against full enumeration).
// Order and repetition within a journey do not matter: a channel that touched a journey
// twice is one member of its set.
type Shapley struct{}

func (Shapley) validate() error { return nil }

func (Shapley) credit(j *journeys) ([]Credit, error) {
	out := make([]Credit, len(j.names))
	seen := make([]int, len(j.names)) // seen[c] == i+1 when c is already in path i's set
	var set []int32
	for i := range j.paths {
		p := &j.paths[i]
		if p.Conversions == 0 {
			continue
		}
		set = set[:0]
		for _, c := range j.touches(i) {
			if seen[c] != i+1 {
				seen[c] = i + 1
				set = append(set, c)
			}
		}
		share := 1 / float64(len(set))
		for _, c := range set {
			out[c].Conversions += p.Conversions * share
			out[c].Value += p.Value * share
		}
	}
	return out, nil
}
