package segment_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/zerocheck"
	"github.com/clientele-go/clientele/segment"
)

// TestZeroIndex calls every method of a zero and a nil Index and FileStore: none
// panics, and those that return an error say ErrInvalid and name the type. A zero
// FileStore has no directory: it must not write into the working directory.
func TestZeroIndex(t *testing.T) {
	zerocheck.Methods(t, new(segment.Index), segment.ErrInvalid, "Index")
	zerocheck.Methods(t, new(segment.FileStore), segment.ErrInvalid, "FileStore")
	if p := new(segment.FileStore).Path("a"); p != "" {
		t.Errorf("a zero FileStore's Path = %q, want none", p)
	}
}

// TestZeroIndexAnswersEmpty: the methods of a zero Index without an error result answer
// as an empty index does, and Watch yields its error once and stops.
func TestZeroIndexAnswersEmpty(t *testing.T) {
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, x := range []*segment.Index{new(segment.Index), nil} {
		x.Tag("plan:pro", 1)
		x.SetNumber("spend", 1, 5)
		x.Record(at, 1, "visit")
		if p := x.Profiles(); p == nil || !p.IsEmpty() {
			t.Errorf("Profiles = %v, want empty", p)
		}
		if v, ok := x.Number("spend", 1); v != 0 || ok {
			t.Errorf("Number = %d, %v, want 0, false", v, ok)
		}
		if m, ok := x.Members("s"); m != nil || ok || x.Segments() != nil || x.Expire(at) != 0 {
			t.Errorf("Members, Segments or Expire answer something")
		}
		n := 0
		for _, err := range x.Watch(context.Background(), nil, time.Minute) {
			if n++; !errors.Is(err, segment.ErrInvalid) {
				t.Errorf("Watch yielded %v, want ErrInvalid", err)
			}
		}
		if n != 1 {
			t.Errorf("Watch yielded %d times, want once", n)
		}
	}
}

// TestTagEmptyKey: Tag has no error result, so the empty tag and a tag with an empty key
// change nothing (the index, its snapshot and its profiles stay as they were), and the
// query conditions that would name them are syntax errors (parse_test.go).
func TestTagEmptyKey(t *testing.T) {
	x, err := segment.NewIndex()
	if err != nil {
		t.Fatal(err)
	}
	x.Tag("plan:pro", 1)
	var before bytes.Buffer
	if _, err := x.WriteTo(&before); err != nil {
		t.Fatal(err)
	}
	x.Tag("", 2)
	x.Tag(":x", 3)
	x.Tag(":", 4)
	x.SetTrait("", "x", 5)
	x.Untag("", 1)
	x.Untag(":pro", 1)
	var after bytes.Buffer
	if _, err := x.WriteTo(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("an empty tag or key changed the index's snapshot")
	}
	if got := x.Profiles().ToArray(); len(got) != 1 || got[0] != 1 {
		t.Errorf("Profiles = %v, want [1]", got)
	}
	// "tag:" names the empty value of the key tag explicitly, and is kept.
	x.Tag("tag:", 6)
	q, err := segment.Parse(`tag:""`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := x.Eval(context.Background(), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), q, nil); err != nil || got.GetCardinality() != 1 || !got.Contains(6) {
		t.Errorf(`tag:"" = %v, %v, want {6}`, got, err)
	}
}
