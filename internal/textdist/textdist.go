// Package textdist measures how far apart two strings are, for the fuzzy comparisons of
// identity/match and the "did you mean" of segment's error messages.
package textdist

// OSA is the optimal string alignment distance between a and b on runes: the
// fewest insertions, deletions, substitutions and transpositions of adjacent runes that
// turn one into the other, no substring edited twice (the restricted Damerau-Levenshtein
// distance; Damerau 1964 found these four operations cover 80% of typing errors). It
// keeps three rows, so memory is linear in the shorter string.
func OSA(a, b []rune) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(b) == 0 {
		return len(a)
	}
	n := len(b) + 1
	buf := make([]int, 3*n)
	prev2, prev, cur := buf[:n], buf[n:2*n], buf[2*n:]
	for k := range prev {
		prev[k] = k
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for k := 1; k <= len(b); k++ {
			cost := 1
			if a[i-1] == b[k-1] {
				cost = 0
			}
			d := min(prev[k]+1, cur[k-1]+1, prev[k-1]+cost)
			if i > 1 && k > 1 && a[i-1] == b[k-2] && a[i-2] == b[k-1] {
				d = min(d, prev2[k-2]+1)
			}
			cur[k] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
