package match

// jaroWinkler is the Jaro-Winkler similarity of a and b in [0, 1], on runes: Jaro's
// similarity (Jaro 1989: matching characters within half the longer length, minus half
// the transpositions) raised for a common prefix of up to 4 runes by 0.1 per rune
// (Winkler 1990), the boost applied only when the Jaro similarity exceeds 0.7, as in
// Winkler's own comparator. Two empty strings are identical (1).
func jaroWinkler(a, b []rune) float64 {
	j := jaro(a, b)
	if j <= 0.7 {
		return j
	}
	l := 0
	for l < 4 && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	window := max(len(b)/2-1, 0)
	// Field values are at most MaxFieldLen bytes, but the function takes any input, so
	// the flags are allocated rather than held in a fixed array.
	var small [2 * 64]bool
	var am, bm []bool
	if len(a)+len(b) <= len(small) {
		am, bm = small[:len(a)], small[len(a):len(a)+len(b)]
	} else {
		am, bm = make([]bool, len(a)), make([]bool, len(b))
	}
	m := 0
	for i, c := range a {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for k := lo; k < hi; k++ {
			if !bm[k] && b[k] == c {
				am[i], bm[k] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := range a {
		if !am[i] {
			continue
		}
		for !bm[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	fm := float64(m)
	return (fm/float64(len(a)) + fm/float64(len(b)) + (fm-float64(t/2))/fm) / 3
}

// osaDistance is the optimal string alignment distance between a and b on runes: the
// fewest insertions, deletions, substitutions and transpositions of adjacent runes that
// turn one into the other, no substring edited twice (the restricted Damerau-Levenshtein
// distance; Damerau 1964 found these four operations cover 80% of typing errors). It
// keeps three rows, so memory is linear in the shorter string.
func osaDistance(a, b []rune) int {
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
