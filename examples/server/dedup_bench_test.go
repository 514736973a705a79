package main

import (
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkRemember measures the ring a start rebuilds: remember handing a new dedup
// maxSeen keys (the most a start passes), its time, and the heap the dedup keeps per
// key (HeapAlloc after a GC, less before the keys were made, once their slice is
// dropped): the ring, its map and whatever the keys hold themselves.
func BenchmarkRemember(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keys := keysOf(dedupKey, maxSeen)
	d := rememberEach(b, func(d *dedup) { d.remember(keys) })
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(d.seen) != maxSeen {
		b.Fatalf("%d keys remembered, want %d", len(d.seen), maxSeen)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/maxSeen, "heap-B/key")
	runtime.KeepAlive(d)
}

// BenchmarkRememberNaive is BenchmarkRemember's baseline: the keys as strings (16
// bytes of SHA-256 each, as dedup kept them before msgKey) in a map from key to its
// position, grown key by key, and a slice of them in order: what remembering a start's
// keys takes without the ring's fixed-size keys and presizing.
func BenchmarkRememberNaive(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keys := keysOf(func(source, messageID string) string {
		k := dedupKey(source, messageID)
		return string(k[:])
	}, maxSeen)
	var seen map[string]int
	var order []string
	for b.Loop() {
		seen, order = map[string]int{}, nil
		for _, k := range keys {
			if _, ok := seen[k]; !ok {
				seen[k] = len(order)
				order = append(order, k)
			}
		}
	}
	keys = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(seen) != maxSeen {
		b.Fatalf("%d keys remembered, want %d", len(seen), maxSeen)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/maxSeen, "heap-B/key")
	runtime.KeepAlive(seen)
	runtime.KeepAlive(order)
}

// rememberEach has a new dedup remember, once a loop of b, and returns the last.
func rememberEach(b *testing.B, remember func(*dedup)) *dedup {
	var d *dedup
	for b.Loop() {
		d = &dedup{}
		remember(d)
	}
	return d
}

// keysOf returns the keys of n messageIds, of whatever type key makes.
func keysOf[K any](key func(source, messageID string) K, n int) []K {
	keys := make([]K, n)
	for i := range keys {
		keys[i] = key("bench", strconv.Itoa(i))
	}
	return keys
}
