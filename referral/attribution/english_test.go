package attribution

import (
	"strings"
	"testing"
	"time"
)

// Messages count in English: "1 field", "1 age for 2 touches", never "1 fields".
func TestMessagesCountInEnglish(t *testing.T) {
	for _, err := range ReadPaths(strings.NewReader("a > b\n"), nil) {
		if err == nil || !strings.Contains(err.Error(), ": 1 field, want") {
			t.Errorf("a line of one field: %v, want it to count \"1 field\"", err)
		}
		break
	}
	_, err := Attribute([]Path{{Touches: []string{"a", "b"}, Conversions: 1, Ages: []time.Duration{time.Hour}}}, LastTouch{})
	if err == nil || !strings.Contains(err.Error(), "1 age for 2 touches") {
		t.Errorf("1 age for 2 touches: %v", err)
	}
	_, err = Attribute([]Path{{Touches: []string{"a"}, Conversions: 1, Ages: []time.Duration{time.Hour, time.Hour}}}, LastTouch{})
	if err == nil || !strings.Contains(err.Error(), "2 ages for 1 touch") {
		t.Errorf("2 ages for 1 touch: %v", err)
	}
}
