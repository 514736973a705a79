package english

import (
	"fmt"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Count(0, "row"), "0 rows"},
		{Count(1, "row"), "1 row"},
		{Count(int64(2), "seed member"), "2 seed members"},
		{Count(uint64(1), "profile"), "1 profile"},
		{Count(-1, "row"), "-1 rows"},
		{Count(uint64(1<<63), "id"), "9223372036854775808 ids"},
		{Plural(uint64(1), "profile is", "profiles are"), "profile is"},
		{Plural(3, "profile is", "profiles are"), "profiles are"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

func ExampleCount() {
	fmt.Println(Count(1, "customer"))
	fmt.Println(Count(12, "customer"))
	// Output:
	// 1 customer
	// 12 customers
}
