//go:build race

package uplift

const raceEnabled = true
