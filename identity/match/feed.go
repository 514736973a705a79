package match

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// sourcePrefix starts the source of every event Link records.
const sourcePrefix = "match "

// Link feeds matched pairs to a Resolver as links of their own kind: each pair whose
// weight is at least threshold becomes an event at time at of the two records'
// identifiers (ids[A], ids[B]; ids is parallel to the linker's records) whose source is
// "match" and the weight to a tenth of a bit, "match 12.3 bits" (SourceWeight reads it
// back). So Explain shows a probabilistic link as a hop with its weight, History keeps
// it, Unmerge undoes it like any link, and the resolver's rules still govern it: a
// match never puts two user ids in one profile under DefaultRules. Pairs are linked
// heaviest first, so where a limit refuses, the stronger evidence has been linked.
//
// It returns how many pairs joined two profiles that were apart. It fails with
// ErrInvalid when ids does not cover a pair or threshold is NaN, and stops at the first
// error of the resolver, wrapped with the pair.
func Link(ctx context.Context, r *identity.Resolver, at time.Time, ids []identity.ID, pairs []Scored, threshold float64) (int, error) {
	if math.IsNaN(threshold) {
		return 0, fmt.Errorf("%w: threshold is NaN", ErrInvalid)
	}
	var todo []Scored
	for i, p := range pairs {
		if p.A < 0 || p.B < 0 || int(p.A) >= len(ids) || int(p.B) >= len(ids) {
			return 0, fmt.Errorf("%w: pair %d (%d, %d) outside %d identifiers", ErrInvalid, i, p.A, p.B, len(ids))
		}
		if p.Weight >= threshold {
			todo = append(todo, p)
		}
	}
	slices.SortStableFunc(todo, func(x, y Scored) int { return cmp.Compare(y.Weight, x.Weight) })
	merged := 0
	for _, p := range todo {
		a, _ := r.Lookup(ids[p.A])
		b, _ := r.Lookup(ids[p.B])
		apart := a != 0 && b != 0 && a != b
		w := math.Round(min(max(p.Weight, -999), 999)*10) / 10
		src := sourcePrefix + strconv.FormatFloat(w, 'f', 1, 64) + " bits"
		if _, err := r.Link(ctx, at, src, ids[p.A], ids[p.B]); err != nil {
			return merged, fmt.Errorf("match: link records %d and %d: %w", p.A, p.B, err)
		}
		x, _ := r.Lookup(ids[p.A])
		y, _ := r.Lookup(ids[p.B])
		if apart && x == y {
			merged++
		}
	}
	return merged, nil
}

// SourceWeight reads the match weight back from the source of an event Link recorded
// (an identity.Hop's Source); ok is false for any other source.
func SourceWeight(source string) (weight float64, ok bool) {
	s, ok := strings.CutPrefix(source, sourcePrefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, " bits")
	if !ok {
		return 0, false
	}
	w, err := strconv.ParseFloat(s, 64)
	return w, err == nil
}
