package tracking

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Reader limits, documented on ReaderOptions.
const (
	DefaultMaxLine   = 1 << 20
	DefaultMaxErrors = 100
)

// ReaderOptions tune a Reader. The zero value (or nil) is usable.
type ReaderOptions struct {
	// Lenient makes the Reader skip a bad line, keep it in Errors and go on; otherwise
	// Next returns the first bad line's *LineError and the Reader stops there.
	Lenient bool
	// MaxErrors caps how many bad lines Errors keeps (default DefaultMaxErrors, 100);
	// beyond it bad lines are only counted (Skipped), so a stream of garbage cannot fill
	// memory.
	MaxErrors int
	// MaxLine bounds a line in bytes (default DefaultMaxLine, 1 MiB); a longer line is a
	// bad line, consumed but never held in memory whole.
	MaxLine int
	// Parse is passed to every call's parsing (the arrival time that stands in for a
	// missing timestamp).
	Parse *ParseOptions
}

// Reader reads Segment-spec calls as JSON lines: one call or one batch envelope a line.
// A UTF-8 byte-order mark at the start of a line (the first, or any of files joined with
// cat), CRLF line ends and blank lines are tolerated; a line with a byte that is not
// UTF-8 is a bad line (JSON text is UTF-8), and an input in UTF-16 (starting with its
// byte-order mark, or with every other byte NUL) stops the Reader at line 1.
type Reader struct {
	br      *bufio.Reader
	opts    ReaderOptions
	line    int
	pending []Message
	errs    []*LineError
	skipped int
	err     error // sticky: the strict Reader's first bad line, or a read error
	// calls: where the calls of line callsLine's batch are, found once for the line: a
	// line of 20,000 bad calls found each call anew, a pass over the line per call,
	// and took many minutes.
	calls     envelope
	callsLine int
}

// NewReader reads calls from r.
func NewReader(r io.Reader, opts *ReaderOptions) *Reader {
	rd := &Reader{br: bufio.NewReaderSize(&sticky{r: r}, 64<<10)}
	if opts != nil {
		rd.opts = *opts
	}
	if rd.opts.MaxErrors <= 0 {
		rd.opts.MaxErrors = DefaultMaxErrors
	}
	if rd.opts.MaxLine <= 0 {
		rd.opts.MaxLine = DefaultMaxLine
	}
	return rd
}

// Next returns the next good call and the line it is on. At the end it returns io.EOF. A
// bad line is returned as a *LineError (wrapping ErrInvalid) that stops a strict Reader;
// a lenient Reader records it and goes on. Any other error comes from the underlying
// reader.
func (r *Reader) Next() (Message, int, error) {
	for {
		if len(r.pending) > 0 {
			m := r.pending[0]
			r.pending = r.pending[1:]
			return m, r.line, nil
		}
		if r.err != nil {
			return Message{}, r.line, r.err
		}
		line, err := r.readLine()
		if err == io.EOF {
			r.err = io.EOF
			continue
		}
		if le := (*LineError)(nil); errors.As(err, &le) {
			// The whole input is unreadable (UTF-16): one error, not one a line.
			r.err = err
			continue
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			r.err = err
			continue
		}
		if err == nil {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var msgs []Message
			var errs []error
			msgs, errs, err = Calls(line, r.opts.Parse)
			for i, e := range errs {
				if e == nil {
					r.pending = append(r.pending, msgs[i])
				} else if bad := r.bad(line, e); bad != nil {
					return Message{}, r.line, bad
				}
			}
		}
		if err != nil {
			if bad := r.bad(line, err); bad != nil {
				return Message{}, r.line, bad
			}
		}
	}
}

// bad records a bad line; it returns the error when the Reader is strict. A bad line
// past MaxErrors is only counted: its column, which costs a pass over the line, is not
// looked for.
func (r *Reader) bad(line []byte, err error) error {
	if r.opts.Lenient && len(r.errs) >= r.opts.MaxErrors {
		r.skipped++
		return nil
	}
	le := &LineError{Line: r.line, Column: column(line, err, r.batchCalls), Err: err}
	if !r.opts.Lenient {
		r.pending = nil
		r.err = le
		return le
	}
	r.errs = append(r.errs, le)
	return nil
}

