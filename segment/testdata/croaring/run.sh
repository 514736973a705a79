#!/usr/bin/env bash
# Regenerates the CRoaring golden files (see README.md). Needs a C compiler and
# CRoaring's headers and library (Debian: apt-get install libroaring-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cc -O2 -Wall -o "$tmp/peer" peer.c -lroaring

# Go's side: the bitmaps of the specs and a snapshot.
rm -f go/* c/*
(cd ../.. && go test -count=1 -run '^TestCRoaringGolden$' . -args -croaring.write)

for f in go/*.roar; do
	"$tmp/peer" read "$f" >"$f.report"
done
"$tmp/peer" read go/snapshot.snap 16 >go/snapshot.snap.at-16.report

# CRoaring's side: its own bitmaps of the same specs.
for s in specs/*.spec; do
	name="$(basename "$s" .spec)"
	"$tmp/peer" write "$s" "c/$name.roar"
done

dpkg-query -W -f='${Package} ${Version}\n' libroaring-dev 2>/dev/null >VERSION || echo "CRoaring (version unknown)" >VERSION
echo "golden files written with $(cat VERSION)"
