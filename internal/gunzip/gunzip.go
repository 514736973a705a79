// Package gunzip reads an input that may be gzip-compressed, for the examples' input
// files: exports often come as .csv.gz or .jsonl.gz, and read as text they failed with
// advice that sent the reader the wrong way ("byte 0x8b is not UTF-8 (convert the
// file, e.g. iconv -f latin1)", "are its fields separated by ;? Then add -comma ';'",
// "3 fields, want 4").
package gunzip

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// magic starts every gzip stream (RFC 1952, section 2.3.1); no text file starts with
// 0x1f, a control character.
var magic = []byte{0x1f, 0x8b}

// Reader returns r's bytes, decompressed when they start with gzip's magic number,
// as they are otherwise. It reads nothing from r until its first Read, so that a
// reader made before its input is ready (standard input) does not block. Concatenated
// gzip members are read as one stream, as gunzip does.
func Reader(r io.Reader) io.Reader {
	return &sniffer{r: r}
}

type sniffer struct {
	r      io.Reader
	src    io.Reader // nil until the first Read
	zipped bool
	err    error // a gzip header that does not read, returned by every Read
}

func (s *sniffer) Read(p []byte) (int, error) {
	if s.src == nil && s.err == nil {
		br := bufio.NewReader(s.r)
		s.src = br
		if b, _ := br.Peek(len(magic)); bytes.Equal(b, magic) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				s.err = fmt.Errorf("gzip-compressed input: %w%s", err, cutShort(err))
			}
			s.src, s.zipped = zr, true
		}
	}
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.src.Read(p)
	if s.zipped && err != nil && err != io.EOF {
		// A cut or damaged file: say that it was read as gzip.
		err = fmt.Errorf("gzip-compressed input: %w%s", err, cutShort(err))
	}
	return n, err
}

// cutShort says what a bare "unexpected EOF" means: the compressed data stop before
// their end, as a download cut off or a file still being written leaves them.
func cutShort(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return " (the file is cut short: the compressed data stop before their end, as a download cut off or a file still being written leaves them)"
	}
	return ""
}
