// Package errtext shapes the messages of the SDK's errors as CONVENTIONS.md asks: the
// package prefix ("referral: ") exactly once, at the start, however deeply errors are
// wrapped.
package errtext

import (
	"fmt"
	"strings"
)

// Errorf is fmt.Errorf with prefix ("referral: ") in front. A wrapped error of the
// package carries the prefix already, somewhere in its text ("order event "k":
// referral: not found"); Errorf takes it out of that text, so that the message opens
// with the package's name and names it once ("referral: apply event 0: order event
// "k": not found" rather than "apply event 0: order event "k": referral: not found").
// A wrapped error of one of the package's own subpackages (a store's "referral/pgstore:
// lead: ...") loses that prefix too: the message already says where it is. The wrapped
// errors themselves are kept: errors.Is and errors.As see them.
func Errorf(prefix, format string, args ...any) error {
	copied := false
	for i, a := range args {
		e, ok := a.(error)
		if !ok || e == nil {
			continue
		}
		msg := e.Error()
		if cut, ok := strip(prefix, msg); ok {
			if !copied {
				args, copied = append([]any(nil), args...), true
			}
			args[i] = &stripped{msg: cut, err: e}
		}
	}
	return fmt.Errorf(prefix+format, args...)
}

// strip returns msg without the package prefix ("referral: ") and without one prefix
// of a subpackage ("referral/pgstore: "), and whether it took anything out. The
// prefix is taken from the start of msg if it opens msg, else from its first
// occurrence (which precedes any quoted input in the SDK's messages).
func strip(prefix, msg string) (string, bool) {
	cut := false
	if after, ok := strings.CutPrefix(msg, prefix); ok {
		msg, cut = after, true
	} else if i := strings.Index(msg, prefix); i >= 0 {
		msg, cut = msg[:i]+msg[i+len(prefix):], true
	}
	sub := strings.TrimSuffix(prefix, ": ") + "/"
	if i := strings.Index(msg, sub); i >= 0 && (i == 0 || msg[i-1] == ' ') {
		// a subpackage's prefix is one word (or path) and a colon: "referral/pgstore: "
		rest := msg[i+len(sub):]
		if j := strings.Index(rest, ": "); j > 0 && !strings.ContainsAny(rest[:j], " \"") {
			msg, cut = msg[:i]+rest[j+2:], true
		}
	}
	return msg, cut
}

// stripped is an error whose text has lost the package prefix to the message that
// wraps it (see Errorf).
type stripped struct {
	msg string
	err error
}

func (e *stripped) Error() string { return e.msg }
func (e *stripped) Unwrap() error { return e.err }
