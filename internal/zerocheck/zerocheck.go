// Package zerocheck holds the SDK's packages to "nothing panics on input a caller
// controls" for the values a caller declares instead of making: it calls every exported
// method of a zero value and of a nil pointer, by reflection, so that a method added
// later is checked without a test naming it.
package zerocheck

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Methods calls every exported method of the type of v, a pointer (new(T)), on a fresh
// zero T and on a nil *T, each twice: with zero arguments and with plausible ones (a
// context, a time in 2026, "a", 1, one-element slices, ...), so that a method whose
// argument checks would turn the zero arguments away still meets a zero receiver. It
// fails t where a call panics, and where a method with an error result returns nil or
// an error that is not want or whose message lacks says (the name of the type, so
// that an error of an argument check run before the receiver's does not pass). On the
// zero T (not the nil *T), the methods named in succeed are only held to not
// panicking: those a zero value that is ready to use really serves.
func Methods(t *testing.T, v any, want error, says string, succeed ...string) {
	t.Helper()
	MethodsPanicking(t, v, want, says, Panics{}, succeed...)
}

// Panics names the methods of a type that are documented to panic, as Go's own
// conventions have some do, which MethodsPanicking does not call: OnNil on a nil *T (a
// method with nowhere to write and no error to return, as assigning to a nil map
// panics), Always on the zero T as well (an index out of range, as indexing a slice
// panics: a zero T that holds nothing has no index in range). A test of the type holds
// them to their documentation.
type Panics struct{ OnNil, Always []string }

// MethodsPanicking is Methods for a type some of whose methods are documented to panic
// (see Panics); every other method is held to Methods' rules.
func MethodsPanicking(t *testing.T, v any, want error, says string, panics Panics, succeed ...string) {
	t.Helper()
	pt := reflect.TypeOf(v)
	if pt.Kind() != reflect.Pointer {
		t.Fatalf("zerocheck: %T is not a pointer", v)
	}
	for _, name := range append(slices.Clone(panics.OnNil), panics.Always...) {
		if _, ok := pt.MethodByName(name); !ok {
			t.Errorf("zerocheck: %T has no method %s to excuse from the check", v, name)
		}
	}
	errT := reflect.TypeFor[error]()
	for i := range pt.NumMethod() {
		m := pt.Method(i)
		for _, nilRecv := range []bool{false, true} {
			if contains(panics.Always, m.Name) || nilRecv && contains(panics.OnNil, m.Name) {
				continue
			}
			for _, plausible := range []bool{false, true} {
				recv := reflect.New(pt.Elem())
				if nilRecv {
					recv = reflect.Zero(pt)
				}
				args := []reflect.Value{recv}
				for j := 1; j < m.Type.NumIn(); j++ {
					args = append(args, arg(m.Type.In(j), plausible, 3))
				}
				name := fmt.Sprintf("%s.%s (nil receiver %v, plausible arguments %v)", pt.Elem().Name(), m.Name, nilRecv, plausible)
				out, p := call(m.Func, args, m.Type.IsVariadic())
				if p != nil {
					t.Errorf("%s panicked: %v", name, p)
					continue
				}
				for k, o := range out {
					if m.Type.Out(k) != errT {
						continue
					}
					err, _ := o.Interface().(error)
					switch {
					case !nilRecv && contains(succeed, m.Name):
					case err == nil:
						t.Errorf("%s returned no error", name)
					case !errors.Is(err, want) || !strings.Contains(err.Error(), says):
						t.Errorf("%s returned %q, want %q about %q", name, err, want, says)
					}
				}
			}
		}
	}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// call calls f, turning a panic into its value; a variadic f takes its last argument
// as the slice.
func call(f reflect.Value, args []reflect.Value, variadic bool) (out []reflect.Value, p any) {
	defer func() { p = recover() }()
	if variadic {
		return f.CallSlice(args), nil
	}
	return f.Call(args), nil
}

// arg returns an argument of type t: the zero value, or, if plausible, a value a caller
// could pass (depth bounds the nesting of slices, structs and pointers).
func arg(t reflect.Type, plausible bool, depth int) reflect.Value {
	switch {
	case t == reflect.TypeFor[context.Context]():
		return reflect.ValueOf(context.Background())
	case t.Kind() == reflect.Func:
		// a function that does nothing: an iter.Seq yields nothing, a hook returns zeros
		return reflect.MakeFunc(t, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, t.NumOut())
			for k := range out {
				out[k] = reflect.Zero(t.Out(k))
			}
			return out
		})
	case !plausible || depth == 0:
		return reflect.Zero(t)
	case t == reflect.TypeFor[time.Time]():
		return reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	}
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString("a")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Slice:
		v = reflect.Append(reflect.MakeSlice(t, 0, 1), arg(t.Elem(), true, depth-1))
	case reflect.Array:
		for i := range v.Len() {
			v.Index(i).Set(arg(t.Elem(), true, depth-1))
		}
	case reflect.Map:
		v = reflect.MakeMap(t)
		v.SetMapIndex(arg(t.Key(), true, depth-1), arg(t.Elem(), true, depth-1))
	case reflect.Pointer:
		v = reflect.New(t.Elem())
		v.Elem().Set(arg(t.Elem(), true, depth-1))
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				v.Field(i).Set(arg(t.Field(i).Type, true, depth-1))
			}
		}
	}
	return v
}
