// Package nfc puts text in Unicode Normalization Form C with a fast path for ASCII, the
// form nearly every identifier and name arrives in: identity's NFCNormalizer and
// identity/match's field normalisation share it.
package nfc

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// String returns v in NFC: v itself, without allocating, when it is ASCII or already
// NFC.
func String(v string) string {
	if ASCII(v) {
		return v
	}
	return norm.NFC.String(v)
}

// ASCII reports whether v is all ASCII, eight bytes at a time.
func ASCII(v string) bool {
	for len(v) >= 8 {
		w := v[:8]
		if (uint64(w[0])|uint64(w[1])<<8|uint64(w[2])<<16|uint64(w[3])<<24|
			uint64(w[4])<<32|uint64(w[5])<<40|uint64(w[6])<<48|uint64(w[7])<<56)&0x8080808080808080 != 0 {
			return false
		}
		v = v[8:]
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
