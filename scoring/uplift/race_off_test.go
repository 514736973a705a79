//go:build !race

package uplift

const raceEnabled = false

func scaled(n int) int { return n }
