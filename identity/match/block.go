package match

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
)

// pair is two records by index, A < B.
type pair struct{ A, B int32 }

// PairStats says what pair generation did and what it left out.
type PairStats struct {
	// Pairs is the number of candidate pairs generated.
	Pairs int64
	// Skipped counts the distinct candidate pairs (pairs of records agreeing on the
	// fields of at least one rule) that were not generated: every rule they agree on
	// put them in a block of more than Settings.MaxBlock records, or generation stopped
	// at Settings.MaxPairs before reaching them. A pair of an over-cap block that
	// another rule generates is not skipped, and a pair two rules skip counts once, so
	// Pairs + Skipped is the number of distinct candidate pairs.
	Skipped int64
	// Blocked lists the keys of the largest over-cap blocks (at most 16, largest first,
	// ties in key order) as "rule N: value (M records)", the values of a rule of several
	// fields joined by " | ", so that a value shared by thousands of records is visible.
	// A value holding a character that is not printable (a control character, a NUL) is
	// quoted with Go's escapes, as internal/english.Name shows a name from the data.
	Blocked []string
}

// blockKeys returns each record's key under rule r. Its errors, like field's, say what
// is wrong without the package's sentinel: the caller wraps them with ErrInvalid and
// which rule, so that the message opens with "match:" once.
func (l *Linker) blockKeys(r BlockingRule, field func(string) ([]string, error)) ([]string, error) {
	if len(r.Fields) == 0 {
		return nil, errors.New("no fields")
	}
	cols := make([][]string, len(r.Fields))
	for i, f := range r.Fields {
		vs, err := field(f)
		if err != nil {
			return nil, err
		}
		cols[i] = vs
	}
	keys := make([]string, l.n)
	var b strings.Builder
	for i := range keys {
		b.Reset()
		for j, c := range cols {
			if c[i] == "" {
				b.Reset()
				break
			}
			if j > 0 {
				b.WriteByte(0)
			}
			b.WriteString(c[i])
		}
		keys[i] = b.String()
	}
	return keys, nil
}

// blocks groups record indexes by key; records without a key are left out.
func blocks(keys []string) map[string][]int32 {
	m := map[string][]int32{}
	for i, k := range keys {
		if k != "" {
			m[k] = append(m[k], int32(i))
		}
	}
	return m
}

// pairs calls yield for every candidate pair of the rules with the given keys, each
// pair once: a pair of rule k is left to an earlier rule that produces it (equal
// non-empty key in a block within the cap), as Splink does, so no set of seen pairs is
// kept. Blocks are visited in key order, so the output is deterministic. yield returning
// false stops generation. keys[k] are the keys of rules[k], whose fields name an over-cap
// block in Blocked.
func (l *Linker) pairs(rules []BlockingRule, keys [][]string, yield func(pair) bool) PairStats {
	var st PairStats
	type over struct {
		rule   int
		record int32 // one record of the block, whose values name it
		size   int
	}
	var overs []over
	sizes := make([]map[string]int, len(keys))
	grouped := make([]map[string][]int32, len(keys))
	for k, ks := range keys {
		grouped[k] = blocks(ks)
		sizes[k] = make(map[string]int, len(grouped[k]))
		for key, rs := range grouped[k] {
			sizes[k][key] = len(rs)
		}
	}
	earlier := func(k int, a, b int32) bool {
		for r := range k {
			ka := keys[r][a]
			if ka != "" && ka == keys[r][b] && sizes[r][ka] <= l.settings.MaxBlock {
				return true
			}
		}
		return false
	}
	stopped, skipped := false, false
	for k := range keys {
		names := make([]string, 0, len(grouped[k]))
		for key := range grouped[k] {
			names = append(names, key)
		}
		slices.Sort(names)
		for _, key := range names {
			rs := grouped[k][key]
			// An over-cap block is reported even once generation has stopped at MaxPairs:
			// its pairs are in Skipped, and a value shared by thousands of records must
			// be visible whichever side of the stop its key sorts on.
			if len(rs) > l.settings.MaxBlock {
				skipped = true
				overs = append(overs, over{k, rs[0], len(rs)})
				continue
			}
			if stopped {
				continue
			}
			for i := 0; i < len(rs) && !stopped; i++ {
				for j := i + 1; j < len(rs); j++ {
					a, b := rs[i], rs[j]
					if earlier(k, a, b) {
						continue
					}
					if st.Pairs >= int64(l.settings.MaxPairs) || !yield(pair{a, b}) {
						stopped = true
						break
					}
					st.Pairs++
				}
			}
		}
	}
	// Every candidate pair is generated unless a block was over the cap or generation
	// stopped; only then is the union of the rules' pairs counted, which costs a few
	// passes over the blocks' records and never their pairs (a skipped block may hold
	// millions).
	if skipped || stopped {
		st.Skipped = candidatePairs(keys, grouped) - st.Pairs
	}
	slices.SortStableFunc(overs, func(x, y over) int { return y.size - x.size }) // ties in key order
	for i := 0; i < len(overs) && i < 16; i++ {
		o := overs[i]
		st.Blocked = append(st.Blocked, fmt.Sprintf("rule %d: %s (%d records)", o.rule, l.keyName(rules[o.rule], o.record), o.size))
	}
	return st
}

