package identity

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/phonechar/phonetest"
)

func TestEmailNormalizer(t *testing.T) {
	for _, tc := range []struct {
		in, plain, provider string // "" means rejected
	}{
		{"anna@example.com", "anna@example.com", "anna@example.com"},
		{"  Anna@Example.COM ", "anna@example.com", "anna@example.com"},
		{"mailto:anna@example.com", "anna@example.com", "anna@example.com"},
		{"anna@example.com.", "anna@example.com", "anna@example.com"},
		{"Anna.Li+shop@Gmail.com", "anna.li+shop@gmail.com", "annali@gmail.com"},
		{"a.n.n.a@googlemail.com", "a.n.n.a@googlemail.com", "anna@gmail.com"},
		{"anna+x@outlook.com", "anna+x@outlook.com", "anna@outlook.com"},
		{"anna.li+x@example.com", "anna.li+x@example.com", "anna.li+x@example.com"}, // unknown server: kept
		{"+tag@gmail.com", "+tag@gmail.com", ""},
		{"Ünïcode@exämple.org", "ünïcode@exämple.org", "ünïcode@exämple.org"},
		{"anna", "", ""},
		{"@example.com", "", ""},
		{"anna@", "", ""},
		{"anna@localhost", "", ""},
		{"a@b@example.com", "", ""},
		{"anna li@example.com", "", ""},
		{"anna@exa..mple.com", "", ""},
		{"anna@.example.com", "", ""},
		{"<anna@example.com>", "", ""},
		{"anna\u2028li@example.com", "", ""},
		// A "mailto:" left after the first is removed too: "mailto:a@b.c" loses it when
		// normalised again, and a normaliser must be idempotent.
		{"mailto:mailto:anna@example.com", "anna@example.com", "anna@example.com"},
		{"mailto: MAILTO:Anna+x@Gmail.com", "anna+x@gmail.com", "anna@gmail.com"},
		{"MA\u0130LTO:anna@example.com", "anna@example.com", "anna@example.com"},
		{"mailto:mailto:@example.com", "", ""},
		// The separators are rejected after a non-ASCII letter too: "İ" lower-cases to
		// "i", and "i@gmail.com<" was accepted once and rejected when normalised again.
		{"\u0130@gmail.com<", "", ""},
		{"jos\u00e9<j@example.com", "", ""},
		{"\u00fc@example.com;", "", ""},
		{"jos\u00e9,ana@example.com", "", ""},
		{"jos\u00e9@ex>ample.com", "", ""},
		// Invisible format characters: each makes a value that looks like ann's
		// address and is not (see invisible). The joiners Persian and Indic scripts
		// need are kept.
		{"ann\u200b@example.com", "", ""},
		{"\ufeffann@example.com", "", ""},
		{"an\u00adn@example.com", "", ""},
		{"ann@exam\u2060ple.com", "", ""},
		{"\u202eann@example.com", "", ""},
		{"ann\U000e0041@example.com", "", ""},
		{"\u0645\u06cc\u200c\u0631\u0648\u0645@example.com", "\u0645\u06cc\u200c\u0631\u0648\u0645@example.com", "\u0645\u06cc\u200c\u0631\u0648\u0645@example.com"},
	} {
		for _, c := range []struct {
			provider bool
			want     string
		}{{false, tc.plain}, {true, tc.provider}} {
			got, err := EmailNormalizer(c.provider)(tc.in)
			if c.want == "" {
				if err == nil {
					t.Errorf("EmailNormalizer(%v)(%q) = %q, want an error", c.provider, tc.in, got)
				}
				continue
			}
			if err != nil || got != c.want {
				t.Errorf("EmailNormalizer(%v)(%q) = %q, %v; want %q", c.provider, tc.in, got, err, c.want)
			}
		}
	}
}

