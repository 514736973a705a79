package identity

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
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
	for _, s := range []string{"anna@example.com", " Anna.Li+x@GoogleMail.com. ", "mailto:a@b.c", "a@b", "@", "ü@ß.de", "a\x00@b.c", "A+@gmail.com", "MAILTO:  x@y.z", "\u0130@gmail.com<", "mailto:mailto:@b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the resolver rejects invalid UTF-8 before normalising
		}
		checkNormalizer(t, "EmailNormalizer(false)", EmailNormalizer(false), s)
		checkNormalizer(t, "EmailNormalizer(true)", EmailNormalizer(true), s)
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
// took before the fast paths).
func BenchmarkNormalizers(b *testing.B) {
	var sink string
	for _, bc := range []struct {
		name     string
		v        string
		fast, gn func(string) (string, error)
	}{
		{"email", "anna.chen123@qq.com", func(v string) (string, error) { return normalizeEmail(v, true) },
			func(v string) (string, error) { return normalizeEmailGeneral(v, true) }},
		{"email/gmail", "anna.chen123@gmail.com", func(v string) (string, error) { return normalizeEmail(v, true) },
			func(v string) (string, error) { return normalizeEmailGeneral(v, true) }},
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
