package bom

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestRows checks the bytes Rows passes on: a mark before a quoted first field or a
// comment is moved after the quote or the comment character, at the start of any row
// and only there.
func TestRows(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		comma, comment rune
	}{
		{"empty", "", "", ',', 0},
		{"a mark alone", "\ufeff", "", ',', 0},
		{"the first mark is dropped", "\ufeff\"a\",1\n", "\"a\",1\n", ',', 0},
		{"a later row, quoted", "a,1\n\ufeff\"b\",2\n", "a,1\n\"\ufeffb\",2\n", ',', 0},
		{"a later row, unquoted: left to Field", "a,1\n\ufeffb,2\n", "a,1\n\ufeffb,2\n", ',', 0},
		{"CRLF", "a,1\r\n\ufeff\"b\",2\r\n", "a,1\r\n\"\ufeffb\",2\r\n", ',', 0},
		{"after a quoted last field", "\"a\",\"1\"\r\n\ufeff\"b\",2", "\"a\",\"1\"\r\n\"\ufeffb\",2", ',', 0},
		{"after an empty line", "a,1\n\n\ufeff\"b\",2\n", "a,1\n\n\"\ufeffb\",2\n", ',', 0},
		{"a mark inside a quoted field stays", "\"a\n\ufeff\"\"b\",1\n", "\"a\n\ufeff\"\"b\",1\n", ',', 0},
		{"a later field is not a row", "a,\ufeff\"b\"\n", "a,\ufeff\"b\"\n", ',', 0},
		{"a mark mid-line is not a row", "a\ufeff\"b\"\n", "a\ufeff\"b\"\n", ',', 0},
		{"a comment", "a;1\n\ufeff# note, \"x\n\ufeff\"b\";2\n", "a;1\n#\ufeff note, \"x\n\"\ufeffb\";2\n", ';', '#'},
		{"a comment not ASCII", "a;1\n\ufeff§ x\n\ufeff\"b\";2\n", "a;1\n§\ufeff x\n\"\ufeffb\";2\n", ';', '§'},
		{"a separator not ASCII", "\"a\n\"¦\"x\n\ufeff\"¦1\n\ufeff\"b\"¦2\n", "\"a\n\"¦\"x\n\ufeff\"¦1\n\"\ufeffb\"¦2\n", '¦', 0},
		{"a tab", "a\t\"x\ny\"\n\ufeff\"b\"\t2\n", "a\t\"x\ny\"\n\"\ufeffb\"\t2\n", '\t', 0},
		// encoding/csv refuses these rows and goes on at the next line: so does Rows.
		{"after a bare quote", "a\"b,\"c\n\ufeff\"d\",1\n", "a\"b,\"c\n\"\ufeffd\",1\n", ',', 0},
		{"after text past a closing quote", "\"a\"b,\"c\n\ufeff\"d\",1\n", "\"a\"b,\"c\n\"\ufeffd\",1\n", ',', 0},
		{"after a carriage return past a closing quote", "\"a\"\r,\"c\n\ufeff\"d\",1\n", "\"a\"\r,\"c\n\"\ufeffd\",1\n", ',', 0},
		{"a cut mark is data", "a\n\xef\xbb\"b\"\n", "a\n\xef\xbb\"b\"\n", ',', 0},
		{"a mark at the end", "a\n\ufeff", "a\n\ufeff", ',', 0},
		{"two marks: one moves", "a\n\ufeff\ufeff\"b\"\n", "a\n\ufeff\ufeff\"b\"\n", ',', 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := io.ReadAll(Rows(strings.NewReader(c.in), c.comma, c.comment))
			if err != nil || string(got) != c.want {
				t.Errorf("Rows(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			// However the stream is cut, and whatever the size of the reads.
			if err := iotest.TestReader(Rows(iotest.OneByteReader(strings.NewReader(c.in)), c.comma, c.comment), []byte(c.want)); err != nil {
				t.Errorf("one byte a read: %v", err)
			}
			if err := iotest.TestReader(Rows(iotest.HalfReader(strings.NewReader(c.in)), c.comma, c.comment), []byte(c.want)); err != nil {
				t.Errorf("half reads: %v", err)
			}
			var small []byte
			r := Rows(strings.NewReader(c.in), c.comma, c.comment)
			for p := make([]byte, 1); ; {
				n, err := r.Read(p)
				small = append(small, p[:n]...)
				if err != nil {
					break
				}
			}
			if string(small) != c.want {
				t.Errorf("into one byte a read: %q, want %q", small, c.want)
			}
		})
	}
}

// TestRowsLazy checks that Rows reads nothing before the first Read, as Skip.
func TestRowsLazy(t *testing.T) {
	r := &countingReader{r: strings.NewReader("\ufeffx")}
	s := Rows(r, ',', 0)
	if r.n != 0 {
		t.Fatalf("Rows read %d bytes before the first Read", r.n)
	}
	if got, _ := io.ReadAll(s); string(got) != "x" {
		t.Fatalf("got %q, want %q", got, "x")
	}
}

