package storecheck

import (
	"errors"
	"reflect"
	"sync"
)

// owned is the set of stores a check holds: opened or reopened through the harness
// track returns and not yet released through it.
type owned[S any] struct {
	mu   sync.Mutex
	held []S
}

// track returns h with Open and Reopen recording the store they return and Close
// forgetting the store it releases. A nil Reopen stays nil, since it means that the
// store is not durable.
func (o *owned[S]) track(h Harness[S]) Harness[S] {
	opened := func(open func(string) (S, error)) func(string) (S, error) {
		return func(dir string) (S, error) {
			s, err := open(dir)
			if err == nil {
				o.mu.Lock()
				o.held = append(o.held, s)
				o.mu.Unlock()
			}
			return s, err
		}
	}
	t := Harness[S]{Open: opened(h.Open), Close: func(s S) error {
		o.forget(s)
		return h.Release(s)
	}}
	if h.Reopen != nil {
		t.Reopen = opened(h.Reopen)
	}
	return t
}

// forget removes s from the stores held: the latest one equal to it or, for a store
// type that cannot be compared, the latest one opened, as a check that closes a store
// before it reopens holds one at a time. A store not held (released twice by the check
// itself) removes nothing.
func (o *owned[S]) forget(s S) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := reflect.ValueOf(any(s))
	for i := len(o.held) - 1; i >= 0; i-- {
		if same(v, reflect.ValueOf(any(o.held[i]))) {
			o.held = append(o.held[:i], o.held[i+1:]...)
			return
		}
	}
	if n := len(o.held); n > 0 && v.IsValid() && !v.Comparable() {
		o.held = o.held[:n-1]
	}
}

// same reports whether a and b are the same store, without the panic of == on values
// of a type that cannot be compared.
func same(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	return a.Type() == b.Type() && a.Comparable() && b.Comparable() && a.Equal(b)
}

// releaseAll releases, latest first, every store still held, and returns their Close
// errors joined.
func (o *owned[S]) releaseAll(h Harness[S]) error {
	o.mu.Lock()
	held := o.held
	o.held = nil
	o.mu.Unlock()
	var errs []error
	for i := len(held) - 1; i >= 0; i-- {
		errs = append(errs, h.Release(held[i]))
	}
	return errors.Join(errs...)
}
