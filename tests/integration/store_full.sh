#!/bin/bash
# tests/integration/store_full.sh BUILD_DIR — review R5: the store's map is
# full (LISTD_STORE_MAP_MAX) when a fan-out ends, so its final checkpoint
# (with the archive write) cannot be written. The daemon must back off
# instead of restarting the job hundreds of times a second: a few
# "checkpoint failed" lines in 12 s, little CPU, and no member gets the post
# more than twice. Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: store_full.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-mapfull.XXXXXX)
chmod 755 "$dir"
daemon=
cleanup() {
	[ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null || true
	"$root/tests/harness/sink.sh" stop "$dir/sink" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
le() { if [ "$2" -le "$3" ]; then echo "ok   $1: $2 (at most $3)"; else echo "FAIL $1: $2, want at most $3"; fails=$((fails + 1)); fi; }

port=$("$root/tests/harness/sink.sh" start "$dir/sink")
H=$dir/home
mkdir -p "$H"
printf 'relay = 127.0.0.1:%s\nrelay_tls = none\nbatch_size = 100\n' "$port" > "$H/listd.conf"
[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}" >> "$H/listd.conf"
bench_own "$H"
AS() { "${BENCH_AS[@]}" env LISTD_STORE_MAP_INITIAL=1048576 LISTD_STORE_MAP_MAX=4194304 "$@"; }
AS "$LISTADM" --home "$H" --quiet list create dev@lists.test
AS "$LISTADM" --home "$H" --quiet member add dev@lists.test poster@poster.test
seq 1 300 | sed 's/^/m/; s/$/@sub.test/' > "$dir/members"
AS "$LISTADM" --home "$H" --quiet member import dev@lists.test "$dir/members"
{ printf 'From: Poster <poster@poster.test>\nTo: dev@lists.test\nSubject: big post\n\n'; head -c 650000 /dev/urandom | base64; } |
	AS "$LISTD" deliver --home "$H" --sender poster@poster.test --recipient dev@lists.test
i=0
while [ "$i" -lt 200 ]; do
	i=$((i + 1))
	{ printf 'From: x@y.test\nSubject: fill %d\n\n' "$i"; head -c 37500 /dev/urandom | base64 -w 76; } |
		AS "$LISTD" deliver --home "$H" --sender x@y.test --recipient nolist@lists.test 2>/dev/null || break
done
echo "store full after $i fillers"
# not through AS(): a shell function in the background is a subshell, and $!
# would name it rather than the daemon (setpriv and env exec it: one pid)
"${BENCH_AS[@]}" env LISTD_STORE_MAP_INITIAL=1048576 LISTD_STORE_MAP_MAX=4194304 \
	"$LISTD" run --home "$H" > "$dir/run.log" 2>&1 &
daemon=$!
sleep 12
ticks=$(awk '{ print $14 + $15 }' "/proc/$daemon/stat")
failed=$(grep -c 'checkpoint failed' "$dir/run.log" || true)
kill -TERM "$daemon"; wait "$daemon" || true; daemon=
echo "checkpoint failures in 12 s: $failed; daemon CPU: $((ticks * 1000 / $(getconf CLK_TCK))) ms"
check "the final checkpoint failed (the store is full)" "$([ "$failed" -ge 1 ] && echo yes)" yes
le "checkpoint failures in 12 s (back-off 5 s, 10 s ...)" "$failed" 4
le "daemon CPU in 12 s (ms)" "$((ticks * 1000 / $(getconf CLK_TCK)))" 3000
le "most copies of the post at one member" "$("$root/tests/harness/sink.sh" recipients "$dir/sink" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')" "$failed"
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep -v 'info: smtp' "$dir/run.log" | tail -n 8; }
[ "$fails" = 0 ]