// keyName shows record r's key under rule as a person reads it: its values joined by
// " | ", each on one printable line. The values come from the record, not the key,
// whose NUL separator an e-mail may hold as well (normalisation keeps an e-mail's
// control characters), so a value is never split; a value is at most MaxFieldLen
// bytes, so Name never cuts one.
func (l *Linker) keyName(rule BlockingRule, r int32) string {
	vs := make([]string, len(rule.Fields))
	for i, f := range rule.Fields {
		vs[i] = english.Name(l.fields[f][r], MaxFieldLen)
	}
	return strings.Join(vs, " | ")
}

// candidatePairs counts the distinct pairs of records whose keys agree (equal and not
// empty) under at least one rule, by inclusion and exclusion: the pairs agreeing under
// every rule of a set S are those within one group of records with equal keys under
// all of S, and the union over the rules adds the sets of odd size and subtracts those
// of even size. The sets are walked depth first from each rule's blocks, splitting a
// group by each later rule's keys and dropping groups of one record, which agree with
// nobody under any larger set.
//
// A group that some later rule leaves whole (all its records share one key there)
// adds nothing with everything below it: each set T of later rules without that rule
// pairs the group's records exactly as T with it does, and the two terms have opposite
// signs. Without this, records agreeing under all of R rules (a record loaded twice)
// cost 2^R steps each; with it a group is split further only while every later rule
// splits it, so the cost follows how the rules' blocks differ, not their number or the
// pairs in them.
func candidatePairs(keys [][]string, grouped []map[string][]int32) int64 {
	var total int64
	var walk func(g []int32, next int, sign int64)
	walk = func(g []int32, next int, sign int64) {
		for j := next; j < len(keys); j++ {
			if whole(keys[j], g) {
				return
			}
		}
		n := int64(len(g))
		total += sign * (n * (n - 1) / 2)
		for j := next; j < len(keys); j++ {
			sub := map[string][]int32{}
			for _, r := range g {
				if key := keys[j][r]; key != "" {
					sub[key] = append(sub[key], r)
				}
			}
			for _, h := range sub {
				if len(h) > 1 {
					walk(h, j+1, -sign)
				}
			}
		}
	}
	for k := range keys {
		for _, g := range grouped[k] {
			if len(g) > 1 {
				walk(g, k+1, 1)
			}
		}
	}
	return total
}

// whole reports whether the records of g share one key (not empty) in keys.
func whole(keys []string, g []int32) bool {
	k := keys[g[0]]
	if k == "" {
		return false
	}
	for _, r := range g[1:] {
		if keys[r] != k {
			return false
		}
	}
	return true
}
