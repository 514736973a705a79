// Package english writes counts and names in messages and reports as people read them:
// "1 row", "2 rows", and a name from the data on one printable line. Errors and reports
// are read by people: "1 rows" reads as unchecked, and a newline or a bidirectional
// override inside a name breaks the report around it.
package english

import "fmt"

// Count returns n with noun, in the plural (noun + "s") unless n is 1: "1 record",
// "3 records". Nouns with another plural use Plural.
func Count[T ~int | ~int64 | ~uint64](n T, noun string) string {
	return fmt.Sprintf("%d %s", n, Plural(n, noun, noun+"s"))
}

// Plural returns one if n is 1, else many: Plural(n, "profile is", "profiles are").
func Plural[T ~int | ~int64 | ~uint64](n T, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
