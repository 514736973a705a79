package identity_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/google/go-cmp/cmp"
)

// With no rules, profiles are the connected components of the events; networkx computed
// them independently (testdata/components.py).
func TestGoldenComponents(t *testing.T) {
	f, err := os.Open("testdata/components.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parse := func(s string) identity.ID {
		k, v, _ := strings.Cut(s, ":")
		return identity.ID{Kind: k, Value: v}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var name string
	var events [][]identity.ID
	var want [][]string
	cases := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		word, rest, _ := strings.Cut(text, " ")
		switch word {
		case "#":
		case "case":
			name, events, want = rest, nil, nil
		case "event":
			var ev []identity.ID
			for _, s := range strings.Fields(rest) {
				ev = append(ev, parse(s))
			}
			events = append(events, ev)
		case "component":
			want = append(want, strings.Fields(rest))
		case "end":
			cases++
			r := build(t, identity.Rules{}, events)
			byKey := map[uint32][]string{}
			for _, c := range want {
				for _, s := range c {
					p, ok := r.Lookup(parse(s))
					if !ok {
						t.Fatalf("%s: %s is not held", name, s)
					}
					byKey[p] = append(byKey[p], s)
				}
			}
			var got [][]string
			for _, c := range byKey {
				slices.Sort(c)
				got = append(got, c)
			}
			slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: profiles differ from networkx's components (-networkx +resolver):\n%s", name, diff)
			}
			if n := r.Stats().Profiles; n != len(want) {
				t.Fatalf("%s: %d profiles, networkx finds %d components", name, n, len(want))
			}
		default:
			t.Fatalf("components.golden:%d: unexpected %q", line, text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < 20 {
		t.Fatalf("only %d cases read", cases)
	}
}
