package english

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Name returns a name taken from the data (an event, a channel, an identifier) as one
// line of a report can show it. A printable name of at most maxRunes runes comes back as
// it is. One holding a character strconv.IsPrint refuses (a newline would break the
// line, a tab its column, a bidirectional override would reverse the rest of it on the
// reader's terminal) comes back quoted with Go's escapes, and a longer one is cut to its
// first maxRunes runes with its whole length after it, so that a 100 kB name does not
// fill the screen.
func Name(s string, maxRunes int) string {
	cut := s
	if n := utf8.RuneCountInString(s); n > maxRunes {
		i := 0
		for range maxRunes {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		cut = s[:i]
	}
	shown := cut
	if strings.ContainsFunc(cut, func(r rune) bool { return !strconv.IsPrint(r) }) || !utf8.ValidString(cut) {
		shown = strconv.Quote(cut)
	}
	if len(cut) < len(s) {
		shown = fmt.Sprintf("%s… (%s)", shown, Count(len(s), "byte"))
	}
	return shown
}
