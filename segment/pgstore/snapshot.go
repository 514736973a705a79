package pgstore

import (
	"errors"
	"fmt"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/segment"
	"github.com/jackc/pgx/v5"
)

// positionBytes is how many bytes open a snapshot written with PutSnapshot: its
// position, big-endian.
const positionBytes = 8

// PutSnapshot is Put for a snapshot that opens with its position, the first 8 bytes of
// data, big-endian: the first event it does not hold (see Snapshots). It
// replaces the blob only if the blob's position is no higher than data's (or no blob
// of the name exists), and reports whether it did; a blob at a higher position, which
// a replica further ahead wrote, is kept, as replacing it with an older snapshot would
// only lengthen the replay at the next start. Equal positions replace. The comparison
// and the write are one statement, under the row's lock: of writers racing on one name,
// none replaces a higher position, whatever the order they commit in. It fails with
// an error wrapping segment.ErrInvalid if data is shorter than 8 bytes. The blob's
// bytes are compared as they are, so the blobs of name must all be written by
// PutSnapshot, in its format.
func (s *Store) PutSnapshot(name string, data []byte) (bool, error) {
	if err := segment.CheckName(name); err != nil {
		return false, fmt.Errorf("segment/pgstore: put snapshot: %w", err)
	}
	if len(data) < positionBytes {
		return false, fmt.Errorf("%w: segment/pgstore: put snapshot %q: %d bytes, fewer than its position's %d", segment.ErrInvalid, name, len(data), positionBytes)
	}
	ctx, cancel := s.call()
	defer cancel()
	// bytea compares bytewise, so big-endian positions of one width compare as the
	// numbers do. An upsert's WHERE is checked against the latest committed row, once
	// the statement holds its lock: a racing writer's commit is seen, not a snapshot
	// taken before it.
	err := s.pool.QueryRow(ctx, "WITH w AS (INSERT INTO "+s.table+" AS b (name, data) VALUES ($1, $2) "+
		"ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, version = DEFAULT "+
		"WHERE substring(b.data FROM 1 FOR $5) <= substring(EXCLUDED.data FROM 1 FOR $5) RETURNING 1) "+
		"SELECT pg_notify($3, $4)::text FROM w", name, data, pg.Channel, s.notify, positionBytes).Scan(nil)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("segment/pgstore: put snapshot %q: %w", name, pg.Ended(ctx, err))
	}
	return true, nil
}
