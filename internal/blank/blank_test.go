package blank

import (
	"testing"
	"unicode"
)

// TestRuneIsDefaultIgnorable holds Rune to its documentation over every rune: each is
// white space, U+2800, or Default_Ignorable_Code_Point, which DerivedCoreProperties.txt
// derives from Other_Default_Ignorable_Code_Point, the format characters (Cf) and the
// variation selectors.
func TestRuneIsDefaultIgnorable(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !Rune(r) {
			continue
		}
		n++
		ignorable := unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector)
		if !unicode.IsSpace(r) && r != BrailleBlank && !ignorable {
			t.Errorf("%U shows nothing but is neither white space, U+2800 nor default-ignorable", r)
		}
	}
	// 25 white space, 7 invisible, 2 joiners, 16 + 240 variation selectors, 5 Mongolian,
	// 4 Hangul fillers, the CGJ, 97 tags, 7 + 2 bidirectional controls, U+2800.
	if want := 25 + 7 + 2 + 16 + 240 + 5 + 4 + 1 + 97 + 9 + 1; n != want {
		t.Errorf("%d runes show nothing, want %d", n, want)
	}
}

func TestString(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, " \t": true, "\u3164": true, "\ufe0f\u2800": true, "\u202e\u202c": true, "\U000e0041": true,
		"\ufeff": true, "\u200d": true, "a": false, "\u3164a": false, "❤\ufe0f": false, "\u2800x\u2800": false,
	} {
		if String(v) != want {
			t.Errorf("String(%+q) = %v, want %v", v, !want, want)
		}
	}
}
