package golden

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.csv")
	if err := os.WriteFile(path, []byte("# made by hand\na,b\n1,2\n# a note\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Rows(t, path)
	if want := [][]string{{"1", "2"}, {"3", "4"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Rows = %q, want %q", got, want)
	}
}
