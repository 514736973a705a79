package identity_test

import (
	"bufio"
	"flag"
	"os"
	"strconv"
	"testing"

	"github.com/clientele-go/clientele/identity"
)

var writeStream = flag.String("identity.write", "", "write the benchmarks' stream of -identity.events events to this file as CSV (kind,value,kind,value a line), for bench/identity/peers.py")

// TestWriteStream writes the benchmarks' event stream for the peers (SciPy's connected
// components, a Python union-find) to link the same events:
//
//	go test -run '^TestWriteStream$' ./identity -identity.write /tmp/stream.csv [-identity.events N]
//
// It is skipped without -identity.write.
func TestWriteStream(t *testing.T) {
	if *writeStream == "" {
		t.Skip("no -identity.write")
	}
	s := getStream(benchEvents())
	f, err := os.Create(*writeStream)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range len(s.events) / 2 {
		a, b := s.event(i)
		// Values are hex, digits, names, '@', '.', '+', '-' and spaces: no quoting needed.
		w.WriteString(a.Kind + "," + a.Value + "," + b.Kind + "," + b.Value + "\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Without rules the profiles are the connected components of the events, which is
	// what the peers compute: peers.py checks its count of them against this one.
	r, err := identity.New(identity.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LinkSeq(t.Context(), func(yield func(identity.Event) bool) {
		for i := range len(s.events) / 2 {
			a, b := s.event(i)
			if !yield(identity.Event{At: t0, Source: "web", IDs: []identity.ID{a, b}}) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*writeStream+".profiles", []byte(strconv.Itoa(r.Stats().Profiles)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