// batchCalls returns where the calls of the current line's batch are (batchCalls).
func (r *Reader) batchCalls(line []byte) envelope {
	if r.callsLine != r.line {
		r.calls, r.callsLine = batchCalls(line), r.line
	}
	return r.calls
}

// Errors returns the bad lines a lenient Reader skipped, up to MaxErrors.
func (r *Reader) Errors() []*LineError { return r.errs }

// Skipped counts the bad lines beyond MaxErrors, which were skipped but not kept.
func (r *Reader) Skipped() int { return r.skipped }

// readLine returns the next line without its line end (LF or CRLF) and its leading
// byte-order mark. A line over MaxLine is consumed and reported as an ErrInvalid. An
// input in UTF-16 is a *LineError for line 1 that stops the Reader: every line of it
// would be a bad line, line 1's with advice for a Latin-1 file ("byte 0xff is not
// UTF-8 ... iconv -f latin1") and the others "invalid character '\x00'".
func (r *Reader) readLine() ([]byte, error) {
	if r.line == 0 {
		// The file's first bytes, not line 1's: a UTF-16LE file that starts with a
		// blank line has a line 1 of one byte, its "\n", and the NUL after it starts
		// line 2. A read error or the end is left to ReadSlice, which gets it again from
		// sticky (Peek took it from bufio).
		head, _ := r.br.Peek(utf16Probe)
		if err := utf16WithoutBOM(head); err != nil {
			r.line = 1
			return nil, &LineError{Line: 1, Column: 1, Err: err}
		}
	}
	var line []byte
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) <= r.opts.MaxLine+2 {
			line = append(line, chunk...)
		} else {
			tooLong, line = true, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF && len(line) == 0 && !tooLong {
			return nil, io.EOF
		}
		r.line++
		if r.line == 1 && (bytes.HasPrefix(line, []byte{0xff, 0xfe}) || bytes.HasPrefix(line, []byte{0xfe, 0xff})) {
			return nil, &LineError{Line: 1, Column: 1, Err: errUTF16}
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		// A byte-order mark starts line 1 of a file a Windows tool wrote, and any line
		// of files joined with cat; inside a line it was "invalid character 'ï'".
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
		if tooLong || len(line) > r.opts.MaxLine {
			return nil, invalid("line longer than %d bytes", r.opts.MaxLine)
		}
		return line, nil
	}
}

// column finds where in the line the error is: the character of a syntax error, the
// field of a field error (the first byte of its key), else 1. Within a call of a batch
// envelope (calls says where they are) it is found in that call, whose first byte
// stands for 1.
func column(line []byte, err error, calls func([]byte) envelope) int {
	var ie *itemError
	if errors.As(err, &ie) {
		if env := calls(line); ie.index < len(env.calls) {
			start, call := env.calls[ie.index].start, line[env.calls[ie.index].start:env.calls[ie.index].end]
			var fe *fieldError
			if errors.As(ie.err, &fe) && keyOffset(call, fe.field) < 0 {
				// The envelope's sentAt or context, standing in for the call's own.
				if off, ok := env.standIns[fe.field]; ok {
					return off + 1
				}
			}
			return start + column(call, ie.err, calls)
		}
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return max(1, int(syn.Offset))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return len(line) + 1
	}
	var be *byteError
	if errors.As(err, &be) {
		return be.offset + 1
	}
	// A missing field has no column of its own: the error points at the line's start.
	var fe *fieldError
	if !errors.As(err, &fe) || line == nil {
		return 1
	}
	if off := keyOffset(line, fe.field); off >= 0 {
		return off + 1
	}
	return 1
}

// keyOffset returns the byte offset of a key at the top level of the line's object, or
// -1 if it is not there. A key of the same name deeper (properties.event, a group's
// traits.groupId) is another field: pointing at it for a missing "event" sent the reader
// to a field that was there.
func keyOffset(line []byte, key string) int {
	d := json.NewDecoder(bytes.NewReader(line))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return -1
	}
	for d.More() {
		before := int(d.InputOffset())
		tok, err := d.Token()
		if err != nil {
			return -1
		}
		if tok == key {
			// before is where the previous token ended; skip the separators.
			for before < len(line) && line[before] != '"' {
				before++
			}
			return before
		}
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return -1
		}
	}
	return -1
}

