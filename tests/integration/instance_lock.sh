#!/bin/bash
# tests/integration/instance_lock.sh BUILD_DIR — one daemon per home: a
# second `listd run` started while the first distributes a post exits at
# once with 75, naming the first one's pid, and touches nothing; every
# member gets exactly one copy. Once the first has stopped, a new daemon
# starts on the same home (the lock file left behind is no obstacle).
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: instance_lock.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

members=320
dir=$(mktemp -d /tmp/listd-lock.XXXXXX)
chmod 755 "$dir"
d1= d2=
cleanup() {
	for p in $d1 $d2; do kill -9 "$p" 2>/dev/null || true; done
	"$root/tests/harness/sink.sh" stop "$dir/sink" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

# a relay that answers DATA after 1 s: the fan-out lasts about 10 s
port=$(SINK_OPTS="-w 1" "$root/tests/harness/sink.sh" start "$dir/sink")
H=$dir/home
L=lock@lists.test
mkdir -p "$H"
"$LISTADM" --home "$H" --quiet list create "$L"
"$LISTADM" --home "$H" --quiet list set "$L" nonmember_action=accept
seq 1 "$members" | sed 's/^/m/; s/$/@sink.test/' > "$dir/members"
"$LISTADM" --home "$H" --quiet member import "$L" "$dir/members"
printf 'relay = 127.0.0.1:%s\nrelay_tls = none\nbatch_size = 64\nconcurrency = 32\n' "$port" > "$H/listd.conf"
[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}" >> "$H/listd.conf"
bench_own "$H"
bench_message "$dir/post.eml" 1000 poster@sink.test "$L"
"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender poster@sink.test --recipient "$L" < "$dir/post.eml"

"${BENCH_AS[@]}" "$LISTD" run --home "$H" --exit-when-idle > "$dir/run1.log" 2>&1 &
d1=$!
for _ in $(seq 1 200); do grep -q 'fanout message 1 .*starting' "$dir/run1.log" && break; sleep 0.05; done
check "the first daemon holds the lock file" "$(cut -d' ' -f1 "$H/listd.pid")" "$d1"

# the second one, in the middle of the fan-out: at most 10 s to give up
start=$(date +%s)
"${BENCH_AS[@]}" "$LISTD" run --home "$H" --exit-when-idle > "$dir/run2.log" 2>&1 &
d2=$!
for _ in $(seq 1 200); do kill -0 "$d2" 2>/dev/null || break; sleep 0.05; done
rc=0
if kill -0 "$d2" 2>/dev/null; then
	rc=running
	kill -TERM "$d2"; wait "$d2" || true
else
	wait "$d2" || rc=$?
fi
d2=
check "a second daemon on the home exits 75" "$rc" 75
check "within a second or two" "$(( $(date +%s) - start <= 2 ))" 1
check "it names the holder's pid" "$(grep -c "another listd run (pid $d1," "$dir/run2.log" || true)" 1
check "it did not touch the queue" "$(grep -c 'fanout\|ingest\|housekeeping' "$dir/run2.log" || true)" 0
kill -0 "$d1" 2>/dev/null && echo "ok   (the fan-out was still under way when the second daemon gave up)"

# listadm status sees the holder and the fan-out under way
"$LISTADM" --home "$H" status > "$dir/status.txt"
check "status: the daemon's pid" "$(grep -c "^daemon  *running: pid $d1, since " "$dir/status.txt")" 1
check "status: the fan-out under way" "$(grep -c "^fan-outs  *message 1 to $L: [0-9]*/$((members + 0)), [0-9]*/s, ETA " "$dir/status.txt")" 1
"$LISTADM" --home "$H" --json status > "$dir/status.json"
check "status --json" "$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
f = s["fanouts"][0]
print(s["daemon"], s["pid"], f["msg"], f["total"], s["queue"]["quarantined"])' "$dir/status.json")" "True $d1 1 $members 0"

timeout 120 tail --pid="$d1" -f /dev/null || true
wait "$d1" || true
d1=
"$root/tests/harness/sink.sh" recipients "$dir/sink" | sort > "$dir/got"
check "copies received" "$(wc -l < "$dir/got")" "$members"
check "distinct members served" "$(sort -u "$dir/got" | wc -l)" "$members"
check "most copies of one member" "$(uniq -c "$dir/got" | sort -rn | awk 'NR == 1 { print $1 }')" 1

check "status once it has gone" "$("$LISTADM" --home "$H" status | head -n 1)" \
	"daemon        not running (no listd run holds this home)"
# the lock is released with the process; the stale file stays and is reused
"${BENCH_AS[@]}" "$LISTD" run --home "$H" --exit-when-idle > "$dir/run3.log" 2>&1 && rc=0 || rc=$?
check "a daemon starts once the first has gone" "$rc" 0
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 5 "$dir/run1.log" "$dir/run2.log"; }
[ "$fails" = 0 ]
