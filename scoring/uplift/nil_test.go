package uplift

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/scoring"
)

// TestNilModelsDoNotPanic: the methods of a nil *Model, *Linear, *Plan or *Features
// (one a caller kept after a failed fit or NewFeatures) panicked; those that return
// an error are ErrInvalid now, and Names and Matrix are empty.
func TestNilModelsDoNotPanic(t *testing.T) {
	args := map[reflect.Type]reflect.Value{
		reflect.TypeFor[[]float64]():          reflect.ValueOf([]float64{0.1}),
		reflect.TypeFor[[][]float64]():        reflect.ValueOf([][]float64{{0.1}}),
		reflect.TypeFor[[]bool]():             reflect.ValueOf([]bool{true}),
		reflect.TypeFor[float64]():            reflect.ValueOf(1.0),
		reflect.TypeFor[string]():             reflect.ValueOf("a"),
		reflect.TypeFor[time.Time]():          reflect.ValueOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)),
		reflect.TypeFor[*roaring.Bitmap]():    reflect.ValueOf(roaring.BitmapOf(1)),
		reflect.TypeFor[[]scoring.RFMScore](): reflect.ValueOf([]scoring.RFMScore{{Profile: 1, Recency: 1, Frequency: 1, Monetary: 1}}),
	}
	errType := reflect.TypeFor[error]()
	for _, v := range []any{(*Model)(nil), (*Linear)(nil), (*Plan)(nil), (*Features)(nil)} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumMethod() {
			meth := rv.Type().Method(i)
			name := fmt.Sprintf("nil %T.%s", v, meth.Name)
			in := make([]reflect.Value, meth.Type.NumIn()-1)
			for j := range in {
				typ := meth.Type.In(j + 1)
				a, ok := args[typ]
				if !ok {
					a = reflect.Zero(typ)
				}
				in[j] = a
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s panicked: %v", name, r)
					}
				}()
				out := rv.Method(i).Call(in)
				if n := len(out); n > 0 && meth.Type.Out(n-1) == errType {
					if err, _ := out[n-1].Interface().(error); !errors.Is(err, ErrInvalid) {
						t.Errorf("%s: %v, want ErrInvalid", name, err)
					}
				} else if n == 1 && out[0].Len() != 0 {
					t.Errorf("%s = %v, want empty", name, out[0])
				}
			}()
		}
	}
}