func TestNFCNormalizer(t *testing.T) {
	for _, tc := range []struct {
		in, plain, nfc string // the e-mail normaliser with provider rules, without and with NFC
	}{
		{"anna@example.com", "anna@example.com", "anna@example.com"},
		{"jos\u00e9@example.com", "jos\u00e9@example.com", "jos\u00e9@example.com"},
		{"Jose\u0301@example.com", "jose\u0301@example.com", "jos\u00e9@example.com"},
		{"JOSE\u0301@EXAMPLE.COM", "jose\u0301@example.com", "jos\u00e9@example.com"},
		{"jos\u00e9@exa\u0301mple.com", "jos\u00e9@exa\u0301mple.com", "jos\u00e9@ex\u00e1mple.com"},
		// Removing a gmail dot joins "a" and an accent the dot held apart.
		{"a.\u0301b@gmail.com", "a\u0301b@gmail.com", "\u00e1b@gmail.com"},
		// Lower-casing İ (as I and a dot above) gives "i", which composes with the acute.
		{"\u0130\u0301@example.com", "i\u0301@example.com", "\u00ed@example.com"},
		// NFC composes "<" and a long solidus to "≮", which is no "<": the one spelling is
		// accepted as the other is, where without NFC the decomposed one is rejected.
		{"a<\u0338b@example.com", "", "a\u226eb@example.com"},
		{"a\u226eb@example.com", "a\u226eb@example.com", "a\u226eb@example.com"},
		// Singletons: the Kelvin and Ångström signs are K and Å in NFC, and lower-case to
		// k and å with or without it.
		{"\u212a\u212b@example.com", "k\u00e5@example.com", "k\u00e5@example.com"},
		{"\u212bngstr\u00f6m@example.com", "\u00e5ngstr\u00f6m@example.com", "\u00e5ngstr\u00f6m@example.com"},
		{"A\u030angstro\u0308m@example.com", "a\u030angstro\u0308m@example.com", "\u00e5ngstr\u00f6m@example.com"},
		{"jose\u0301", "", ""},
	} {
		for _, c := range []struct {
			name string
			n    Normalizer
			want string
		}{{"EmailNormalizer(true)", EmailNormalizer(true), tc.plain}, {"NFCNormalizer(EmailNormalizer(true))", NFCNormalizer(EmailNormalizer(true)), tc.nfc}} {
			got, err := c.n(tc.in)
			if c.want == "" {
				if err == nil {
					t.Errorf("%s(%+q) = %+q, want an error", c.name, tc.in, got)
				}
				continue
			}
			if err != nil || got != c.want {
				t.Errorf("%s(%+q) = %+q, %v; want %+q", c.name, tc.in, got, err, c.want)
			}
		}
	}
	for in, want := range map[string]string{"": "", " Jose\u0301 ": " Jos\u00e9 ", "\u212b": "\u00c5"} {
		if got, err := NFCNormalizer(nil)(in); err != nil || got != want {
			t.Errorf("NFCNormalizer(nil)(%+q) = %+q, %v; want %+q", in, got, err, want)
		}
	}
	// The wrapped normaliser's error is returned, and quotes the value in NFC.
	if _, err := NFCNormalizer(EmailNormalizer(false))("jose\u0301"); err == nil || !strings.Contains(err.Error(), "jos\u00e9") {
		t.Errorf("NFCNormalizer(EmailNormalizer(false)) error %v does not quote the NFC value", err)
	}
}

// nfcAlphabet holds the characters that decide NFC of an e-mail: ASCII of both cases
// and the separators, precomposed letters and their parts, combining marks of different
// classes (which canonical ordering sorts), singletons (Kelvin, Ångström, Ohm), "<" and
// the long solidus that compose to "≮", Hangul syllables and jamo, İ (lower-cased to
// "i") and a dotless i.
var nfcAlphabet = []rune("aAeEiIkKoOzZ0.+-_@<> \u00e9\u00c9\u00fc\u00c5\u00e5\u00ed\u0130\u0131\u00df" +
	"\u0301\u0308\u030a\u0323\u0307\u0345\u0338\u0344\u03b1\u1fb3" +
	"\u212a\u212b\u2126\u226e\uac00\u1100\u1161\u11a8")

