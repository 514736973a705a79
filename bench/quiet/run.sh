#!/usr/bin/env bash
# The quiet-machine run behind BENCHMARKS.md's wall-clock figures for issues 18 and 19:
# run it from the repository root with nothing else on the machine (check `uptime`
# first; a load above 0.3 makes the -cpu 2 figures meaningless on 2 cores). It is not
# part of .ci/run: it asserts nothing and takes about ten minutes.
#
#	bash bench/quiet/run.sh [outdir]
#
# Each benchmark binary is built first, so compilation never overlaps a measurement.
# Each -cpu setting runs in its own invocation, under GOMAXPROCS of the same value: a
# benchmark written with b.Loop takes its whole first measurement in the probe run that
# testing makes before it applies a -cpu list's entry, at whatever GOMAXPROCS the last
# benchmark (or the tests' loop) left, so with "-cpu 1,2" the first one-core row of each
# benchmark ran on two cores, and with "-cpu 2,1" the first two-core row on one (seen
# 2026-12-04: 1.95 "cores" in a -cpu 1 row, 1.00 in a -cpu 2 row).
# Funnel: the columns merely read (the memory bound), RunBatch, its scan and Result,
# cohorts and lifecycles at 10 M events / 1 M
# profiles, -cpu 2 then 1, three runs each; then DuckDB's simplified SQL funnel
# (bench/duckdb/funnel.mjs) on the same events at 1 and 2 threads. Identity: LinkSeq,
# LinkBatch, Link, the naive baseline, the bare union-find floor and the bare two-core
# pipeline (BenchmarkLinkFloor) at 1 M and 10 M
# events, then its peers
# (bench/identity/peers.py: SciPy's connected components, a Python union-find) on the
# same streams, when Debian's python3-scipy and python3-pandas are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-/tmp/clientele-quiet}"
mkdir -p "$out"
echo "== $(date -u +%FT%TZ) $(git rev-parse --short HEAD) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/meta.txt"
go version | tee -a "$out/meta.txt"
go test -c -o "$out/funnel.test" ./funnel
go test -c -o "$out/identity.test" ./identity
(cd bench/duckdb && npm ci --no-audit --no-fund --silent)
(cd funnel && FUNNEL_BENCH_CSV="$out/events.csv" "$out/funnel.test" -test.run '^TestWriteBenchEvents$' >/dev/null)

echo "== funnel"
for cpu in 2 1; do
	(cd funnel && GOMAXPROCS=$cpu "$out/funnel.test" -test.run '^$' \
		-test.bench '^Benchmark(ColumnsRead|FunnelBatch|FunnelBatchScan|FunnelResult|CohortBatch|LifecycleBatch)$' \
		-test.benchtime 4x -test.count 3 -test.cpu $cpu -test.benchmem)
done | tee "$out/funnel.txt"
echo "== duckdb (load $(cut -d' ' -f1 /proc/loadavg))"
(cd bench/duckdb && node funnel.mjs "$out/events.csv" 1 2) | tee "$out/duckdb.txt"

echo "== identity (load $(cut -d' ' -f1 /proc/loadavg))"
(cd identity && "$out/identity.test" -test.run '^$' -identity.events 1000000 \
	-test.bench '^Benchmark(LinkSeq|LinkBatch|Link|LinkNaive|LinkUnionFind|LinkFloor)$' \
	-test.benchtime 3x -test.count 2 -test.benchmem) | tee "$out/identity-1M.txt"
# At 10 M events a Link run takes 14 s: only the bulk paths, whose target is at 10 M.
(cd identity && "$out/identity.test" -test.run '^$' -identity.events 10000000 \
	-test.bench '^Benchmark(LinkSeq|LinkBatch)$/^DefaultRules(\+capacity)?$' \
	-test.benchtime 2x -test.count 2 -test.benchmem) | tee "$out/identity-10M.txt"
# The bare union-find's floor and the bare two-core pipeline at 10 M (-test.bench splits
# its pattern at each "/", so they cannot share the invocation above).
(cd identity && "$out/identity.test" -test.run '^$' -identity.events 10000000 \
	-test.bench '^Benchmark(LinkUnionFind|LinkFloor)$' \
	-test.benchtime 2x -test.count 2 -test.benchmem) | tee -a "$out/identity-10M.txt"
if /usr/bin/python3 -c 'import scipy, pandas' 2>/dev/null; then
	for n in 1000000 10000000; do
		(cd identity && "$out/identity.test" -test.run '^TestWriteStream$' -identity.events $n -identity.write "$out/stream-$n.csv" >/dev/null)
		echo "== identity peers, $n events (load $(cut -d' ' -f1 /proc/loadavg))"
		/usr/bin/python3 bench/identity/peers.py "$out/stream-$n.csv" | tee "$out/identity-peers-$n.txt"
		rm -f "$out/stream-$n.csv"
	done
else
	echo "== identity peers skipped: apt-get install python3-scipy python3-pandas"
fi
echo "== done $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/meta.txt"
