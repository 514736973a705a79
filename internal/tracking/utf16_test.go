package tracking

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestReaderUTF16: an input in UTF-16 (as Windows PowerShell writes files) stops the
// Reader at once with one error saying so. Each of its lines was a bad line: the
// first "byte 0xff is not UTF-8 ... (convert the file, e.g. iconv -f latin1 -t
// utf-8)", advice for another encoding, the others "invalid character '\x00'".
func TestReaderUTF16(t *testing.T) {
	text := good + "\r\n" + good + "\r\n"
	for name, bom := range map[string][]byte{"little-endian": {0xff, 0xfe}, "big-endian": {0xfe, 0xff}} {
		in := append([]byte(nil), bom...)
		for _, u := range utf16.Encode([]rune(text)) {
			if bom[0] == 0xff {
				in = append(in, byte(u), byte(u>>8))
			} else {
				in = append(in, byte(u>>8), byte(u))
			}
		}
		for _, lenient := range []bool{true, false} {
			r := NewReader(strings.NewReader(string(in)), &ReaderOptions{Lenient: lenient})
			lines, err := readAll(r)
			var le *LineError
			if !errors.As(err, &le) || le.Line != 1 || le.Column != 1 || !errors.Is(err, ErrInvalid) ||
				!strings.Contains(err.Error(), "the input is UTF-16") || len(lines) > 0 || len(r.Errors()) > 0 {
				t.Errorf("%s, lenient %v: lines %v, %v; bad lines %v", name, lenient, lines, err, r.Errors())
			}
			if _, _, again := r.Next(); again != err {
				t.Errorf("%s, lenient %v: after the error Next returned %v", name, lenient, again)
			}
		}
	}
}
