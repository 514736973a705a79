package main

import (
	"bufio"
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func(*string) bool, error](&writeFn{})
}

// writeLines writes the strings of lines to path, one a line, in no particular order.
// It is textio.Write except that no lines make an empty file: textio.Write writes no
// file then, so that a run with no customers left the clv.csv of an earlier run in
// place, beside tables saying nobody was scored. The lines come as a side input of an
// Impulse, so the write runs once whether or not there are any.
func writeLines(s beam.Scope, path string, lines beam.PCollection) {
	s = s.Scope("road.write")
	beam.ParDo0(s, &writeFn{Path: path}, beam.Impulse(s), beam.SideInput{Input: lines})
}

type writeFn struct{ Path string }

func (w *writeFn) ProcessElement(ctx context.Context, _ []byte, lines func(*string) bool) error {
	fs, err := filesystem.New(ctx, w.Path)
	if err != nil {
		return fmt.Errorf("road: write %s: %w", w.Path, err)
	}
	defer fs.Close()
	fd, err := fs.OpenWrite(ctx, w.Path)
	if err != nil {
		return fmt.Errorf("road: write %s: %w", w.Path, err)
	}
	buf := bufio.NewWriterSize(fd, 1<<20)
	var line string
	for lines(&line) {
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	if err := buf.Flush(); err != nil {
		fd.Close()
		return fmt.Errorf("road: write %s: %w", w.Path, err)
	}
	if err := fd.Close(); err != nil {
		return fmt.Errorf("road: write %s: %w", w.Path, err)
	}
	return nil
}
