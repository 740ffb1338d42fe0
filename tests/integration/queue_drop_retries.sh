#!/bin/bash
# tests/integration/queue_drop_retries.sh BUILD_DIR — `listadm queue drop`
# of a quarantined retry job takes the message's deferred recipients (its
# retry records) with it, and `listadm check` names retry records left to
# a dropped message.
#  A relay that defers every recipient (smtp-sink -r rcpt) leaves a post
#  with two retry records and a retry job; the post's fan-out record made
#  malformed with mdb_load fails that job until it is quarantined; `queue
#  drop` then leaves no retry record and check finds nothing; the records
#  put back by hand are named by check (exit 65).
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: queue_drop_retries.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
command -v smtp-sink >/dev/null || { echo "SKIP: smtp-sink not installed"; exit 77; }
command -v mdb_load >/dev/null && command -v mdb_dump >/dev/null ||
	{ echo "SKIP: mdb_load or mdb_dump missing"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-dropretry.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

SINK_OPTS="-r rcpt" start_sink
make_home "$SINK_PORT" 'retry_min_seconds = 1'
L=dev@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM -q list create "$L" --owner owner@owner.test
ADM -q member add "$L" poster@poster.test
ADM -q member add "$L" m1@sink.test
start() { start_daemon LISTD_BACKOFF_MIN_MS=200; }
stop() { stop_daemon || true; }
retry_job() { ADM queue ls 2>/dev/null | awk '$2 == "retry" { print $1 }' | head -n 1; }
retries_of() {  # retry records of message $1 (key: u32 BE message, u32 BE member)
	"${BENCH_AS[@]}" mdb_dump -s retries "$H/store" | grep -c "^ $(printf '%08x' "$1")[0-9a-f]\{8\}\$" || true
}

printf 'From: poster@poster.test\nTo: dev@lists.test\nSubject: deferred\n\nx\n' |
	"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender poster@poster.test --recipient "$L"
start
has_retry_job() { [ -n "$(retry_job)" ]; }
wait_until 30 has_retry_job || true
stop
id=$(retry_job)
check "the deferred post has a retry job" "${id:+yes}" yes
id=${id:-0}
check "two retry records" "$(retries_of "$id")" 2

# the fan-out record made malformed: every try of the retry job fails
printf '%s\n\\01broken\n' "$(printf '%08x' "$id" | sed 's/../\\&/g')" |
	"${BENCH_AS[@]}" mdb_load -T -s fanout "$H/store"
start
wait_until 30 grep -q "retry of message $id quarantined after" "$dir/run.log" || true
stop
check "the retry job is quarantined" \
	"$(ADM queue ls 2>/dev/null | awk -v id="$id" '$1 == id { print $2, $3 }')" "retry quarantined"
"${BENCH_AS[@]}" mdb_dump -s retries "$H/store" > "$dir/retries.dump"

out=$(ADM queue drop "$id" 2>&1) || true
check "queue drop says what went" "$out" \
	"message $id: 1 job dropped (message marked dropped), 2 deferred recipients forgotten"
check "no retry record left" "$(retries_of "$id")" 0
check "the drop is audited with them" \
	"$(ADM log "$L" 2>/dev/null | grep -c "queue.drop.*message $id (retry failed 3 times: .*); 2 deferred recipients forgotten")" 1
rc=0; out=$(ADM check 2>&1) || rc=$?
check "check: consistent after the drop" "$rc $out" "0 store consistent"

# records left behind (as the drop of earlier versions did): check names them
"${BENCH_AS[@]}" mdb_load -s retries "$H/store" < "$dir/retries.dump"
rc=0; out=$(ADM check 2>/dev/null) || rc=$?
check "check names retry records of a dropped message" "$rc $out" \
	"65 retries: 2 records of message $id, which was dropped"
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; grep -v 'info: smtp' "$dir/run.log" | tail -n 20; }
[ "$fails" = 0 ]
