#!/usr/bin/env bash
# Fails if a tracked file is an executable binary (ELF, Mach-O, or PE), so that a
# compiled example program is never committed again (issue #21). Run from the
# repository root; .ci/run calls it.
set -euo pipefail
bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46 | feedface | feedfacf | cefaedfe | cffaedfe | cafebabe)
		echo "tracked executable binary: $f"
		bad=1
		;;
	4d5a*) # "MZ": a PE file has "PE\0\0" at the offset stored at 0x3c
		off=$(od -An -tu4 -j60 -N4 "$f" 2>/dev/null | tr -d ' ' || true)
		pe=""
		if [ -n "$off" ]; then
			pe=$(od -An -tx1 -j"$off" -N4 "$f" 2>/dev/null | tr -d ' \n' || true)
		fi
		if [ "$pe" = 50450000 ]; then
			echo "tracked executable binary: $f"
			bad=1
		fi
		;;
	esac
done < <(git ls-files -z)
if [ "$bad" != 0 ]; then
	echo "remove them (git rm --cached) and let .gitignore keep them out"
	exit 1
fi
echo "no tracked executable binaries"
