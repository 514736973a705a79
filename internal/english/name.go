package english

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// runesPerColumn bounds the runes Name keeps for each column it may show: an emoji
// sequence takes up to a dozen runes for its two columns, and a name of nothing but
// zero-width marks, zero columns wide, must still be cut.
const runesPerColumn = 8

// Name returns a name taken from the data (an event, a channel, an identifier) as one
// line of a report can show it. A printable name at most maxColumns terminal columns
// wide (Width) comes back as it is. One holding a character strconv.IsPrint refuses
// (a newline would break the line, a tab its column, a bidirectional override would
// reverse the rest of it on the reader's terminal) comes back quoted with Go's
// escapes, and a wider one is cut to its first maxColumns columns (Cut: never inside
// an accented letter, a Hangul syllable or an emoji) with its whole length after it,
// so that a 100 kB name does not fill the screen. The cut also keeps at most 8 runes
// a column, so that a name of zero-width marks is cut too. Columns, not runes: a name
// in Chinese cut to 24 runes took 48 columns and pushed its row's figures out of line.
//
// The limit is on the name as given; quoting (a newline shown as \n) and the length
// after a cut make the line longer.
func Name(s string, maxColumns int) string {
	maxColumns = max(maxColumns, 0)
	c := cut(s, maxColumns, runesPerColumn*maxColumns)
	shown := c
	if strings.ContainsFunc(c, func(r rune) bool { return !strconv.IsPrint(r) }) || !utf8.ValidString(c) {
		shown = strconv.Quote(c)
	}
	if len(c) < len(s) {
		shown = fmt.Sprintf("%s… (%s)", shown, Count(len(s), "byte"))
	}
	return shown
}
