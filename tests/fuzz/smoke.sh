#!/usr/bin/env bash
# tests/fuzz/smoke.sh BUILD_DIR [SECONDS] — builds every fuzz target as a
# libFuzzer binary (clang, ASan + UBSan) and runs each for SECONDS (default
# 30) starting from its seed corpus (and, for the message parsers, the bounce
# corpus in ../shared when present), FUZZ_JOBS targets at a time (default:
# one per core; each libFuzzer process uses one). New inputs go to a scratch
# directory, never into the seed folder. Fails when a target crashes, leaks
# or times out, and keeps the reproducer under tests/fuzz/findings/. Prints
# executions per target, in the targets' order.
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
jobs=${FUZZ_JOBS:-$(nproc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# fuzz NAME EXE: one target; its log in $out/NAME.log, "ok" or "CRASH" in
# $out/NAME.result
fuzz() {
	local name=$1 exe=$2 work seeds rc=0
	work=$(mktemp -d)
	seeds=("$here/corpus/$name")
	case $name in bounce|mime) [ -d "$shared" ] && seeds+=("$shared") ;; esac
	"$exe" "$work" "${seeds[@]}" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=262144 -artifact_prefix="tests/fuzz/findings/${name}-" \
		-print_final_stats=1 >"$out/$name.log" 2>&1 || rc=$?
	rm -rf "$work"
	if [ "$rc" = 0 ]; then echo ok; else echo CRASH; fi > "$out/$name.result"
}

names=()
for exe in "$bdir"/tests/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	name=$(basename "$exe"); name=${name#fuzz_}
	names+=("$name")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	fuzz "$name" "$exe" &
done
wait

status=0
printf '%-18s %12s %10s\n' target executions result
for name in "${names[@]}"; do
	result=$(cat "$out/$name.result" 2>/dev/null || echo CRASH)
	if [ "$result" != ok ]; then status=1; tail -n 40 "$out/$name.log"; fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -n 1)
	printf '%-18s %12s %10s\n' "$name" "${execs:-?}" "$result"
done
exit "$status"
