package pg

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Setup is what every store's Open does before it has a store: a nil pool is refused
// with invalid (the store package's ErrInvalid), the schema defaults to "clientele",
// and component's tables are migrated to len(steps) there. It returns the schema.
func Setup(ctx context.Context, pool *pgxpool.Pool, schema, component string, steps []string, invalid error) (string, error) {
	if pool == nil {
		return "", fmt.Errorf("%w: pgstore: open: nil pool", invalid)
	}
	if schema == "" {
		schema = "clientele"
	}
	if err := checkSchema(schema); err != nil {
		return "", fmt.Errorf("%w: %s/pgstore: open: %w", invalid, component, err)
	}
	if err := Migrate(ctx, pool, schema, component, steps); err != nil {
		return "", fmt.Errorf("%s/pgstore: %w", component, err)
	}
	return schema, nil
}

// CheckTimeout refuses a negative Options.Timeout of component's store with invalid
// (the store package's ErrInvalid), before Open touches the database.
func CheckTimeout(timeout time.Duration, component string, invalid error) error {
	if timeout < 0 {
		return fmt.Errorf("%w: %s/pgstore: open: timeout %v is negative (0 is none)", invalid, component, timeout)
	}
	return nil
}

// codec is a pointer to a record type that encodes itself.
type codec[R any] interface {
	*R
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// Typed is a Log whose records are values of R, each stored as its MarshalBinary: the
// whole of a store whose package has a record type of its own (referral, loyalty). Its
// Append and its reads (Since, Records and their Context forms) replace the Log's
// byte-slice forms.
type Typed[R any, P codec[R]] struct{ *Log }

// Append encodes recs and appends them as Log.Append does.
func (t Typed[R, P]) Append(recs ...R) error {
	enc := make([][]byte, len(recs))
	for i := range recs {
		b, err := P(&recs[i]).MarshalBinary()
		if err != nil {
			return fmt.Errorf("%s: append: record %d of %d: %w", t.errs.Prefix, i, len(recs), err)
		}
		enc[i] = b
	}
	return t.Log.Append(enc...)
}

// Since yields the records from position pos on, decoded, stopping at the first gap.
func (t Typed[R, P]) Since(pos uint64) iter.Seq2[R, error] { return t.decode(t.Log.Since(pos), pos) }

// SinceContext yields what Since yields, ending with an error wrapping ctx's error when
// ctx ends first, as Log.SinceContext does.
func (t Typed[R, P]) SinceContext(ctx context.Context, pos uint64) iter.Seq2[R, error] {
	return t.decode(t.Log.SinceContext(ctx, pos), pos)
}

// Records yields every committed record from position 0, decoded, as Log.Records does.
func (t Typed[R, P]) Records() iter.Seq2[R, error] { return t.decode(t.Log.Records(), 0) }

// RecordsContext yields what Records yields, ending with an error wrapping ctx's error
// when ctx ends first, as Log.RecordsContext does.
func (t Typed[R, P]) RecordsContext(ctx context.Context) iter.Seq2[R, error] {
	return t.decode(t.Log.RecordsContext(ctx), 0)
}

// decode yields raw's records from position pos; a record that does not decode ends the
// sequence with an error naming its position (the decoder's error says what is wrong).
func (t Typed[R, P]) decode(raw iter.Seq2[[]byte, error], pos uint64) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		for b, err := range raw {
			if err != nil {
				yield(zero, err)
				return
			}
			var r R
			if err := P(&r).UnmarshalBinary(b); err != nil {
				yield(zero, fmt.Errorf("%s: record %d: %w", t.errs.Prefix, pos, err))
				return
			}
			if !yield(r, nil) {
				return
			}
			pos++
		}
	}
}
