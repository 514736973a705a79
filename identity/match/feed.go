package match

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// Source is the source of every event Link records.
const Source = "match"

// Link feeds matched pairs to a Resolver as links of their own kind: each pair whose
// weight is at least threshold becomes an event at time at of the two records'
// identifiers (ids[A], ids[B]; ids is parallel to the linker's records), linked by
// Resolver.LinkMatch with source Source and the pair's weight as identity.Match. So
// Explain shows a probabilistic link as a hop with its weight (Hop.Match), History keeps
// it, Unmerge undoes it like any link, and the resolver's rules still govern it: a
// match never puts two user ids in one profile under DefaultRules. Pairs are linked
// heaviest first, so where a limit refuses, the stronger evidence has been linked.
//
// It returns how many pairs joined two profiles that were apart. It fails with
// ErrInvalid, having linked nothing, when ids does not cover a pair, a pair's weight is
// not finite, threshold is NaN or an identifier of a pair to link is malformed (as
// Resolver.Canonical says; the error wraps identity.ErrInvalid too), and stops at the
// first other error of the resolver, wrapped with the pair.
func Link(ctx context.Context, r *identity.Resolver, at time.Time, ids []identity.ID, pairs []Scored, threshold float64) (int, error) {
	if math.IsNaN(threshold) {
		return 0, fmt.Errorf("%w: link: threshold is NaN", ErrInvalid)
	}
	var todo []Scored
	for i, p := range pairs {
		if p.A < 0 || p.B < 0 || int(p.A) >= len(ids) || int(p.B) >= len(ids) {
			return 0, fmt.Errorf("%w: link: pair %d (%d, %d) names a record index out of range for len(ids) = %d", ErrInvalid, i, p.A, p.B, len(ids))
		}
		if math.IsNaN(p.Weight) || math.IsInf(p.Weight, 0) {
			return 0, fmt.Errorf("%w: link: pair %d (%d, %d) has weight %v, not a finite number", ErrInvalid, i, p.A, p.B, p.Weight)
		}
		if p.Weight >= threshold {
			todo = append(todo, p)
		}
	}
	// A malformed identifier is refused before anything is linked: found by LinkMatch
	// half-way, it left the heavier pairs linked, and the call repeated once the export
	// was fixed linked them a second time.
	checked := make(map[int32]bool)
	for _, p := range todo {
		for _, i := range [2]int32{p.A, p.B} {
			if checked[i] {
				continue
			}
			checked[i] = true
			if _, err := r.Canonical(ids[i]); errors.Is(err, identity.ErrInvalid) {
				return 0, fmt.Errorf("%w: link: record %d: %w", ErrInvalid, i, err) // err is identity's, with its own prefix
			}
		}
	}
	slices.SortStableFunc(todo, func(x, y Scored) int { return cmp.Compare(y.Weight, x.Weight) })
	merged := 0
	for _, p := range todo {
		a, _ := r.Lookup(ids[p.A])
		b, _ := r.Lookup(ids[p.B])
		apart := a != 0 && b != 0 && a != b
		if _, err := r.LinkMatch(ctx, at, Source, identity.Match{Weight: p.Weight}, ids[p.A], ids[p.B]); err != nil {
			return merged, fmt.Errorf("match: link records %d and %d: %w", p.A, p.B, err) // err is identity's, with its own sentinel
		}
		x, _ := r.Lookup(ids[p.A])
		y, _ := r.Lookup(ids[p.B])
		if apart && x == y {
			merged++
		}
	}
	return merged, nil
}
