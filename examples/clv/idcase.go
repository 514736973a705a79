package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/scoring"
)

// caseLine returns the report's warning on customer ids that differ only by letter
// case ("Ann@Example.com" and "ann@example.com"), or "" if none do: the count of such
// sets and the first one's first two ids. The ids are the export's, and each is a
// customer of its own, as written: an id's case may matter (a shop's own codes), so it
// is not folded, but two customers of one e-mail address split one person's purchases
// between two histories without a word, which the report then values as two customers.
// Surrounding spaces need no warning: the reader trims them, so "ann " is "ann".
func caseLine(keys *scoring.Keys) string {
	// The key of each form's first id: a map entry an id while the report is made,
	// as the Keys hold them all anyway; a form that is the id itself shares its bytes.
	first := make(map[string]uint32, keys.Len())
	var twice map[string]bool // the forms of two ids or more
	var example [2]string
	for key := uint32(1); int(key) <= keys.Len(); key++ {
		id, _ := keys.ID(key)
		// Upper then lower case: strings.EqualFold's sets (K, k and the Kelvin sign;
		// σ, ς and Σ) as one form, without a dependency for full case folding.
		fold := strings.ToLower(strings.ToUpper(id))
		if fold == id {
			fold = id
		}
		k, ok := first[fold]
		if !ok {
			first[fold] = key
			continue
		}
		if twice == nil {
			twice = map[string]bool{}
			f, _ := keys.ID(k)
			example = [2]string{f, id}
		}
		twice[fold] = true
	}
	count := len(twice)
	if count == 0 {
		return ""
	}
	return fmt.Sprintf("warning: %s customer ids %s only by letter case, such as %s and %s: each id is counted as a customer of its own; if they are one person, write the ids alike in the export\n",
		english.Plural(count, "1 set of", fmt.Sprintf("%d sets of", count)), english.Plural(count, "differs", "differ"),
		shownID(example[0]), shownID(example[1]))
}

// shownID is an id as a line of the report quotes it: in quotes, or as english.Name
// shows an id it quotes or cuts itself.
func shownID(id string) string {
	if n := english.Name(id, 40); n != id {
		return n
	}
	return strconv.Quote(id)
}
