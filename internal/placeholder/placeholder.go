// Package placeholder lists the strings that stand for "no value" in the data the SDK
// reads: what a form, an SDK or a template writes when it has nothing to write
// ("null", "undefined", "n/a"). identity blocks them as identifiers (its DefaultRules
// block list is this list and values that are placeholders only as identifiers, such as
// "0" or "guest"), and match treats them as missing values, so that the two packages
// cannot disagree on what is no value.
package placeholder

import "strings"

// Values are the placeholders, in lower case. None is a real name, e-mail address,
// phone number, postcode, city or identifier, which is what puts a value here rather
// than in one package's own list: "na" and "nan" are identity's alone, since Na is a
// surname and Nan a first name.
var Values = []string{
	"null", "nil", "none", "undefined", "n/a", "unknown",
	"{}", "[]", "[object object]", "undefined undefined",
}

var set, longest = func() (map[string]bool, int) {
	m, n := map[string]bool{}, 0
	for _, v := range Values {
		m[v] = true
		n = max(n, len(v))
	}
	return m, n
}()

// Is reports whether v is one of Values, without regard to case. It does not trim v.
func Is(v string) bool {
	return len(v) <= longest && set[strings.ToLower(v)]
}
