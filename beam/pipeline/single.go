package pipeline

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn3x0[[]byte, func(*[]byte) bool, func([]byte)](&orEmptyFn{})
	register.Iter1[[]byte]()
}

// single returns the one element of col, the output of a global beam.Combine, or empty
// when col has none. Beam's Go SDK emits nothing from a global Combine of an empty
// PCollection (Java's Combine.globally emits the empty accumulator's output instead),
// so without this a table of no events was no element at all: a pipeline writing it
// wrote no file, and a program reading the file read the one an earlier run left.
// The in-process SDK's answer on no events is the empty table, and so is this.
//
// The element is read as a side input of an Impulse, the one element every runner
// gives, so that the step runs once whether or not col has an element.
func single(s beam.Scope, col beam.PCollection, empty []byte) beam.PCollection {
	return beam.ParDo(s, &orEmptyFn{Empty: empty}, beam.Impulse(s), beam.SideInput{Input: col})
}

// orEmptyFn emits the elements of its side input, or Empty if there are none.
type orEmptyFn struct{ Empty []byte }

func (f *orEmptyFn) ProcessElement(_ []byte, elems func(*[]byte) bool, emit func([]byte)) {
	n := 0
	var b []byte
	for elems(&b) {
		emit(b)
		n++
	}
	if n == 0 {
		emit(f.Empty)
	}
}
