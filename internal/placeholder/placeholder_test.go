package placeholder

import (
	"strings"
	"testing"
)

func TestIs(t *testing.T) {
	for _, v := range Values {
		if v != strings.ToLower(v) {
			t.Errorf("%q is not lower case", v)
		}
		if !Is(v) || !Is(strings.ToUpper(v)) {
			t.Errorf("Is(%q) or its upper case is false", v)
		}
	}
	for _, v := range []string{"", "Nan", "na", "nulls", " null", "jose"} {
		if Is(v) {
			t.Errorf("Is(%q) = true", v)
		}
	}
}
