#!/bin/bash
# tests/bench/queue_marks.sh — what the daemon's queue costs per post in
# durable write transactions (LMDB commits, each one fsync), and the time
# to drain a queue of posts.
#
#   tests/bench/queue_marks.sh [POSTS] [MEMBERS]      defaults: 200, 10
#
# POSTS member posts are stored with `listd deliver` while no daemon runs;
# then `listd run --exit-when-idle` drains the queue into a smtp-sink. The
# store's last transaction id (mdb_stat -e) before and after gives the
# daemon's commits: printed in all and per post, with the wall time. Run it
# against two builds (BUILD=dir) to compare them.
#
# Environment: BUILD=dir | LISTD=path LISTADM=path; KEEP=1; BENCH_USER.
# Exit status: 0 done, 1 a run failed, 77 not built / no smtp-sink.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/harness/benchlib.sh"
posts=${1:-200}
members=${2:-10}
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
command -v mdb_stat >/dev/null || { echo "SKIP: mdb_stat (lmdb-utils) not installed"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-bench-marks.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT

start_sink
make_home "$SINK_PORT"
L=bench@lists.bench.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM -q list create "$L"
bench_members "$dir/members" "$members"
ADM -q member import "$L" "$dir/members"
bench_message "$dir/post.eml" 5120 m0000001@members.bench.test "$L"
for i in $(seq 1 "$posts"); do
	sed "s/^Subject: .*/Subject: post $i/" "$dir/post.eml" |
		"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender m0000001@members.bench.test \
			--recipient "$L" 2>/dev/null
done
txnid() { "${BENCH_AS[@]}" mdb_stat -e "$H/store" | sed -n 's/.*Last transaction ID: //p'; }
before=$(txnid)
bench_timed "$dir/time" "${BENCH_AS[@]}" "$LISTD" run --home "$H" --exit-when-idle \
	> "$dir/run.log" 2>&1 || { echo "FAIL: listd run"; tail "$dir/run.log"; exit 1; }
after=$(txnid)
got=$("$root/tests/harness/sink.sh" count "$dir/sink" | sed -n 's/.* recipients=\([0-9]*\).*/\1/p')
[ "$got" = $((posts * members)) ] || { echo "FAIL: the sink got $got recipients, not $((posts * members))"; exit 1; }
wall=$(bench_time_field "$dir/time" wall)
awk -v p="$posts" -v m="$members" -v c=$((after - before)) -v w="$wall" 'BEGIN {
	printf "posts=%d members=%d daemon_commits=%d commits_per_post=%.2f wall_s=%.2f posts_per_s=%.1f\n",
	       p, m, c, c / p, w, (w > 0 ? p / w : 0) }'
