package tracking

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

const benchCall = `{"type":"track","event":"Order Completed","userId":"u-12345","anonymousId":"a-98765","messageId":"m-1","timestamp":"2025-03-01T10:00:00.000Z","properties":{"revenue":42.5,"currency":"EUR","products":[{"sku":"A-1","qty":2}]},"context":{"traits":{"email":"ann@example.com"},"device":{"id":"d-1"},"library":{"name":"analytics-node","version":"3.1.0"}}}`

// BenchmarkParse parses one realistic track call.
func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(benchCall)))
	data := []byte(benchCall)
	for b.Loop() {
		if _, err := Parse(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNaive is the baseline: one json.Unmarshal into a struct of the fields
// used, with no field-by-field checks and no error words (what the parser replaced).
func BenchmarkParseNaive(b *testing.B) {
	b.SetBytes(int64(len(benchCall)))
	data := []byte(benchCall)
	var w struct {
		Type, Event, UserID, AnonymousID, MessageID, Timestamp string
		Context                                                struct {
			Traits struct{ Email string }
			Device struct{ ID string }
		}
	}
	for b.Loop() {
		if err := json.Unmarshal(data, &w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReader reads 1,000 lines through a lenient Reader.
func BenchmarkReader(b *testing.B) {
	in := strings.Repeat(benchCall+"\n", 1000)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r := NewReader(bytes.NewReader([]byte(in)), &ReaderOptions{Lenient: true})
		for {
			if _, _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
