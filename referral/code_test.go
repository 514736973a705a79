package referral

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestPropertyCodes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "seed")
		var key [32]byte
		copy(key[:], seed)
		c, err := NewCode(&seeded{r: newChaCha(key)})
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(string(c), "ILOU") {
			t.Fatalf("code %s has an ambiguous symbol", c)
		}
		for _, form := range []string{string(c), c.String(), strings.ToLower(c.String()), " " + strings.ReplaceAll(c.String(), "-", " ")} {
			back, err := ParseCode(form)
			if err != nil || back != c {
				t.Fatalf("ParseCode(%q) = %s, %v; want %s", form, back, err, c)
			}
		}
		// Every single-symbol substitution and every swap of unequal neighbours is caught,
		// but for the one blind spot of Luhn mod N, 0 next to Z.
		b := []byte(c)
		i := rapid.IntRange(0, len(b)-1).Draw(t, "position")
		sub := crockford[rapid.IntRange(0, 31).Draw(t, "symbol")]
		if sub != b[i] {
			typo := append([]byte(nil), b...)
			typo[i] = sub
			if _, err := ParseCode(string(typo)); !errors.Is(err, ErrCode) {
				t.Fatalf("substitution %s -> %s accepted", c, typo)
			}
		}
		if i+1 < len(b) && b[i] != b[i+1] && !strings.Contains("0Z Z0", string(b[i:i+2])) {
			typo := append([]byte(nil), b...)
			typo[i], typo[i+1] = typo[i+1], typo[i]
			if _, err := ParseCode(string(typo)); !errors.Is(err, ErrCode) {
				t.Fatalf("transposition %s -> %s accepted", c, typo)
			}
		}
		link, err := c.Link("https://shop.example/join?utm_source=mail")
		if err != nil {
			t.Fatal(err)
		}
		if back, err := CodeFromLink(link); err != nil || back != c {
			t.Fatalf("CodeFromLink(%q) = %s, %v", link, back, err)
		}
	})
}

func TestLuhnBlindSpot(t *testing.T) {
	// The documented exception, so that the doc comment cannot drift from the code.
	b := []byte("0Z00000000")
	c := string(b) + string(crockford[checkSymbol(b)])
	swapped := "Z0" + c[2:]
	if _, err := ParseCode(swapped); err != nil {
		t.Errorf("swapping 0 and Z is expected to pass the check: %v", err)
	}
}

func TestParseCodeErrors(t *testing.T) {
	for _, c := range []struct{ in, where string }{
		{"", "0 symbols"},
		{"7K3M-Q8ZE-Y14X", "12 symbols"},
		{"7K3M-Q8ZU-Y14", "character 9"},
		{"7K3M_Q8ZE-Y14", "character 5"},
	} {
		if _, err := ParseCode(c.in); !errors.Is(err, ErrCode) || !strings.Contains(err.Error(), c.where) {
			t.Errorf("ParseCode(%q) = %v, want ErrCode at %q", c.in, err, c.where)
		}
	}
	if _, err := CodeFromLink("https://shop.example/join"); !errors.Is(err, ErrCode) {
		t.Errorf("link without a code: %v", err)
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"7K3M-Q8ZE-Y14", "7k3m q8ze yl4", "", "----", "OOOOOOOOOOO", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			if !errors.Is(err, ErrCode) {
				t.Fatalf("error %v does not wrap ErrCode", err)
			}
			return
		}
		if again, err := ParseCode(c.String()); err != nil || again != c {
			t.Fatalf("canonical %s does not parse back: %v", c, err)
		}
	})
}
