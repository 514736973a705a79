package tracking

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func readAll(r *Reader) (lines []int, err error) {
	for {
		_, line, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return lines, err
		}
		lines = append(lines, line)
	}
}

const good = `{"type":"page","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`

func TestReaderLenient(t *testing.T) {
	in := "\ufeff" + good + "\r\n" +
		"\r\n" +
		`{"type":"track","userId":"u","timestamp":"2025-03-01T10:00:00Z"}` + "\n" +
		`{"type":"page","userId":"u",` + "\n" +
		`{"type":"page","userId":"u","timestamp":"soon"}` + "\n" +
		`{"batch":[` + good + `,{"type":"group","userId":"u"}]}` + "\n" +
		good // no final line end
	r := NewReader(strings.NewReader(in), &ReaderOptions{Lenient: true})
	lines, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lines) != "[1 6 7]" {
		t.Errorf("good calls on lines %v, want [1 6 7]", lines)
	}
	var got []string
	for _, e := range r.Errors() {
		if !errors.Is(e, ErrInvalid) {
			t.Errorf("%v does not wrap ErrInvalid", e)
		}
		got = append(got, fmt.Sprintf("%d:%d", e.Line, e.Column))
	}
	// The column points at the offending field or character, or at the call's start
	// when a field is missing: the line's, or that of the call within a batch.
	if want := fmt.Sprintf("[3:1 4:29 5:29 6:%d]", len(`{"batch":[`+good+`,`)+1); fmt.Sprint(got) != want {
		t.Errorf("bad lines %v, want %s\n%v", got, want, r.Errors())
	}
	if r.Skipped() != 0 {
		t.Errorf("skipped %d", r.Skipped())
	}
}

// TestReaderJoinedFiles: files joined with cat, each starting with a byte-order mark,
// hold one at the start of later lines too; the second file's first call was "not
// JSON: invalid character 'ï' looking for beginning of value".
func TestReaderJoinedFiles(t *testing.T) {
	in := "\ufeff" + good + "\r\n" + "\ufeff" + good + "\r\n" + "\ufeff\r\n" + good
	lines, err := readAll(NewReader(strings.NewReader(in), nil))
	if err != nil || fmt.Sprint(lines) != "[1 2 4]" {
		t.Errorf("calls on lines %v (%v), want [1 2 4]", lines, err)
	}
}

// TestReaderNotUTF8: a call with a byte that is not UTF-8 (a Latin-1 export's "café")
// is a bad line pointing at the byte; encoding/json alone would have made the event
// "caf\uFFFD" without a word. A valid U+FFFD is accepted as written.
func TestReaderNotUTF8(t *testing.T) {
	latin1 := `{"type":"track","event":"caf` + "\xe9" + `","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`
	replaced := `{"type":"track","event":"caf\ufffd","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`
	r := NewReader(strings.NewReader(latin1+"\n"+replaced+"\n"), &ReaderOptions{Lenient: true})
	lines, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lines) != "[2]" {
		t.Errorf("good calls on lines %v, want [2]", lines)
	}
	errs := r.Errors()
	if len(errs) != 1 || errs[0].Line != 1 || errs[0].Column != strings.IndexByte(latin1, 0xe9)+1 ||
		!errors.Is(errs[0], ErrInvalid) || !strings.Contains(errs[0].Error(), "not UTF-8") {
		t.Errorf("bad lines %v, want line 1 at the byte 0xe9 (column %d)", errs, strings.IndexByte(latin1, 0xe9)+1)
	}
}

func TestReaderStrict(t *testing.T) {
	in := good + "\nnope\n" + good + "\n"
	r := NewReader(strings.NewReader(in), nil)
	lines, err := readAll(r)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || le.Column != 2 || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v, want line 2's error", err)
	}
	if fmt.Sprint(lines) != "[1]" {
		t.Errorf("lines %v before the error, want [1]", lines)
	}
	// The Reader stays stopped.
	if _, _, again := r.Next(); again != err {
		t.Errorf("after the error Next returned %v", again)
	}
}

func TestReaderCaps(t *testing.T) {
	var b bytes.Buffer
	for range 10 {
		b.WriteString("x\n")
	}
	b.WriteString(strings.Repeat("y", 300) + "\n" + good + "\n")
	r := NewReader(&b, &ReaderOptions{Lenient: true, MaxErrors: 4, MaxLine: 100})
	lines, err := readAll(r)
	if err != nil || fmt.Sprint(lines) != "[12]" {
		t.Fatalf("lines %v, %v", lines, err)
	}
	if len(r.Errors()) != 4 || r.Skipped() != 7 {
		t.Errorf("kept %d errors and skipped %d, want 4 and 7", len(r.Errors()), r.Skipped())
	}
	r = NewReader(strings.NewReader(strings.Repeat("z", 300)), &ReaderOptions{MaxLine: 100})
	if _, _, err := r.Next(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "longer than 100 bytes") {
		t.Errorf("long last line: %v", err)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReaderIOError(t *testing.T) {
	_, _, err := NewReader(failing{}, &ReaderOptions{Lenient: true}).Next()
	if err == nil || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err %v", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("\ufeff" + good + "\r\nnope\n\n{\"batch\":[" + good + "]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), &ReaderOptions{Lenient: true, MaxErrors: 3, MaxLine: 512})
		prev := 0
		for {
			m, line, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("lenient reader stopped: %v", err)
			}
			if line < prev || m.Type == "" || len(m.IDs) == 0 {
				t.Fatalf("line %d after %d: %+v", line, prev, m)
			}
			prev = line
		}
		for _, e := range r.Errors() {
			if e.Line < 1 || e.Column < 1 || !errors.Is(e, ErrInvalid) {
				t.Fatalf("bad error %+v", e)
			}
		}
	})
}
