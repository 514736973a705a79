package english

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Width returns the number of columns s takes on a terminal in a monospaced font: two
// for each East Asian Wide or Fullwidth character (漢字, ｅ, most emoji), none for a
// combining mark (Unicode categories Mn and Me, as the accent of "é" written e +
// U+0301) or a format character (Cf, as the zero-width joiner), and one for any other
// rune, the East Asian Ambiguous ones included, as terminals outside East Asia show
// them. A byte that is not UTF-8 counts one, as the replacement character it shows as.
// Characters a terminal does not print (a newline, a tab) count one too: Name quotes
// them, so a report pads Name's result, not the raw value.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	if r < utf8.RuneSelf {
		return 1
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// Pad returns s followed by as many spaces as make it columns wide (Width), or s
// itself when it is that wide or wider: a table's left-aligned label column. fmt's
// %-10s pads by runes, so that a label in Chinese or Japanese pushed the rest of its
// row right by a column for each of its characters.
func Pad(s string, columns int) string {
	if w := Width(s); w < columns {
		return s + strings.Repeat(" ", columns-w)
	}
	return s
}

// PadLeft returns as many spaces as make s columns wide (Width) followed by s, or s
// itself when it is that wide or wider: a table's right-aligned column. fmt's %10s pads
// by runes, as its %-10s does (see Pad), and misaligns a column of ids in Chinese or
// Japanese in the same way.
func PadLeft(s string, columns int) string {
	if w := Width(s); w < columns {
		return strings.Repeat(" ", columns-w) + s
	}
	return s
}
