#!/usr/bin/env bash
# tests/fuzz/smoke.sh BUILD_DIR [SECONDS] — builds every fuzz target as a
# libFuzzer binary (clang, ASan + UBSan) and runs each for SECONDS (default
# 30) starting from its seed corpus (and, for the message parsers, the bounce
# corpus in ../shared when present). New inputs go to a scratch directory,
# never into the seed folder. Fails on the first crash, leak or timeout and
# keeps the reproducer under tests/fuzz/findings/. Prints executions per
# target.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bdir=${1:?usage: smoke.sh BUILD_DIR [SECONDS]}
secs=${2:-30}
cd "$root"
if [ ! -f "$bdir/build.ninja" ]; then
	CC=clang meson setup "$bdir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$bdir" -j"$(nproc)" >/dev/null
shared=$root/../shared/corpus/bounces
mkdir -p tests/fuzz/findings
status=0
printf '%-18s %12s %10s\n' target executions result
for exe in "$bdir"/tests/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	name=$(basename "$exe"); name=${name#fuzz_}
	work=$(mktemp -d)
	seeds=("$here/corpus/$name")
	case $name in bounce|mime) [ -d "$shared" ] && seeds+=("$shared") ;; esac
	log=$work/log
	if "$exe" "$work" "${seeds[@]}" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=262144 -artifact_prefix="tests/fuzz/findings/${name}-" \
		-print_final_stats=1 >"$log" 2>&1; then
		result=ok
	else
		result=CRASH; status=1
		tail -n 40 "$log"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	printf '%-18s %12s %10s\n' "$name" "${execs:-?}" "$result"
	rm -rf "$work"
done
exit "$status"
