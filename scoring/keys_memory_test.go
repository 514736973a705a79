package scoring

import (
	"strings"
	"testing"
	"unsafe"
)

// A Keys keeps a copy of each id, not the caller's string: the reader's ids are
// substrings of their rows, so a kept id held its customer's whole first row in memory.
func TestKeysKeepNoRow(t *testing.T) {
	row := "c1," + strings.Repeat("x", 4096)
	var k Keys
	if _, err := k.Key(row[:2]); err != nil {
		t.Fatal(err)
	}
	id, _ := k.ID(1)
	if id != "c1" {
		t.Fatalf("ID(1) = %q, want c1", id)
	}
	if unsafe.StringData(id) == unsafe.StringData(row) {
		t.Error("Keys keeps the caller's string, and with it the whole row it is part of")
	}
}
