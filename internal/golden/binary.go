package golden

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Binary holds an encoding to the bytes pinned for it: vals[i].MarshalBinary must give
// the hex want[i], and want[i] must decode (UnmarshalBinary) back to vals[i], so that a
// format changes only knowingly and the bytes written before still read.
func Binary[T any, P interface {
	*T
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}](t testing.TB, vals []T, want []string) {
	t.Helper()
	if len(vals) != len(want) {
		t.Fatalf("%d values, %d pinned", len(vals), len(want))
	}
	for i := range vals {
		b, err := P(&vals[i]).MarshalBinary()
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		if got := hex.EncodeToString(b); got != want[i] {
			t.Errorf("value %d encodes as\n %s\nwant %s", i, got, want[i])
		}
		pinned, err := hex.DecodeString(want[i])
		if err != nil {
			t.Fatalf("value %d: pinned bytes: %v", i, err)
		}
		back := P(new(T))
		if err := back.UnmarshalBinary(pinned); err != nil {
			t.Fatalf("value %d: decode the pinned bytes: %v", i, err)
		}
		if diff := cmp.Diff(vals[i], *back); diff != "" {
			t.Errorf("value %d: the pinned bytes decode to (-want +got):\n%s", i, diff)
		}
	}
}

// SHA256 holds the file at path to the SHA-256 (hex) want: a whole file pinned where its
// bytes are too many to write into a test.
func SHA256(t testing.TB, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("%s (%d bytes): SHA-256 %s, want %s", path, len(b), got, want)
	}
}
