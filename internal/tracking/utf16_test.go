package tracking

import (
	"errors"
	"fmt"
	"io"
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

// TestReaderUTF16WithoutBOM: UTF-16 without a byte-order mark (iconv -t utf-16le, or
// -t utf-16be) stops the Reader at line 1 with one error naming the byte order to
// convert from, as the byte-order mark's case does; each line was a bad line
// ("invalid character '\x00'"). A file whose first line is blank is found by its
// first bytes, not its line 1 (a lone "\n"); UTF-8 input, short or not, is read.
func TestReaderUTF16WithoutBOM(t *testing.T) {
	encode := func(text string, big bool) string {
		var b []byte
		for _, u := range utf16.Encode([]rune(text)) {
			if big {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		return string(b)
	}
	for _, text := range []string{good + "\n" + good + "\n", "\n" + good + "\r\n", "{}"} {
		for order, big := range map[string]bool{"le": false, "be": true} {
			for _, lenient := range []bool{true, false} {
				r := NewReader(strings.NewReader(encode(text, big)), &ReaderOptions{Lenient: lenient})
				lines, err := readAll(r)
				var le *LineError
				if !errors.As(err, &le) || le.Line != 1 || le.Column != 1 || !errors.Is(err, ErrInvalid) ||
					!strings.Contains(err.Error(), "the input is UTF-16 (without a byte-order mark") ||
					!strings.Contains(err.Error(), "iconv -f utf-16"+order+" -t utf-8") || len(lines) > 0 || len(r.Errors()) > 0 {
					t.Errorf("%q in utf-16%s, lenient %v: lines %v, %v; bad lines %v", text, order, lenient, lines, err, r.Errors())
				}
			}
		}
	}
	for _, in := range []string{good + "\n" + good + "\n", "\n" + good, "{}", "{\x00", "\x00\x00\x00\x00\n" + good} {
		r := NewReader(strings.NewReader(in), &ReaderOptions{Lenient: true})
		if _, err := readAll(r); err != nil || strings.Contains(fmt.Sprint(r.Errors()), "UTF-16") {
			t.Errorf("%q: %v; bad lines %v", in, err, r.Errors())
		}
	}
}

// readOnce returns its text and io.EOF, then an error: a terminal asked again after the
// end of input waits for another, and a failed reader may fail otherwise.
type readOnce struct {
	text string
	done bool
}

func (r *readOnce) Read(p []byte) (int, error) {
	if r.done {
		return 0, errors.New("read again after the end")
	}
	r.done = true
	return copy(p, r.text), io.EOF
}

// TestReaderReadsToTheEndOnce: the look at the input's first bytes for UTF-16 does not
// make the Reader read past the end (or past a failure) again: an input shorter than
// the look, which ends at once, is read as it is.
func TestReaderReadsToTheEndOnce(t *testing.T) {
	for _, text := range []string{"", "{}", `{"type":"x"}`, good} {
		r := NewReader(&readOnce{text: text}, &ReaderOptions{Lenient: true})
		lines, err := readAll(r)
		if err != nil || len(lines)+len(r.Errors()) != min(1, len(text)) {
			t.Errorf("%q: lines %v, %v; bad lines %v", text, lines, err, r.Errors())
		}
	}
}