// drawEquivalent draws a string canonically equivalent to s: its runes cut into pieces
// each written in NFC, in NFD or as it is, and adjacent combining marks of different
// classes swapped.
func drawEquivalent(t *rapid.T, s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i := 0; i < len(runes); {
		j := i + rapid.IntRange(1, 4).Draw(t, "piece")
		j = min(j, len(runes))
		piece := string(runes[i:j])
		switch rapid.IntRange(0, 2).Draw(t, "form") {
		case 1:
			piece = norm.NFC.String(piece)
		case 2:
			piece = norm.NFD.String(piece)
		}
		b.WriteString(piece)
		i = j
	}
	out := []rune(b.String())
	for i := 0; i+1 < len(out); i++ {
		p, q := norm.NFD.PropertiesString(string(out[i])), norm.NFD.PropertiesString(string(out[i+1]))
		// Only marks that are their own decomposition: a precomposed mark's class says
		// nothing about the classes of its parts.
		if p.CCC() != 0 && q.CCC() != 0 && p.CCC() != q.CCC() && len(p.Decomposition()) == 0 && len(q.Decomposition()) == 0 &&
			rapid.Bool().Draw(t, "swap") {
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	return string(out)
}

// With NFC, the e-mail normaliser (with and without provider rules) is idempotent,
// returns NFC, gives canonically equivalent addresses one identifier (or rejects both),
// and decides as the plain normaliser does on an address already in NFC: its result is
// the plain result in NFC, and it rejects what the plain one rejects.
func TestNFCEmailNormalizerProperties(t *testing.T) {
	// Most draws from a few characters, where the cases that need NFC after the e-mail
	// normaliser as well as before (a gmail dot between a letter and its accent, İ and an
	// accent) come up within the default number of checks.
	part := rapid.OneOf(rapid.StringOfN(rapid.SampledFrom(nfcAlphabet), 0, 8, -1),
		rapid.StringOfN(rapid.SampledFrom([]rune("aI.\u0130\u0301\u0307\u0323")), 0, 6, -1))
	rapid.Check(t, func(t *rapid.T) {
		domain := rapid.OneOf(part, rapid.SampledFrom([]string{"example.com", "gmail.com", "GoogleMail.com", "exa\u0301mple.com", "b\u00fccher.de"})).Draw(t, "domain")
		s := rapid.SampledFrom([]string{"", "mailto:", " "}).Draw(t, "prefix") + part.Draw(t, "local") + "@" + domain + part.Draw(t, "tail")
		e := drawEquivalent(t, s)
		if norm.NFD.String(s) != norm.NFD.String(e) {
			t.Fatalf("test bug: %+q and %+q are not equivalent", s, e)
		}
		for _, provider := range []bool{false, true} {
			n := NFCNormalizer(EmailNormalizer(provider))
			got, err := n(s)
			other, oerr := n(e)
			if (err == nil) != (oerr == nil) || got != other {
				t.Fatalf("provider %v: %+q -> %+q, %v but the equivalent %+q -> %+q, %v", provider, s, got, err, e, other, oerr)
			}
			// The model: the plain normaliser of the NFC value, its result in NFC.
			c := norm.NFC.String(s)
			want, werr := EmailNormalizer(provider)(c)
			if (err == nil) != (werr == nil) || (err == nil && norm.NFC.String(want) != got) {
				t.Fatalf("provider %v: %+q -> %+q, %v; the plain normaliser of its NFC %+q -> %+q, %v", provider, s, got, err, c, want, werr)
			}
			if err != nil {
				continue
			}
			if !norm.NFC.IsNormalString(got) {
				t.Fatalf("provider %v: %+q -> %+q, not NFC", provider, s, got)
			}
			if again, err := n(got); err != nil || again != got {
				t.Fatalf("provider %v: not idempotent: %+q -> %+q -> %+q, %v", provider, s, got, again, err)
			}
		}
	})
}

func TestPhoneNormalizer(t *testing.T) {
	for _, tc := range []struct {
		country, in, want string // want "" means rejected
	}{
		{"86", "139-1234-5678", "+8613912345678"},
		{"86", "+86 139 1234 5678", "+8613912345678"},
		{"86", "0086 13912345678", "+8613912345678"},
		{"86", "(021) 6000-0000", "+862160000000"},
		{"+44", "020 7946 0000", "+442079460000"},
		{"44", "+44 (0)20 7946 0000", "+4402079460000"}, // the "(0)" convention is not guessed at
		{"1", "1 (415) 555-0132", "+14155550132"},
		{"1", "415.555.0132", "+14155550132"},
		{"1", "011 44 20 7946 0000", "+442079460000"},
		{"39", "06 6982 0000", "+390669820000"}, // Italy keeps its leading 0
		{"", "+49 30 901820", "+4930901820"},
		{"", "030 901820", ""}, // national, no country: not guessed
		{"86", "", ""},
		{"86", "call me", ""},
		{"86", "139 1234 5678 ext 2", ""},
		{"86", "+1 000 000 0000", ""},
		{"86", "+86 188 8888 8888", "+8618888888888"},
		{"86", "1234", ""},
		{"86", "+1234567890123456", ""},
		{"86", "+0 123 456 789", ""},
		{"86", "1+39", ""},
		{"abc", "+86 139 1234 5678", ""}, // an invalid default country rejects everything
		// Digits of other scripts are the digits they stand for, as a phone keyboard set
		// to Arabic, Persian or Hindi types them, or a Japanese input method in full width.
		{"44", "٠٧٧٠٠ ٩٠٠١٢٣", "+447700900123"},       // Arabic-Indic
		{"44", "۰۷۷۰۰ ۹۰۰۱۲۳", "+447700900123"},       // extended (Persian)
		{"91", "०९८१२ ३४५६७", "+91981234567"},         // Devanagari
		{"81", "０９０－１２３４－５６７８", "+819012345678"},      // fullwidth, fullwidth hyphens
		{"", "＋８１ （０）９０ １２３４ ５６７８", "+8109012345678"}, // "(0)" is not guessed at, as in ASCII
		{"", "＋８１ ９０ １２３４ ５６７８", "+819012345678"},
		{"44", "07700 ٩٠٠١٢٣", "+447700900123"},  // mixed: the values are the values
		{"44", "07700–900123", "+447700900123"},  // an en dash, as a word processor writes one
		{"44", "07700‑900−123", "+447700900123"}, // a non-breaking hyphen, a minus sign
		{"44", "𝟎𝟕𝟕𝟎𝟎 900123", "+447700900123"},  // mathematical bold digits
		{"44", "⁰⁷⁷⁰⁰ ⁹⁰⁰¹²³", ""},               // superscripts are not decimal digits (No)
		{"44", "⓪7700 900123", ""},               // nor a circled zero
		{"44", "ⅦⅦ 900123", ""},                  // nor a Roman numeral (Nl)
		{"44", "07700 900123٫", ""},              // an Arabic decimal separator is no phone's
	} {
		got, err := PhoneNormalizer(tc.country)(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("PhoneNormalizer(%q)(%q) = %q, want an error", tc.country, tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PhoneNormalizer(%q)(%q) = %q, %v; want %q", tc.country, tc.in, got, err, tc.want)
		}
	}
}

// TestPhoneNormalizerAnyScript: a number with any of its ASCII digits written in the
// digits of another script (any block of Unicode's decimal digits, category Nd: one
// block for the number, or one for each digit) and its "+", dashes and parentheses in
// their full-width or typographic forms normalises as the ASCII number does: to the same
// E.164 value, or to an error when that is refused. Digits of other scripts made the
// number unparseable, so a customer who typed her number on an Arabic keyboard was an
// identifier short.
func TestPhoneNormalizerAnyScript(t *testing.T) {
	others := map[rune][]rune{'+': {'\uff0b'}, '-': {'\u2010', '\u2011', '\u2013', '\u2014', '\u2212', '\uff0d'}, '(': {'\uff08'}, ')': {'\uff09'}, '.': {'\uff0e'}, '/': {'\uff0f'}}
	rapid.Check(t, func(t *rapid.T) {
		prefix := rapid.SampledFrom([]string{"", "+", "+ ", "00", "0", "011 ", "(0)", "+44 (0)"}).Draw(t, "prefix")
		ascii := prefix + rapid.StringMatching(`[0-9][0-9 ./()\-]{5,18}`).Draw(t, "number")
		v := phonetest.Respell(t, ascii, others)
		for _, cc := range []string{"", "1", "39", "44", "86"} {
			want, werr := PhoneNormalizer(cc)(ascii)
			got, err := PhoneNormalizer(cc)(v)
			if got != want || (err == nil) != (werr == nil) {
				t.Fatalf("country %q: %q gives %q, %v; as ASCII %q gives %q, %v", cc, v, got, err, ascii, want, werr)
			}
		}
	})
}

func TestBlockedIgnoresCase(t *testing.T) {
	c, err := compile(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	email := c.rule("email")
	for _, v := range []string{"", "NULL", "Undefined", "[Object Object]", "00000000-0000-0000-0000-000000000000", "TEST@test.com", "n/a"} {
		if !email.isBlocked(v) {
			t.Errorf("%q is not blocked for email", v)
		}
	}
	for _, v := range []string{"nulls", "anna@example.com", "00000000-0000-0000-0000-000000000001", "ANONYMOUS1"} {
		if email.isBlocked(v) {
			t.Errorf("%q is blocked for email", v)
		}
	}
	// A form's or a spreadsheet's "no value" as an identifier joined up to HotLimit
	// people before quarantine stopped it.
	for _, v := range []string{"-", "--", "?"} {
		if !c.rule("user_id").isBlocked(v) || !c.rule("anonymous_id").isBlocked(v) || !c.rule("social_id").isBlocked(v) {
			t.Errorf("%q is not blocked for every kind", v)
		}
	}
	for _, v := range []string{"-2", "a-b", "¿"} {
		if c.rule("user_id").isBlocked(v) {
			t.Errorf("%q is blocked", v)
		}
	}
	if c.rule("user_id").isBlocked("test@test.com") {
		t.Error("an e-mail-only blocked value blocks user ids")
	}
}

// A listed value is blocked in every spelling the resolver compares: as the kind's
// normaliser stores it, and in both canonical Unicode forms, whichever form the list
// and the event wrote it in.
func TestBlockedSpellings(t *testing.T) {
	composed, decomposed := "jos\u00e9@example.com", "jose\u0301@example.com"
	for _, listed := range []string{composed, decomposed} {
		for _, norm := range []Normalizer{EmailNormalizer(true), NFCNormalizer(EmailNormalizer(true))} {
			r, err := New(Rules{Kinds: map[string]KindRule{"email": {Normalize: norm, Blocked: []string{listed, "Ann+News@GoogleMail.com"}}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{composed, decomposed, "JOSE\u0301@EXAMPLE.COM", "ann@gmail.com", "a.n.n+x@gmail.com"} {
				if _, err := r.Canonical(ID{Kind: "email", Value: v}); !errors.Is(err, ErrBlocked) {
					t.Errorf("list %+q, event %+q: %v, want ErrBlocked", listed, v, err)
				}
			}
		}
	}
}

// The normalised and canonical spellings add nothing to DefaultRules' lists: the set
// of values DefaultRules blocks must not change without a note in the changelog.
func TestDefaultBlockedUnchanged(t *testing.T) {
	rules := DefaultRules()
	kinds := map[string]KindRule{"other": rules.Other}
	maps.Copy(kinds, rules.Kinds)
	for name, k := range kinds {
		for _, v := range append(slices.Clone(rules.Blocked), k.Blocked...) {
			if got := blockedForms(v, k.Normalize); len(got) != 1 || got[0] != lowerASCIIString(strings.TrimSpace(v)) {
				t.Errorf("%s: %q is blocked as %q", name, v, got)
			}
		}
	}
}

// isBlocked's filters reject no blocked value: it equals a lookup of the value,
// lower-cased in ASCII, in the block list, on blocked values with their case changed and
// characters added or removed at either end, and on arbitrary strings.
func TestBlockedFilter(t *testing.T) {
	c, err := compile(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	list := append(append([]string(nil), defaultBlocked...), DefaultRules().Kinds["email"].Blocked...)
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SampledFrom(list).Draw(t, "blocked")
		b := []byte(v)
		for i := range b {
			if rapid.Bool().Draw(t, "flip") && ('a' <= b[i] && b[i] <= 'z' || 'A' <= b[i] && b[i] <= 'Z') {
				b[i] ^= 0x20
			}
		}
		v = string(b)
		cut := rapid.IntRange(0, 2).Draw(t, "cut")
		switch rapid.IntRange(0, 4).Draw(t, "edit") {
		case 0:
			v = v[min(cut, len(v)):]
		case 1:
			v = v[:len(v)-min(cut, len(v))]
		case 2:
			v = rapid.StringN(0, 2, -1).Draw(t, "before") + v + rapid.StringN(0, 2, -1).Draw(t, "after")
		case 3:
			v = rapid.String().Draw(t, "any")
		}
		for _, kind := range []string{"email", "device_id", "user_id"} {
			rule := c.rule(kind)
			_, want := rule.blocked[lowerASCIIString(v)]
			if got := rule.isBlocked(v); got != (want || v == "") {
				t.Fatalf("%s: isBlocked(%q) = %v, the block list says %v", kind, v, got, want)
			}
		}
	})
}

// checkNormalizer holds a normaliser to its contract on any input: no panic, valid UTF-8
// out, and idempotence (normalising the output returns it unchanged).
func checkNormalizer(t *testing.T, name string, n Normalizer, in string) {
	out, err := n(in)
	if err != nil {
		return
	}
	if !utf8.ValidString(out) {
		t.Fatalf("%s(%q) = %q: not UTF-8", name, in, out)
	}
	again, err := n(out)
	if err != nil || again != out {
		t.Fatalf("%s is not idempotent: %q -> %q -> %q, %v", name, in, out, again, err)
	}
}

func FuzzEmailNormalizer(f *testing.F) {
	for _, s := range []string{"anna@example.com", " Anna.Li+x@GoogleMail.com. ", "mailto:a@b.c", "a@b", "@", "ü@ß.de", "a\x00@b.c", "A+@gmail.com", "MAILTO:  x@y.z", "\u0130@gmail.com<", "mailto:mailto:@b.c",
		"Jose\u0301@example.com", "ann\u200b@example.com", "\u0645\u06cc\u200c@x.ir", "a.\u0301b@gmail.com", "\u0130\u0301@x.y", "a<\u0338@b.c", "\u212b@b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the resolver rejects invalid UTF-8 before normalising
		}
		checkNormalizer(t, "EmailNormalizer(false)", EmailNormalizer(false), s)
		checkNormalizer(t, "EmailNormalizer(true)", EmailNormalizer(true), s)
		for _, provider := range []bool{false, true} {
			n := NFCNormalizer(EmailNormalizer(provider))
			checkNormalizer(t, "NFCNormalizer(EmailNormalizer)", n, s)
			out, err := n(s)
			if err == nil && !norm.NFC.IsNormalString(out) {
				t.Fatalf("NFCNormalizer(EmailNormalizer(%v))(%+q) = %+q: not NFC", provider, s, out)
			}
			for _, e := range []string{norm.NFD.String(s), norm.NFC.String(s)} {
				if other, oerr := n(e); (err == nil) != (oerr == nil) || other != out {
					t.Fatalf("NFCNormalizer(EmailNormalizer(%v)): %+q -> %+q, %v but the equivalent %+q -> %+q, %v", provider, s, out, err, e, other, oerr)
				}
			}
		}
		checkEmailFast(t, s)
		if out, err := EmailNormalizer(true)(s); err == nil && (strings.Count(out, "@") != 1 || out != strings.ToLower(out)) {
			t.Fatalf("EmailNormalizer(true)(%q) = %q", s, out)
		}
	})
}

func FuzzPhoneNormalizer(f *testing.F) {
	for _, s := range []string{"+86 139 1234 5678", "139-1234-5678", "0086 13912345678", "011 44 20 7946 0000", "(0)", "+", "++1", "1\u00a0415 555 0132", "06 6982 0000"} {
		f.Add(s, "86")
		f.Add(s, "1")
		f.Add(s, "39")
	}
	f.Fuzz(func(t *testing.T, s, country string) {
		if !utf8.ValidString(s) {
			return
		}
		n := PhoneNormalizer(country)
		checkNormalizer(t, "PhoneNormalizer", n, s)
		if cc := strings.TrimPrefix(country, "+"); cc == "" || (len(cc) <= 3 && cc[0] != '0' && strings.Trim(cc, "0123456789") == "") {
			checkPhoneFast(t, s, cc)
		}
		if out, err := n(s); err == nil {
			if out[0] != '+' || len(out) < 8 || len(out) > 16 || strings.Trim(out[1:], "0123456789") != "" {
				t.Fatalf("PhoneNormalizer(%q)(%q) = %q: not E.164", country, s, out)
			}
		}
	})
}

// checkEmailFast fails t unless the e-mail normaliser returns for v exactly what its
// general path returns (value, or error message), with and without provider rules.
func checkEmailFast(t interface{ Fatalf(string, ...any) }, v string) {
	for _, provider := range []bool{false, true} {
		got, gerr := normalizeEmail(v, provider)
		want, werr := normalizeEmailGeneral(v, provider)
		if got != want || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("normalizeEmail(%q, %v) = %q, %v; the general path: %q, %v", v, provider, got, gerr, want, werr)
		}
	}
}

// checkPhoneFast is checkEmailFast for the phone normaliser with calling code cc.
func checkPhoneFast(t interface{ Fatalf(string, ...any) }, v, cc string) {
	got, gerr := normalizePhone(v, cc)
	want, werr := normalizePhoneGeneral(v, cc)
	if got != want || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("normalizePhone(%q, %q) = %q, %v; the general path: %q, %v", v, cc, got, gerr, want, werr)
	}
}

// The fast paths of the e-mail and phone normalisers equal their general paths on
// strings drawn mostly from the characters that decide between them: letters of both
// cases, the separators, "@", "+", dots, white space, "mailto:" and the provider domains.
func TestNormalizerFastPaths(t *testing.T) {
	email := rapid.Custom(func(t *rapid.T) string {
		part := rapid.StringOfN(rapid.SampledFrom([]rune("aAz.+-_0@ \t<;ü\x7f")), 0, 8, -1)
		domain := rapid.SampledFrom([]string{"gmail.com", "googlemail.com", "outlook.com", "proton.me", "me.com",
			"example.com", "GMail.com", "gmail.com.", "a..b", ".a.b", "ab", "", "x.y"}).Draw(t, "domain")
		v := part.Draw(t, "local") + rapid.SampledFrom([]string{"@", "", "@@"}).Draw(t, "at") + domain + part.Draw(t, "tail")
		return rapid.SampledFrom([]string{"", "mailto:", "MailTo: ", " "}).Draw(t, "prefix") + v
	})
	phone := rapid.StringOfN(rapid.SampledFrom([]rune("0011123456789+ -.()/\t\u00a0x")), 0, 30, -1)
	rapid.Check(t, func(t *rapid.T) {
		checkEmailFast(t, email.Draw(t, "email"))
		checkPhoneFast(t, phone.Draw(t, "phone"), rapid.SampledFrom([]string{"", "1", "39", "44", "86", "351"}).Draw(t, "cc"))
	})
	// Every provider domain of the general path is one of the fast path's.
	for d := range plusTagDomains {
		checkEmailFast(t, "a.b+c@"+d)
		checkEmailFast(t, "ab@"+d)
	}
}

func TestNormalizerErrorsAreDrops(t *testing.T) {
	r, err := New(Rules{Kinds: map[string]KindRule{"x": {Normalize: func(string) (string, error) {
		return "", errors.New("no")
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Resolve(ctxT, t0T, "s", ID{"x", "1"}, ID{"y", "2"})
	if err != nil || len(out.Dropped) != 1 || !errors.Is(out.Dropped[0].Err, ErrUnparseable) || out.Profile == 0 {
		t.Fatalf("Resolve = %+v, %v", out, err)
	}
}

// BenchmarkNormalizers times the e-mail and phone normalisers on the values of
// BenchmarkLink's stream, each beside its general path (the baseline: what every value
// took before the fast paths). The email/nfc rows time NFCNormalizer(EmailNormalizer(true))
// beside the naive opt-in, which puts every value in NFC before and after the general
// path; on an ASCII address the "email" row is the figure without the opt-in.
func BenchmarkNormalizers(b *testing.B) {
	var sink string
	withNFC := NFCNormalizer(EmailNormalizer(true))
	naiveNFC := func(v string) (string, error) {
		out, err := normalizeEmailGeneral(norm.NFC.String(v), true)
		return norm.NFC.String(out), err
	}
	for _, bc := range []struct {
		name     string
		v        string
		fast, gn func(string) (string, error)
	}{
		{"email", "anna.chen123@qq.com", func(v string) (string, error) { return normalizeEmail(v, true) },
			func(v string) (string, error) { return normalizeEmailGeneral(v, true) }},
		{"email/gmail", "anna.chen123@gmail.com", func(v string) (string, error) { return normalizeEmail(v, true) },
			func(v string) (string, error) { return normalizeEmailGeneral(v, true) }},
		{"email/nfc", "anna.chen123@qq.com", withNFC, naiveNFC},
		{"email/nfc/gmail", "anna.chen123@gmail.com", withNFC, naiveNFC},
		{"email/nfc/composed", "jos\u00e9.garcia@example.com", withNFC, naiveNFC},
		{"email/nfc/decomposed", "Jose\u0301.Garcia@example.com", withNFC, naiveNFC},
		{"phone", "+86 139 1234 5678", func(v string) (string, error) { return normalizePhone(v, "") },
			func(v string) (string, error) { return normalizePhoneGeneral(v, "") }},
	} {
		for _, path := range []string{"fast", "general"} {
			f := bc.fast
			if path == "general" {
				f = bc.gn
			}
			b.Run(bc.name+"/"+path, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					sink, _ = f(bc.v)
				}
			})
		}
	}
	_ = sink
}