// onBatchScan, when a test sets it, runs at each pass batchCalls makes over a line:
// their number is a cost, not a result, so only counting them shows it.
var onBatchScan func()

// span is where one call of a batch is in its line: line[start:end].
type span struct{ start, end int }

// envelope is where the parts of a batch envelope are in its line: each call, and the
// keys of the fields that stand in for a call's own (Calls).
type envelope struct {
	calls    []span
	standIns map[string]int // "sentAt", "context": the offset of the key
}

// batchCalls returns where each call of the line's "batch" array is (that of the last
// "batch" key, as encoding/json keeps the last of a repeated key) and the envelope's
// sentAt and context, in one pass over the line.
func batchCalls(line []byte) envelope {
	if onBatchScan != nil {
		onBatchScan()
	}
	d := json.NewDecoder(bytes.NewReader(line))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return envelope{}
	}
	var spans []span
	standIns := map[string]int{}
	for d.More() {
		before := int(d.InputOffset())
		key, err := d.Token()
		if err != nil {
			return envelope{}
		}
		if key == "sentAt" || key == "context" {
			// before is where the previous token ended; skip the separators.
			for before < len(line) && line[before] != '"' {
				before++
			}
			standIns[key.(string)] = before
		}
		if key != "batch" {
			var skip json.RawMessage
			if d.Decode(&skip) != nil {
				return envelope{}
			}
			continue
		}
		spans = nil
		if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
			continue // not an array: Calls refuses the line before its calls
		}
		for d.More() {
			off := int(d.InputOffset())
			var item json.RawMessage
			if d.Decode(&item) != nil {
				return envelope{}
			}
			// off is where the previous token ended: skip the separators.
			for off < len(line) && (line[off] == ',' || line[off] == ' ' || line[off] == '\t' || line[off] == '\r' || line[off] == '\n') {
				off++
			}
			spans = append(spans, span{off, off + len(item)})
		}
		if _, err := d.Token(); err != nil { // the closing ]
			return envelope{}
		}
	}
	return envelope{spans, standIns}
}

// errUTF16 is an input in UTF-16, as Windows PowerShell 5 writes text with > and
// Out-File.
var errUTF16 = fmt.Errorf("%w: the input is UTF-16 (it starts with UTF-16's byte-order mark, as Windows PowerShell writes files with > or Out-File): JSON lines must be UTF-8; convert it, e.g. iconv -f utf-16 -t utf-8 events.jsonl > events-utf8.jsonl", ErrInvalid)

// sticky returns r's first error (io.EOF too) from every Read after it. The Peek at the
// input's start (utf16WithoutBOM) takes the error bufio holds, and a Read after it would
// ask a terminal for a second end of input, or a failing reader for a second failure.
type sticky struct {
	r   io.Reader
	err error
}

func (s *sticky) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}

// utf16Probe is how many of the input's first bytes utf16WithoutBOM looks at: 8 UTF-16
// code units, `{"type":` in a call.
const utf16Probe = 16

// utf16WithoutBOM returns an error if head, the input's first bytes, is UTF-16 without
// a byte-order mark (iconv -t utf-16le, or a tool that leaves the mark out): every
// other byte NUL and the bytes between not, as ASCII text is in UTF-16. Such an input
// was a bad line per line ("invalid character '\x00'"). A JSON line in UTF-8 holds no
// NUL byte (a string escapes it), so no good input looks like this; two code units at
// least are wanted, so that a lone "a\x00" is left to its line's own error.
func utf16WithoutBOM(head []byte) error {
	n := len(head) &^ 1
	if n < 4 {
		return nil
	}
	little, big := true, true
	for i := 0; i < n; i += 2 {
		little = little && head[i] != 0 && head[i+1] == 0
		big = big && head[i] == 0 && head[i+1] != 0
	}
	order := "le"
	switch {
	case big:
		order = "be"
	case !little:
		return nil
	}
	// iconv's utf-16 without a mark may take the wrong byte order: the advice names it.
	return fmt.Errorf("%w: the input is UTF-16 (without a byte-order mark: every other byte of its start is NUL, as in UTF-16%s): JSON lines must be UTF-8; convert it, e.g. iconv -f utf-16%s -t utf-8 events.jsonl > events-utf8.jsonl", ErrInvalid, strings.ToUpper(order), order)
}
