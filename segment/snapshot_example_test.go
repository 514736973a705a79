package segment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/clientele-go/clientele/segment"
)

// A service that restarts loads its latest snapshot instead of replaying every event:
// the loaded index answers as the saved one did and keeps its saved segments, whose
// memberships carry over, so the first Refresh after the restart reports only what
// changed since.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "segment-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store, _ := segment.OpenFileStore(dir, nil)

	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2)
	x.Save("pro", segment.Must("plan:pro"))
	x.Refresh(now)
	if err := x.SaveTo(store, "index"); err != nil {
		fmt.Println(err)
		return
	}

	y, err := segment.Load(store, "index") // after the restart
	if err != nil {
		fmt.Println(err)
		return
	}
	y.Tag("plan:pro", 3)
	changes, _ := y.Refresh(now)
	n, _ := y.Count(context.Background(), now, segment.Must("segment:pro"), nil)
	fmt.Println(y.Segments(), changes[0].Entered, changes[0].Exited, n)
	// Output: [pro] {3} {} 3
}

// WriteTo and ReadSnapshot move an index as bytes, to any storage a Store does not
// cover. Every bitmap is checked as it is read: a damaged snapshot is ErrCorrupt, with
// the offset of the damage, never a wrong answer.
func ExampleReadSnapshot() {
	x, _ := segment.NewIndex()
	x.Tag("country:se", 1, 5, 9)
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		fmt.Println(err)
		return
	}
	data := buf.Bytes()

	y, err := segment.ReadSnapshot(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	members, _ := y.Eval(context.Background(), now, segment.Must("country:se"), nil)
	fmt.Println(members)

	damaged := bytes.Clone(data)
	damaged[len(damaged)/2] ^= 0xff
	_, err = segment.ReadSnapshot(damaged)
	fmt.Println(errors.Is(err, segment.ErrCorrupt))
	// Output:
	// {1,5,9}
	// true
}
