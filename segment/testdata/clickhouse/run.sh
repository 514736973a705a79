#!/usr/bin/env bash
# Regenerates ClickHouse's answers to the cases (see README.md). Needs a running
# ClickHouse server reachable with clickhouse-client (18.16 when the files were made).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
db="segment_peer_$$"
ch() { clickhouse-client --database "$db" "$@"; }
clickhouse-client --query "CREATE DATABASE $db"
trap 'clickhouse-client --query "DROP DATABASE IF EXISTS $db"' EXIT

# The data, from the Go generator.
(cd ../.. && go test -count=1 -run '^TestClickHouseGolden$' . -args -clickhouse.write)

ch --query "CREATE TABLE tags (p UInt32, key String, value String) ENGINE = Memory"
ch --query "CREATE TABLE numbers (p UInt32, field String, v Int64) ENGINE = Memory"
ch --query "CREATE TABLE events (p UInt32, event String, ts DateTime('UTC')) ENGINE = Memory"
ch --query "INSERT INTO tags FORMAT CSV" <tags.csv
ch --query "INSERT INTO numbers FORMAT CSV" <numbers.csv
ch --query "INSERT INTO events FORMAT CSV" <events.csv
# Every profile the data mentions: what NOT complements within, as in the index.
ch --query "CREATE VIEW known AS SELECT DISTINCT p FROM (SELECT p FROM tags UNION ALL SELECT p FROM numbers UNION ALL SELECT p FROM events)"

for sql in cases/*.sql; do
	ch --format TSV --multiquery <"$sql" >"${sql%.sql}.clickhouse"
done
clickhouse-client --query "SELECT concat('ClickHouse ', version())" >VERSION
echo "answers written with $(cat VERSION)"
