#!/bin/bash
# tests/bench/digest.sh — building one digest of N posts (default 10,000
# posts of 2 KiB), MIME and plain, as the daemon does it: the posts read
# back from the LMDB archive in one transaction and the digest built in
# memory. Prints, per form, the wall time of the build, the time taken to
# archive the posts (apart), and the process's peak RSS (one process per
# form; /usr/bin/time's figure too when GNU time is installed).
#
#   tests/bench/digest.sh [N [POST_BYTES]]
#
# Environment: BUILD=dir (default: the first build*/ holding the program).
# Exit 0, or 77 when the program is not built.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
N=${1:-10000}
BYTES=${2:-2048}
exe=
for b in ${BUILD:-} "$root"/build*; do
	[ -n "$b" ] && [ -x "$b/tests/bench/digest_bench" ] && { exe=$b/tests/bench/digest_bench; break; }
done
[ -n "$exe" ] || { echo "SKIP: build tests/bench/digest_bench first"; exit 77; }

printf 'digest of %s posts of %s bytes (%s)\n' "$N" "$BYTES" "$exe"
for form in mime plain; do
	if [ -x /usr/bin/time ]; then
		out=$( { /usr/bin/time -f 'time_rss_kib=%M' "$exe" "$form" "$N" "$BYTES"; } 2>&1 )
	else
		out=$("$exe" "$form" "$N" "$BYTES")
	fi
	printf '  %s\n' "$(printf '%s' "$out" | tr '\n' ' ')"
done
