package tracking

import (
	"errors"
	"fmt"
)

// ErrInvalid marks input that is not a usable Segment-spec call: not JSON, a type the
// spec does not have, a required field missing or of the wrong kind. Every error the
// package returns wraps it.
var ErrInvalid = errors.New("tracking: invalid call")

// fieldError is a problem with one field of a call, kept apart so that the Reader can
// point at the field's column.
type fieldError struct {
	field string // the top-level field, as spelled in the JSON ("userId", "traits")
	msg   string
}

func (e *fieldError) Error() string { return e.msg }

func invalidField(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &fieldError{field, fmt.Sprintf(format, args...)})
}

// byteError is a problem at one byte of the input (a byte that is not UTF-8), kept
// apart so that the Reader can point at its column.
type byteError struct {
	offset int
	msg    string
}

func (e *byteError) Error() string { return e.msg }

// itemError is a problem with one call of a batch envelope, kept apart so that the
// Reader can point within that call: the first "event" key of the line, the column it
// gave for the second call's missing "event", was the first call's.
type itemError struct {
	index int // 0-based, within "batch"
	err   error
}

func (e *itemError) Error() string { return fmt.Sprintf("call %d of the batch: %v", e.index+1, e.err) }

func (e *itemError) Unwrap() error { return e.err }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// LineError is a bad line of a stream read by a Reader: where it is (1-based line and
// byte column, the column of the offending field or character) and why.
type LineError struct {
	Line, Column int
	Err          error // wraps ErrInvalid
}

func (e *LineError) Error() string {
	return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }
