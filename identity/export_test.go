package identity

import "time"

// SetPrepareAhead sets whether LinkBatch prepares events beside its decisions (the
// default) or all of them first, for the benchmarks that compare the two; it returns
// the previous setting.
func SetPrepareAhead(on bool) bool {
	old := prepareAhead
	prepareAhead = on
	return old
}

// SetBatchSizes sets how many events a batch links per hold of the lock, warms per
// group and prepares per part, so that a test crosses every boundary with a few events;
// restore puts the defaults back.
func SetBatchSizes(chunk, group, part int) (restore func()) {
	c, g, p, s := batchChunk, warmGroup, prepPart, prepSlice
	batchChunk, warmGroup, prepPart, prepSlice = chunk, group, part, max(1, part/2)
	return func() { batchChunk, warmGroup, prepPart, prepSlice = c, g, p, s }
}

// SetAhead sets whether LinkBatch's second core interns identifiers ahead of the
// decisions, how many events it decides per hold of the lock then and how many the
// second core interns per step; restore puts the previous settings back.
func SetAhead(on bool, chunk, step int) (restore func()) {
	o, c, s := internAhead, aheadChunk, aheadStep
	internAhead, aheadChunk, aheadStep = on, chunk, step
	return func() { internAhead, aheadChunk, aheadStep = o, c, s }
}

// SetHelperCPU installs the benchmarks' measure of the helpers' CPU time (see helperCPU).
func SetHelperCPU(f func(add time.Duration) time.Duration) { helperCPU = f }
