package funnel

import (
	"runtime"
	"sync"
)

// workersFor returns how many goroutines to give n events: one for small inputs, where
// starting more costs more than it saves, else GOMAXPROCS.
func workersFor(n int) int {
	if n < 4096 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// split runs work over consecutive ranges of [0, n), one per goroutine (at most n, at
// least one), and returns their results in range order.
func split[T any](n, workers int, work func(lo, hi int) T) []T {
	workers = max(1, min(workers, n))
	out := make([]T, workers)
	if workers == 1 {
		out[0] = work(0, n)
		return out
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { out[w] = work(n*w/workers, n*(w+1)/workers) })
	}
	wg.Wait()
	return out
}
