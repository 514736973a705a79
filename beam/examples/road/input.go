package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn2x1[context.Context, []byte, error](&requireInput{})
}

// errNoInput is the error of an input flag whose path matches no file.
var errNoInput = errors.New("no such file")

// requireInputs fails the run when an input flag's path (or glob) matches no file.
// textio reads a glob that matches nothing as no lines (it matches with
// fileio.MatchEmptyAllow, and no option changes that), so a mistyped -events, or the
// default paths in a run from another directory than beam/, gave every table empty
// and exited 0. A local path is matched here, before the runner starts, every missing
// one reported in the order of inputs; a remote one (gs://, s3://) by a step of the
// pipeline, where the runner's workers read it, so that the submitting machine needs
// no access to the bucket.
func requireInputs(s beam.Scope, inputs []input) error {
	var errs []error
	for _, in := range inputs {
		if strings.Contains(in.Path, "://") {
			beam.ParDo0(s.Scope("road.require"), &requireInput{Flag: in.Flag, Path: in.Path}, beam.Impulse(s))
			continue
		}
		if err := matchInput(context.Background(), in.Flag, in.Path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// input is an input flag's name and its value, a path or glob.
type input struct{ Flag, Path string }

// requireInput fails the pipeline when Path, the value of the flag Flag, matches no
// file where the workers read it.
type requireInput struct{ Flag, Path string }

func (r *requireInput) ProcessElement(ctx context.Context, _ []byte) error {
	return matchInput(ctx, r.Flag, r.Path)
}

// matchInput is nil when path matches at least one file, and otherwise an error
// naming the flag, the path and, for a relative path, the directory it is relative to.
func matchInput(ctx context.Context, flagName, path string) error {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return fmt.Errorf("road: -%s %s: %w", flagName, path, err)
	}
	defer fs.Close()
	files, err := fs.List(ctx, path)
	if err != nil {
		return fmt.Errorf("road: -%s %s: %w", flagName, path, err)
	}
	if len(files) > 0 {
		return nil
	}
	where := ""
	if !strings.Contains(path, "://") && !strings.HasPrefix(path, "/") {
		if wd, err := os.Getwd(); err == nil {
			where = " (in " + wd + ": a relative path is read from the directory road runs in)"
		}
	}
	return fmt.Errorf("road: -%s %s: %w%s", flagName, path, errNoInput, where)
}

// at is file, and ":N" after it when line is the file's line N (its first line with
// that text). The runner hands the parsers lines without their numbers (textio splits
// a file at byte offsets across workers), so a bad line's error found it only by its
// quote, cut to 80 characters; in a file of a million events, lines differ after
// that. at reads the file again to count, on the error path only, once per failed
// run, and in constant memory whatever the lines' length; a file it cannot read gives
// the name alone.
func at(file, line string) string {
	ctx := context.Background()
	fs, err := filesystem.New(ctx, file)
	if err != nil {
		return file
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, file)
	if err != nil {
		return file
	}
	defer r.Close()
	if n := lineNumber(r, line, 64<<10); n > 0 {
		return fmt.Sprintf("%s:%d", file, n)
	}
	return file
}

// lineNumber is the number (from 1) of the first line of r, without its "\n", equal
// to line, or 0 when none is. It compares a chunk of a line at a time, so that a line
// of any length costs no more than the reader's buffer of size bytes.
func lineNumber(r io.Reader, line string, size int) int {
	br := bufio.NewReaderSize(r, size)
	target := []byte(line)
	for n := 1; ; n++ {
		pos, match := 0, true // bytes of target matched so far, and whether all did
		for {
			chunk, err := br.ReadSlice('\n')
			end := err == nil // chunk ends with the line's "\n"
			if end {
				chunk = chunk[:len(chunk)-1]
			}
			if match {
				if len(chunk) > len(target)-pos || !bytes.Equal(chunk, target[pos:pos+len(chunk)]) {
					match = false
				}
				pos += len(chunk)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			last := err != nil // io.EOF or a read error: this is the last line
			if match && pos == len(target) && (end || len(chunk) > 0 || pos > 0) {
				return n
			}
			if last {
				return 0
			}
			break
		}
	}
}
