package pg

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Bound returns the context of one statement (or one wait for a connection of a pool)
// under ctx: ended by timeout as well when it is positive, whichever ends first, and
// ctx itself, with a cancel that does nothing, when it is not. The stores bound each
// statement rather than each call, as a call's work may grow with its table (a scan, a
// rewrite a page at a time) where a statement's does not.
func Bound(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// Ended returns err, from a statement run under ctx, wrapping ctx's error as well when
// ctx ended and err does not wrap it already: pgx's default reports a deadline as a
// timeout that wraps it, but a pool configured to cancel the statement on the server
// (pgconn.CancelRequestContextWatcherHandler) reports PostgreSQL's "canceling
// statement" error instead, which errors.Is would not match with
// context.DeadlineExceeded or context.Canceled. A nil err stays nil: a statement that
// succeeded as its context ended did its work.
func Ended(ctx context.Context, err error) error {
	if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}
