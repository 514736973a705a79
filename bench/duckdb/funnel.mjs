// DuckDB beside funnel.RunBatch (BENCHMARKS.md, issue #19): the funnel benchmarks' own
// events (funnel/bench_test.go, written as CSV by TestWriteBenchEvents), a simplified
// SQL funnel of the same five steps and 7-day window, timed at 1 and 2 threads.
//
//	FUNNEL_BENCH_CSV=/tmp/events.csv go test -run TestWriteBenchEvents ./funnel
//	(cd bench/duckdb && npm ci && node funnel.mjs /tmp/events.csv)
//
// "Simplified": SQL has no windowFunnel, so each profile's funnel starts at its first
// visit and takes, step after step, the first matching event after the previous one
// within 7 days of that visit (four self-joins). RunBatch does more: every visit may
// start an attempt and the deepest attempt counts (ClickHouse's windowFunnel), so its
// counts are at least these. Loading the CSV is not timed; each query runs once to warm
// up, then RUNS times. CPU time is the whole process's (every DuckDB thread).
import { DuckDBInstance } from '@duckdb/node-api';

const csv = process.argv[2];
if (!csv) {
  console.error('usage: node funnel.mjs events.csv [threads...]');
  process.exit(2);
}
const threadCounts = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 2];
const RUNS = Number(process.env.RUNS ?? 3);
const WINDOW = 7n * 24n * 3600n * 1000000000n;

function step(k) {
  const prev = `s${k - 1}`;
  return `s${k} AS MATERIALIZED (
    SELECT ${prev}.profile, ${prev}.t1, min(e.t) AS t
    FROM ${prev} JOIN events e ON e.profile = ${prev}.profile AND e.event = ${k - 1}
      AND e.t > ${prev}.t AND e.t <= ${prev}.t1 + ${WINDOW}
    GROUP BY ${prev}.profile, ${prev}.t1)`;
}

const query = `WITH s1 AS MATERIALIZED (
    SELECT profile, min(t) AS t1, min(t) AS t FROM events WHERE event = 0 GROUP BY profile),
  ${[2, 3, 4, 5].map(step).join(',\n  ')}
  SELECT (SELECT count(*) FROM s1) AS visit, (SELECT count(*) FROM s2) AS view,
    (SELECT count(*) FROM s3) AS cart, (SELECT count(*) FROM s4) AS checkout,
    (SELECT count(*) FROM s5) AS purchase`;

for (const threads of threadCounts) {
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await db.connect();
  await con.run(`CREATE TABLE events AS SELECT * FROM read_csv('${csv.replaceAll("'", "''")}', header = true,
    columns = {'profile': 'UINTEGER', 't': 'BIGINT', 'event': 'UTINYINT'})`);
  const n = Number((await (await con.runAndReadAll('SELECT count(*) FROM events')).getRows())[0][0]);
  let counts;
  const run = async () => {
    const reader = await con.runAndReadAll(query);
    counts = reader.getRows()[0].map(Number);
  };
  await run();
  const walls = [];
  const cpus = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    walls.push(wall);
    cpus.push((c.user + c.system) / 1e6);
  }
  const best = Math.min(...walls);
  const i = walls.indexOf(best);
  console.log(`DuckDBFunnel threads=${threads} events=${n} runs=${RUNS} best ${best.toFixed(3)} s ` +
    `${(n / best / 1e6).toFixed(1)} Mevents/s ${(cpus[i] * 1e9 / n).toFixed(1)} cpu-ns/event ` +
    `walls=${walls.map((w) => w.toFixed(3)).join(',')} steps=${counts.join(',')}`);
  con.closeSync();
  db.closeSync?.();
}
