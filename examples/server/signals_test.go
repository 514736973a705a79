package main

import (
	"syscall"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// TestShutdownSignals: the first signal ends the first context only, the second the
// second; stop ends both and releases the registration.
func TestShutdownSignals(t *testing.T) {
	first, second, stop := shutdownSignals(syscall.SIGUSR1)
	defer stop()
	raise := func() {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
	}
	raise()
	pgtest.Within(t, "the first context's end", func() error { <-first.Done(); return nil })
	if second.Err() != nil {
		t.Fatal("the second context ended with the first signal")
	}
	raise()
	pgtest.Within(t, "the second context's end", func() error { <-second.Done(); return nil })

	a, b, stop2 := shutdownSignals(syscall.SIGUSR1)
	stop2()
	stop2() // twice: no panic
	if a.Err() == nil || b.Err() == nil {
		t.Fatal("stop left a context running")
	}
}
