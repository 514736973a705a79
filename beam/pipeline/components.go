package pipeline

import (
	"fmt"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

// Connected components by large-star/small-star (Kiveris, Lattanzi, Mirrokni,
// Rastogi and Vassilvitskii, "Connected Components in MapReduce and Beyond", SoCC
// 2014, Algorithm 1 and 2). Nodes are strings (an identifier's canonical form) and
// ordered as strings; an edge is a KV<string, string>. Both operations keep every
// component connected and only ever point a node at a smaller one, and their common
// fixed point is a forest of stars: each component a star whose centre is its
// smallest node. The pipeline unrolls a fixed number of rounds (Beam has no loops in
// its graph) and then checks that the edges form a star forest; the labelling that
// follows refuses to run when they do not, so a graph that needed more rounds fails
// the pipeline instead of splitting a component.

func init() {
	register.Function3x0(bothWays)
	register.Function3x0(largeStar)
	register.Function3x0(smallStarKey)
	register.Function3x0(smallStar)
	register.Function3x0(starRoles)
	register.Function3x0(starViolations)
	register.Iter1[string]()
	register.Emitter2[string, string]()
	register.Emitter1[int]()
	register.Combiner1[int](&sumFn{})
}

// bothWays emits an edge in both directions: large-star looks at all neighbours.
func bothWays(u, v string, emit func(string, string)) {
	if u == v {
		return
	}
	emit(u, v)
	emit(v, u)
}

// neighbours drains a grouped iterator into a sorted, duplicate-free slice.
func neighbours(next func(*string) bool) []string {
	var out []string
	var v string
	for next(&v) {
		out = append(out, v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// largeStar is Algorithm 1 for node u: every neighbour larger than u is pointed at the
// smallest node of u's closed neighbourhood.
func largeStar(u string, next func(*string) bool, emit func(string, string)) {
	ns := neighbours(next)
	if len(ns) == 0 {
		return
	}
	m := min(u, ns[0])
	for _, v := range ns {
		if v > u {
			emit(v, m)
		}
	}
}

// smallStarKey keys an edge by its larger end: small-star looks at smaller neighbours.
func smallStarKey(u, v string, emit func(string, string)) {
	switch {
	case u > v:
		emit(u, v)
	case v > u:
		emit(v, u)
	}
}

// smallStar is Algorithm 2 for node u, given its smaller neighbours: u and each of
// them are pointed at the smallest of them.
func smallStar(u string, next func(*string) bool, emit func(string, string)) {
	ns := neighbours(next)
	if len(ns) == 0 {
		return
	}
	m := ns[0]
	for _, v := range ns[1:] {
		emit(v, m)
	}
	emit(u, m)
}

// starRoles tells each end of an edge (larger, smaller) its role: "p" and the parent
// for the larger, "c" for the smaller (it has a child).
func starRoles(u, v string, emit func(string, string)) {
	if u < v {
		u, v = v, u
	}
	if u == v {
		return
	}
	emit(u, "p"+v)
	emit(v, "c")
}

// starViolations emits 1 for a node that breaks the star-forest shape: two parents, or
// a parent and a child.
func starViolations(_ string, next func(*string) bool, emit func(int)) {
	var parent string
	var hasParent, hasChild, bad bool
	var r string
	for next(&r) {
		if r == "c" {
			hasChild = true
			continue
		}
		if hasParent && r != parent {
			bad = true
		}
		parent, hasParent = r, true
	}
	if bad || hasParent && hasChild {
		emit(1)
	}
}

// sumFn adds ints.
type sumFn struct{}

func (sumFn) MergeAccumulators(a, b int) int { return a + b }

// components runs rounds of large-star then small-star over edges and returns the
// final edges, each (node, the smallest node of its component) for every node but the
// smallest, and a PCollection holding one int: the number of nodes where the edges are
// not yet a star forest (0 when the components are final).
func components(s beam.Scope, edges beam.PCollection, rounds int) (final, violations beam.PCollection) {
	s = s.Scope("components")
	for i := range rounds {
		r := s.Scope(fmt.Sprintf("round%d", i+1))
		edges = beam.ParDo(r, largeStar, beam.GroupByKey(r, beam.ParDo(r, bothWays, edges)))
		edges = beam.ParDo(r, smallStar, beam.GroupByKey(r, beam.ParDo(r, smallStarKey, edges)))
	}
	check := s.Scope("check")
	bad := beam.ParDo(check, starViolations, beam.GroupByKey(check, beam.ParDo(check, starRoles, edges)))
	// Flattening with a 0 gives the global sum an input even when nothing is bad.
	violations = beam.Combine(check, &sumFn{}, beam.Flatten(check, bad, beam.Create(check, 0)))
	return edges, violations
}
