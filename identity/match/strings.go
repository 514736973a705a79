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
