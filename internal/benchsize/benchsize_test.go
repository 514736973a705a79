package benchsize

import (
	"flag"
	"testing"
)

// TestOf holds Of to the -short flag both ways, so that a benchmark sized with it takes
// its full size unless the run asks for the small one.
func TestOf(t *testing.T) {
	f := flag.Lookup("test.short")
	defer f.Value.Set(f.Value.String())
	for _, c := range []struct {
		short string
		want  int
	}{{"false", 1_000_000}, {"true", 10_000}} {
		if err := f.Value.Set(c.short); err != nil {
			t.Fatal(err)
		}
		if got := Of(1_000_000, 10_000); got != c.want {
			t.Errorf("-short=%s: Of(1_000_000, 10_000) = %d, want %d", c.short, got, c.want)
		}
	}
}
