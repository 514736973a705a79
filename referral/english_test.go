package referral

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Messages count in English: "1 symbol", "1 byte", never "1 symbols".
func TestMessagesCountInEnglish(t *testing.T) {
	if _, err := ParseCode("A"); err == nil || !strings.Contains(err.Error(), ": 1 symbol, want") {
		t.Errorf("ParseCode(\"A\"): %v, want it to count \"1 symbol\"", err)
	}
	p, err := Open(&MemStore{}, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := p.ForgetContact(context.Background(), at, Signals{Email: "\x00"}); err == nil || !strings.Contains(err.Error(), "field Email: 1 byte, or") {
		t.Errorf("ForgetContact of a 1-byte control character: %v, want it to count \"1 byte\"", err)
	}
}
