// Package option applies a package's functional options (func(*config) error) to its
// config: the one loop behind referral.Open and loyalty.Open, so that a nil option and
// an option's own error are reported the same way everywhere.
package option

import "fmt"

// Apply calls each of opts on c in order. A nil option is an error wrapping invalid
// (the calling package's ErrInvalid) that names op; an option's own error is returned
// as it is. On error, c may hold what the options before it set.
func Apply[C any, O ~func(*C) error](c *C, opts []O, invalid error, op string) error {
	for i, o := range opts {
		if o == nil {
			return fmt.Errorf("%w: %s: nil option (option %d)", invalid, op, i)
		}
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}
