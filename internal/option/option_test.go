package option

import (
	"errors"
	"testing"
)

type config struct{ a, b int }

type opt func(*config) error

var errInvalid = errors.New("invalid")

func TestApply(t *testing.T) {
	var c config
	set := func(a int) opt { return func(c *config) error { c.a = a; return nil } }
	if err := Apply(&c, []opt{set(1), func(c *config) error { c.b = 2; return nil }}, errInvalid, "open"); err != nil || c != (config{1, 2}) {
		t.Fatalf("Apply = %v, config %+v; want nil, {1 2}", err, c)
	}
	err := Apply(&c, []opt{set(3), nil, set(4)}, errInvalid, "open")
	if !errors.Is(err, errInvalid) || err.Error() != "invalid: open: nil option (option 1)" || c.a != 3 {
		t.Fatalf("nil option: %v, a = %d; want errInvalid naming option 1, a = 3", err, c.a)
	}
	own := errors.New("own")
	if err := Apply(&c, []opt{func(*config) error { return own }, set(5)}, errInvalid, "open"); err != own || c.a != 3 {
		t.Fatalf("an option's error: %v, a = %d; want it unwrapped, a = 3", err, c.a)
	}
}
