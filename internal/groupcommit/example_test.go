package groupcommit_test

import (
	"fmt"
	"sync"

	"github.com/clientele-go/clientele/internal/groupcommit"
)

// A ledger decides records under its mutex, adds them to the group, and commits them
// without it: the caller returns once the flush holding its record returned.
func Example() {
	var mu sync.Mutex
	var log []string
	g := groupcommit.New(&mu, func(recs []string) error {
		log = append(log, recs...) // a store would write and fsync here
		return nil
	})
	record := func(r string) error {
		mu.Lock()
		b := g.Add(r)
		mu.Unlock()
		return g.Commit(b)
	}
	fmt.Println(record("earn 100"), record("spend 40"), log)
	// Output: <nil> <nil> [earn 100 spend 40]
}
