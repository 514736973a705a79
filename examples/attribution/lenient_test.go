package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLenientCountsSkipped: the rows -lenient skips were listed on standard error
// alone, so a report kept in a file read as the whole input; its summary now counts
// them. A clean file's report says nothing of the kind.
func TestLenientCountsSkipped(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ in, want string }{
		{"path,conversions,nulls,value\nsearch,1,2,3\nbad,x,1,1\nemail,1,0,5\nworse\n", "2 bad rows skipped (-lenient; each is listed on standard error): the figures below leave them out"},
		{"path,conversions,nulls,value\nsearch,1,2,3\nemail,1,0,5\n", ""},
	} {
		path := filepath.Join(dir, "paths.csv")
		if err := os.WriteFile(path, []byte(c.in), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := run(&out, path, 0, true, "direct"); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.HasPrefix(got, path+": 2 distinct journeys, 2 conversions worth 8.00, 2 journeys without one\n") {
			t.Errorf("summary:\n%s", got)
		}
		if has := strings.Contains(got, "skipped"); c.want == "" && has || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("want %q in the report:\n%s", c.want, got)
		}
	}
}
