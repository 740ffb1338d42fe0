#!/bin/bash
# kill -9 during `member import`: every committed batch is complete, nothing
# is half-written, the store checks consistent, and importing the same file
# again completes the job.
. "$(dirname "$0")/lib.sh" "$@"

L=dev@lists.example.org
BATCH=5000
N=120000
expect 0 "list create" -- list create $L

$PY - "$TMP/members.txt" $N <<'PYEOF'
import random, sys
n = int(sys.argv[2])
order = list(range(n))
random.Random(42).shuffle(order)        # key order differs from file order
with open(sys.argv[1], "w") as f:
    for i in order:
        f.write("Member %d <m%07d@d%d.example.org>\n" % (i, i, i % 97))
PYEOF

count() { "$LISTADM" --json member ls $L | wc -l; }

# consistent LABEL: the store checks clean, the members are exactly the first
# M entries of the file with M a multiple of the batch, each with its full
# record.
consistent() {
	local label=$1 m
	expect 0 "$label: listadm check" -- check
	run --json member ls $L
	m=$(printf '%s' "$OUT" | grep -c .)
	check "$label: whole batches only ($m members)" '[ $((m % BATCH)) = 0 ]'
	printf '%s\n' "$OUT" | $PY -c '
import json, sys
want = {}
with open(sys.argv[1]) as f:
    for i, line in enumerate(f):
        name, addr = line.rstrip("\n").rsplit(" <", 1)
        want[addr.rstrip(">")] = (i, name)
idx = []
for l in sys.stdin:
    if not l.strip():
        continue
    d = json.loads(l)
    i, name = want[d["address"]]
    assert d["name"] == name, (d, name)
    assert d["delivery"] == "normal" and d["state"] == "enabled", d
    assert d["moderated"] is False and d["id"] > 0 and d["joined"], d
    idx.append(i)
idx.sort()
assert idx == list(range(len(idx))), "not a prefix of the file"
' "$TMP/members.txt" 2>"$TMP/py.err"
	pyrc=$?
	check "$label: every member complete, a prefix of the file" '[ $pyrc = 0 ]' ||
		sed 's/^/# /' "$TMP/py.err"
}

# 1. Deterministic: the importer has committed two batches and holds part of
# a third when it is killed (it is blocked reading a pipe).
mkfifo "$TMP/fifo"
"$LISTADM" --quiet member import --batch=$BATCH $L "$TMP/fifo" >"$TMP/imp.out" 2>&1 &
pid=$!
exec 3>"$TMP/fifo"
head -n $((2 * BATCH + BATCH / 2)) "$TMP/members.txt" >&3
for _ in $(seq 1 300); do
	[ "$(count)" -ge $((2 * BATCH)) ] && break
	sleep 0.1
done
sleep 0.3
kill -9 $pid
wait $pid 2>/dev/null
exec 3>&-
same "two committed batches survive the kill, the pending one is absent" "$(count)" $((2 * BATCH))
consistent "after a kill between batches"

# 2. Kills at varied moments (reading, adding, committing), each on a fresh
# list: wait for the first committed batch (its audit record), then a
# little longer, then kill -9.
midway=0
for extra in 0 0.01 0.02 0.04 0.08; do
	"$LISTADM" --quiet list delete $L --yes >/dev/null 2>&1
	"$LISTADM" --quiet list create $L
	"$LISTADM" --quiet member import --batch=$BATCH $L "$TMP/members.txt" >"$TMP/imp.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 3000); do
		"$LISTADM" log $L 2>/dev/null | grep -q member.import && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	sleep $extra
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	c=$(count)
	[ "$c" -gt 0 ] && [ "$c" -lt $N ] && midway=$((midway + 1))
	echo "# killed ${extra}s after the first commit with $c members stored"
	consistent "after kill -9 (+${extra}s)"
done
check "kills hit the middle of imports ($midway of 5 did)" '[ $midway -ge 1 ]'

# 3. Re-import completes the job.
before=$(count)
expect 0 "re-import after the kills" -- member import --batch=$BATCH $L "$TMP/members.txt"
same "re-import adds exactly the missing ones" "$OUT" \
	"$((N - before)) added, $before already members, 0 invalid"
same "all members present" "$(count)" $N
consistent "after completion"
expect 0 "a further import adds nothing" -- member import $L "$TMP/members.txt"
same "idempotent" "$OUT" "0 added, $N already members, 0 invalid"

done_testing
