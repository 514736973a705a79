package pgstore

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/jackc/pgx/v5/pgxpool"
)

// countRecords is a Store that calls records at each call of its Records or
// RecordsContext.
type countRecords struct {
	*Store
	records func()
}

func (c countRecords) Records() iter.Seq2[referral.Record, error] {
	c.records()
	return c.Store.Records()
}

func (c countRecords) RecordsContext(ctx context.Context) iter.Seq2[referral.Record, error] {
	c.records()
	return c.Store.RecordsContext(ctx)
}

// replays opens Programs on a store of their own for the checks of pgtest, with the
// workload of the tests of a stuck PostgreSQL (writers).
func replays() pgtest.Replays[*referral.Program, *Store, referral.Record] {
	return pgtest.Replays[*referral.Program, *Store, referral.Record]{
		Writers: writers(),
		Store: func(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) *Store {
			return openTimeout(t, pool, schema, timeout)
		},
		Owner: func(t *testing.T, s *Store) *referral.Program { return openProgram(t, s) },
		Replay: func(ctx context.Context, s *Store, records func()) (*referral.Program, error) {
			var st referral.Store = s
			if records != nil {
				st = countRecords{s, records}
			}
			return referral.Open(st, config(), referral.WithReplayContext(ctx))
		},
		Stopped: "referral: open: replay stopped after 0 records: ",
		New:     "Open",
	}
}

// TestOpenInterrupted: with no Timeout, while another session holds the ledger's
// table, an Open given WithReplayContext returns an error wrapping context.Canceled
// once its ctx is cancelled, naming the records replayed, instead of waiting for the
// lock as long as it is held. Once the lock is released Open on the same store replays
// the whole ledger (see pgtest.ReplayInterrupted).
func TestOpenInterrupted(t *testing.T) { pgtest.ReplayInterrupted(t, replays()) }

// TestOpenAfterFailedFlush: a store whose flush failed refuses its Since (and
// SinceContext) with ErrDiverged until Records reads the ledger again. Open given
// WithReplayContext reads it as Open without one does: it ends the refusal and replays
// the whole ledger, and the new Program takes events without reading it again (see
// pgtest.ReplayAfterFailedFlush).
func TestOpenAfterFailedFlush(t *testing.T) { pgtest.ReplayAfterFailedFlush(t, replays()) }

// TestOpenAfterFailedFlushInterrupted: with no Timeout, on a store whose flush failed (so
// that the replay reads the ledger again as Records does, ending the refusal), while
// another session holds the ledger's table, a Open given WithReplayContext returns an error
// wrapping context.Canceled once its ctx is cancelled, instead of waiting for the lock
// as long as it is held (see pgtest.ReplayAfterFailedFlushInterrupted).
func TestOpenAfterFailedFlushInterrupted(t *testing.T) {
	pgtest.ReplayAfterFailedFlushInterrupted(t, replays())
}
