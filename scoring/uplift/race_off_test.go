//go:build !race

package uplift

const raceEnabled = false