// TestRowsError checks that a read error after data is returned once the data is.
func TestRowsError(t *testing.T) {
	r := Rows(iotest.DataErrReader(strings.NewReader("a\n\ufeff\"b\"\n")), ',', 0)
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "a\n\"\ufeffb\"\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	r = Rows(io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(io.ErrUnexpectedEOF)), ',', 0)
	if got, err = io.ReadAll(r); err != io.ErrUnexpectedEOF || string(got) != "a\n" {
		t.Fatalf("got %q, %v; want \"a\\n\", %v", got, err, io.ErrUnexpectedEOF)
	}
}

// readCSV reads every record of in with encoding/csv, the first field of each without
// its leading mark (Field), as the SDK's readers read them.
func readCSV(r io.Reader, comma, comment rune) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.Comma, cr.Comment, cr.FieldsPerRecord = comma, comment, -1
	var out [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rec[0], _ = Field(rec[0])
		out = append(out, rec)
	}
}

// TestRowsProperty checks Rows against encoding/csv on files joined with cat: records
// written by csv.Writer, each row preceded or not by a mark, read through Rows, are the
// records written, whatever their fields hold (quotes, separators, line ends, marks).
func TestRowsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		comma := rapid.SampledFrom([]rune{',', ';', '\t', '¦'}).Draw(t, "comma")
		text := rapid.StringOf(rapid.SampledFrom([]rune{'a', 'b', ' ', '"', ',', ';', '\t', '¦', '\n', '\r', '#', '\ufeff'}))
		records := rapid.SliceOfN(rapid.SliceOfN(text, 1, 4), 1, 8).Draw(t, "records")
		marks := rapid.SliceOfN(rapid.Bool(), len(records), len(records)).Draw(t, "marks")
		var want [][]string
		var in bytes.Buffer
		for i, rec := range records {
			rec[0] = strings.TrimLeft(rec[0], "\ufeff") // a mark of its own is Field's to drop
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // an empty line to encoding/csv
			}
			if marks[i] {
				in.WriteString("\ufeff")
			}
			w := csv.NewWriter(&in)
			w.Comma = comma
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			// encoding/csv reads a field's \r\n as \n.
			want = append(want, slices.Collect(func(yield func(string) bool) {
				for _, f := range rec {
					if !yield(strings.ReplaceAll(f, "\r\n", "\n")) {
						return
					}
				}
			}))
		}
		for _, r := range []io.Reader{bytes.NewReader(in.Bytes()), iotest.OneByteReader(bytes.NewReader(in.Bytes()))} {
			got, err := readCSV(Rows(r, comma, 0), comma, 0)
			if err != nil {
				t.Fatalf("%q: %v", in.Bytes(), err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%q (-want +got):\n%s", in.Bytes(), diff)
			}
		}
	})
}

// TestRowsLinesAsBytes checks Rows' two lexers against each other on any text, rows
// encoding/csv refuses among them: whole lines are lexed a quote at a time, and a line
// cut by the end of what a Read has buffered byte by byte, as is every line when read
// one byte at a time. Each moves a mark before the same quotes.
func TestRowsLinesAsBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		comma := rapid.SampledFrom([]rune{',', ';'}).Draw(t, "comma")
		comment := rapid.SampledFrom([]rune{0, '#'}).Draw(t, "comment")
		in := rapid.StringOf(rapid.SampledFrom([]rune{'a', '"', ',', ';', '\n', '\r', '#', '\ufeff'})).Draw(t, "in")
		whole, err := io.ReadAll(Rows(strings.NewReader(in), comma, comment))
		if err != nil {
			t.Fatal(err)
		}
		bytewise, err := io.ReadAll(Rows(iotest.OneByteReader(strings.NewReader(in)), comma, comment))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole, bytewise) {
			t.Fatalf("Rows(%q): %q whole, %q a byte at a time", in, whole, bytewise)
		}
	})
}

// FuzzRows: Rows keeps every byte but a leading mark (it moves marks, never drops
// them), and gives the same bytes whatever the size of the reads.
func FuzzRows(f *testing.F) {
	f.Add("a,1\n\ufeff\"b\",2\n\ufeff# c\n", byte(','), byte('#'))
	f.Add("\ufeff\"a\n\ufeff\"\"b\";1\r\n\ufeff\"c\"\r\n", byte(';'), byte(0))
	f.Fuzz(func(t *testing.T, in string, comma, comment byte) {
		if comma == '\n' || comma == '\r' || comma == '"' || comma == 0 || comma >= utf8.RuneSelf || comment >= utf8.RuneSelf || comment == comma {
			return // what encoding/csv refuses, and the non-ASCII runes TestRows covers
		}
		whole, err := io.ReadAll(Rows(strings.NewReader(in), rune(comma), rune(comment)))
		if err != nil {
			t.Fatal(err)
		}
		bytewise, _ := io.ReadAll(Rows(iotest.OneByteReader(strings.NewReader(in)), rune(comma), rune(comment)))
		if !bytes.Equal(whole, bytewise) {
			t.Fatalf("%q whole, %q a byte at a time", whole, bytewise)
		}
		want := len(in)
		if strings.HasPrefix(in, "\ufeff") {
			want -= len(mark)
		}
		if len(whole) != want {
			t.Fatalf("Rows(%q) = %q: %d bytes, want %d", in, whole, len(whole), want)
		}
	})
}
