#!/bin/bash
# tests/integration/disk_full.sh BUILD_DIR — the store's file system fills
# up (a small tmpfs, as root): `listd deliver` exits 75 with nothing half
# written, `listadm` reports a temporary failure, the store stays
# consistent, and once space is back both work again; the daemon, whose
# checkpoint write fails for want of space, loses no recipient either.
# Exit 0 pass, 1 fail, 77 skipped (not root, or no tmpfs mount allowed).
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: disk_full.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a small tmpfs"; exit 77; }
command -v mdb_stat >/dev/null || { echo "SKIP: mdb_stat missing"; exit 77; }

dir=$(mktemp -d /tmp/listd-full.XXXXXX)
chmod 755 "$dir"
. "$root/tests/harness/testlib.sh"
# the home is the small file system itself (make_home uses $dir/home)
mnt=$dir/home
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=6m,mode=0755 tmpfs "$mnt" 2>/dev/null; then
	rmdir "$mnt"; rm -rf "$dir"; echo "SKIP: cannot mount a tmpfs here"; exit 77
fi
cleanup() {
	stop_daemon || true
	umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	testlib_cleanup
}
trap cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
messages() { mdb_stat -s messages "$H/store" 2>/dev/null | sed -n 's/^ *Entries: //p'; }
sink() { "$root/tests/harness/sink.sh" "$1" "$dir/sink" "${@:2}"; }

start_sink
make_home "$SINK_PORT" "batch_size = 500" "retry_min_seconds = 1"
L=full@lists.test
ADM() { "${BENCH_AS[@]}" "$LISTADM" --home "$H" "$@"; }
ADM --quiet list create "$L"
ADM --quiet list set "$L" nonmember_action=accept
seq 1 10000 | sed 's/^/m/; s/$/@sink.test/' > "$dir/members"
ADM --quiet member import "$L" "$dir/members"
deliver() { "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender p@sink.test --recipient "$L" 2>>"$dir/deliver.log"; }
printf 'Subject: one\n\nbody\n' | deliver
check "a message stored while there is room" "$(messages)" 1

# fill the file system, leaving a few KiB
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null || true
head -c 300000 /dev/urandom | base64 > "$dir/big.eml"
rc=0; deliver < "$dir/big.eml" || rc=$?
check "deliver with the disk full: exit 75" "$rc" 75
check "nothing half written" "$(messages)" 1
check "store consistent while full" "$("$LISTADM" --home "$H" check >/dev/null 2>&1; echo $?)" 0
# listadm: LMDB may still find free pages inside its file; either the change
# lands whole or it is refused with a temporary failure
rc=0; "$LISTADM" --home "$H" --quiet member add "$L" late@sink.test 2>/dev/null || rc=$?
present=$("$LISTADM" --home "$H" member show "$L" late@sink.test >/dev/null 2>&1 && echo yes || echo no)
check "listadm with the disk full: all or nothing" "$rc/$present" "$([ "$rc" = 0 ] && echo 0/yes || echo 75/no)"
[ "$present" = yes ] && "$LISTADM" --home "$H" --quiet member remove "$L" late@sink.test 2>/dev/null || true
rm -f "$mnt/filler"
rc=0; deliver < "$dir/big.eml" || rc=$?
check "deliver once space is back: exit 0" "$rc" 0
check "both messages stored" "$(messages)" 2

# the daemon: fill the disk again while it distributes the first post
start_daemon
wait_until 5 grep -q 'fanout message 1 .*starting' "$dir/run.log" || true
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null || true
sleep 3
echo "after 3 s with the disk full: $(sink count)"
rm -f "$mnt/filler"
wait_until 30 store_queue_empty || true
stop_daemon || true
got=$(sink recipients | sort -u | wc -l)
check "every member served despite a full disk during the fan-out" "$got" 10000
check "store consistent at the end" "$("$LISTADM" --home "$H" check >/dev/null 2>&1; echo $?)" 0
echo "checkpoint writes refused for want of space: $(grep -c 'checkpoint failed\|No space' "$dir/run.log" || true)"
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 20 "$dir/run.log"; }
[ "$fails" = 0 ]
