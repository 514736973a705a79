package english

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// runesPerColumn bounds the runes Name keeps for each column it may show: an emoji
// sequence takes up to a dozen runes for its two columns, and a name of nothing but
// zero-width marks, zero columns wide, must still be cut.
const runesPerColumn = 8

// Name returns a name taken from the data (an event, a channel, an identifier) as one
// line of a report can show it. A printable name at most maxColumns terminal columns
// wide (Width) comes back as it is. One holding a character strconv.IsPrint refuses (a
// newline would break the line, a tab its column, a bidirectional override would
// reverse the rest of it on the reader's terminal) comes back quoted with Go's escapes
// (but for the zero-width joiner inside an emoji sequence, as in 👩‍💻, which joins two
// pictographs into one and is shown as it is), and a wider one is cut to its first
// maxColumns columns (cut: never inside an accented letter, a Hangul syllable or an
// emoji) with its whole length after it, so that a 100 kB name does not fill the
// screen. The cut also keeps at most 8 runes a column, so that a name of zero-width
// marks is cut too. Columns, not runes: a name in Chinese cut to 24 runes took 48
// columns and pushed its row's figures out of line.
//
// The limit is on the name as given; quoting (a newline shown as \n) and the length
// after a cut make the line longer.
func Name(s string, maxColumns int) string {
	maxColumns = max(maxColumns, 0)
	c := cut(s, maxColumns, runesPerColumn*maxColumns)
	shown := c
	if !printable(c) {
		shown = strconv.Quote(c)
	}
	if len(c) < len(s) {
		shown = fmt.Sprintf("%s… (%s)", shown, Count(len(s), "byte"))
	}
	return shown
}

// printable reports whether s is UTF-8 whose every rune strconv.IsPrint takes, but
// for a zero-width joiner that joins two pictographs within one cluster (an emoji
// ZWJ sequence, which Go's escapes would show as "👩\u200d💻"). A joiner anywhere
// else, like every other format character, is quoted: invisible characters in a name
// hide what it says.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for len(s) > 0 {
		n, _ := cluster(s)
		c := s[:n]
		first, _ := utf8.DecodeRuneInString(c)
		for i, r := range c {
			if strconv.IsPrint(r) {
				continue
			}
			next, _ := utf8.DecodeRuneInString(c[i+utf8.RuneLen(r):])
			if r != zwj || !pictographic(first) || !pictographic(next) {
				return false
			}
		}
		s = s[n:]
	}
	return true
}
