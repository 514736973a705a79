package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
)

// shutdownSignals returns a context that ends at the first of sigs to arrive and one
// that ends at the second: the first begins the shutdown, the second cuts it short.
// One registration serves both, so that a second signal is seen however soon it
// follows the first: with a registration per stage (signal.NotifyContext each), one
// sent before the second stage registered was swallowed by the first's, and the
// operator needed a third. After the second, the signals' default action is restored,
// so a third ends the process at once. stop releases the registration.
func shutdownSignals(sigs ...os.Signal) (first, second context.Context, stop func()) {
	first, endFirst := context.WithCancel(context.Background())
	second, endSecond := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	var once sync.Once
	release := func() { once.Do(func() { signal.Stop(ch) }) }
	done := make(chan struct{})
	go func() {
		for _, end := range []context.CancelFunc{endFirst, endSecond} {
			select {
			case <-ch:
				end()
			case <-done:
				return
			}
		}
		release()
	}()
	var closing sync.Once
	return first, second, func() {
		closing.Do(func() {
			release()
			close(done)
			endFirst()
			endSecond()
		})
	}
}
