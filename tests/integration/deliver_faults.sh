#!/bin/bash
# tests/integration/deliver_faults.sh BUILD_DIR — `listd deliver` under
# faults: every failure is a temporary one (exit 75) that leaves the store
# as it was; 200 concurrent deliveries all land; and, through a real Postfix,
# deliveries killed with SIGKILL at random moments are retried by the MTA
# and every message ends up in the store exactly once.
# Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: deliver_faults.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
command -v mdb_stat >/dev/null || { echo "SKIP: mdb_stat (lmdb-utils) missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private Postfix)"; exit 77; }

dir=$(mktemp -d /tmp/listd-dfault.XXXXXX)
chmod 755 "$dir"
pf() { "$root/tests/harness/postfix.sh" "$1" "$dir/pf" "${@:2}"; }
cleanup() { pf stop >/dev/null 2>&1 || true; [ "${KEEP:-0}" = 1 ] && echo "kept $dir" || rm -rf "$dir"; }
trap cleanup EXIT

fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
messages() { mdb_stat -s messages "$1/store" 2>/dev/null | sed -n 's/^ *Entries: //p'; }
deliver() { local h=$1; shift; "${BENCH_AS[@]}" "$LISTD" deliver --home "$h" "$@" 2>>"$dir/deliver.log"; }

H=$dir/home
mkdir -p "$H"
"$LISTADM" --home "$H" --quiet list create f@lists.test
bench_own "$H"
printf 'Subject: t\n\nbody\n' > "$dir/m.eml"
deliver "$H" --sender a@x.test --recipient f@lists.test < "$dir/m.eml"
before=$(messages "$H")
check "one message stored" "$before" 1

rc=0; deliver "$dir/nohome" --sender a@x.test --recipient f@lists.test < "$dir/m.eml" || rc=$?
check "missing home: exit 75" "$rc" 75
rc=0; deliver "$H" --sender a@x.test < "$dir/m.eml" || rc=$?
check "usage error: exit 75, never a bounce" "$rc" 75
cp "$H/listd.conf" "$dir/conf.bak" 2>/dev/null || : > "$dir/conf.bak"
echo "no_such_key = 1" >> "$H/listd.conf"
rc=0; deliver "$H" --sender a@x.test --recipient f@lists.test < "$dir/m.eml" || rc=$?
check "bad listd.conf: exit 75" "$rc" 75
cp "$dir/conf.bak" "$H/listd.conf"
chmod 000 "$H"
rc=0; deliver "$H" --sender a@x.test --recipient f@lists.test < "$dir/m.eml" || rc=$?
check "unreadable home: exit 75" "$rc" 75
chmod 700 "$H"
head -c $((65 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76 > "$dir/big.eml"
rc=0; deliver "$H" --sender a@x.test --recipient f@lists.test < "$dir/big.eml" || rc=$?
check "message over the 64 MiB cap: exit 75" "$rc" 75
rm -f "$dir/big.eml"
# a store whose map may not grow past 4 MiB, and a 6 MiB message
H2=$dir/small
mkdir -p "$H2"
export LISTD_STORE_MAP_INITIAL=$((1024 * 1024)) LISTD_STORE_MAP_MAX=$((4 * 1024 * 1024))
"$LISTADM" --home "$H2" --quiet list create s@lists.test
bench_own "$H2"
deliver "$H2" --sender a@x.test --recipient s@lists.test < "$dir/m.eml"
head -c $((4500 * 1024)) /dev/urandom | base64 > "$dir/mid.eml"
rc=0; deliver "$H2" --sender a@x.test --recipient s@lists.test < "$dir/mid.eml" || rc=$?
check "store map full: exit 75" "$rc" 75
check "full store unchanged" "$(messages "$H2")" 1
unset LISTD_STORE_MAP_INITIAL LISTD_STORE_MAP_MAX
check "store unchanged after the failures" "$(messages "$H")" "$before"

# the envelope from the environment, as Exim's and OpenSMTPD's pipe transports set it
unset SENDER RECIPIENT
rc=0; env -u RECIPIENT SENDER=a@x.test "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" \
	< "$dir/m.eml" 2>>"$dir/deliver.log" || rc=$?
check "no envelope recipient anywhere: exit 75" "$rc" 75
check "...and nothing stored" "$(messages "$H")" "$before"
printf 'Subject: env\n\nbody\n' > "$dir/env.eml"
rc=0; SENDER=e@x.test RECIPIENT=f@lists.test "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" \
	< "$dir/env.eml" 2>>"$dir/deliver.log" || rc=$?
check "envelope from SENDER/RECIPIENT: exit 0" "$rc" 0
check "...and stored" "$(messages "$H")" "$((before + 1))"
printf 'Subject: null\n\nbody\n' > "$dir/null.eml"
rc=0; SENDER= RECIPIENT=f-bounces@lists.test "${BENCH_AS[@]}" "$LISTD" deliver --home "$H" \
	< "$dir/null.eml" 2>>"$dir/deliver.log" || rc=$?
check "empty SENDER is the null sender: exit 0" "$rc" 0
check "...stored with a null sender" \
	"$(tail -n 1 "$dir/deliver.log" | grep -c 'from=<> to=<f-bounces@lists.test>')" 1
before=$(messages "$H")
# --size: a pipe cut short (the MTA's writer died) is not stored; the retry is, once
{ printf 'From: p@x.test\nSubject: trunc\n\n'; head -c 20000 /dev/urandom | base64; } > "$dir/t.eml"
size=$(stat -c %s "$dir/t.eml")
rc=0; /usr/bin/python3 -c "
import os,sys,time
d=open('$dir/t.eml','rb').read(); os.write(1,d[:len(d)//2]); os.kill(os.getpid(),9)" |
	"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender p@x.test --recipient f@lists.test \
	--size "$size" 2>>"$dir/deliver.log" || rc=${PIPESTATUS[1]}
check "input cut short of --size: exit 75" "$rc" 75
check "...and nothing stored" "$(messages "$H")" "$before"
rc=0; deliver "$H" --sender p@x.test --recipient f@lists.test --size "$size" < "$dir/t.eml" || rc=$?
check "the MTA's whole retry: exit 0" "$rc" 0
crlf=$((size + $(wc -l < "$dir/t.eml")))
rc=0; deliver "$H" --sender q@x.test --recipient f@lists.test --size "$crlf" < "$dir/t.eml" || rc=$?
check "--size counted with CRLF line ends: exit 0" "$rc" 0
rc=0; deliver "$H" --sender q@x.test --recipient f@lists.test --size 12x < "$dir/t.eml" || rc=$?
check "--size not a number: exit 75" "$rc" 75
check "two stored" "$(messages "$H")" "$((before + 2))"
before=$(messages "$H")
check "store consistent" "$("$LISTADM" --home "$H" check >/dev/null 2>&1; echo $?)" 0

# 200 concurrent deliveries
pids=()
for i in $(seq 1 200); do
	printf 'Subject: c%s\nMessage-ID: <c%s@x.test>\n\nbody %s\n' "$i" "$i" "$i" > "$dir/c$i.eml"
done
for i in $(seq 1 200); do
	deliver "$H" --sender "s$i@x.test" --recipient f@lists.test < "$dir/c$i.eml" &
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
check "200 concurrent deliveries: failures" "$bad" 0
check "200 concurrent deliveries: stored" "$(messages "$H")" $((before + 200))
check "store consistent after concurrency" "$("$LISTADM" --home "$H" check >/dev/null 2>&1; echo $?)" 0

# kill -9 at random moments, through a real Postfix that retries
cat > "$dir/killer" <<KILLER
#!/bin/bash
# becomes listd deliver; half the time a watcher kills it with SIGKILL at a
# random moment within its first 30 ms, so the MTA sees its pipe command die
# of a signal; a quarter of those kills come at once, so that some land
# however fast the machine delivers
me=\$\$
if [ \$((RANDOM % 2)) = 0 ]; then
	if [ \$((RANDOM % 4)) = 0 ]; then
		( kill -9 \$me ) >/dev/null 2>&1 </dev/null &
	else
		( sleep 0.0\$((RANDOM % 3))\$((RANDOM % 10)); kill -9 \$me ) >/dev/null 2>&1 </dev/null &
	fi
fi
exec "$LISTD" "\$@"
KILLER
chmod 755 "$dir/killer"
LISTD_BIN=$dir/killer MAXLIFE=120 pf start >/dev/null
eval "$(pf env)"
"$LISTADM" --home "$LISTD_HOME" --quiet list create k@"$LIST_DOMAIN"
bench_own "$LISTD_HOME"
n=60
for i in $(seq 1 "$n"); do
	printf 'From: p@members.test\nSubject: k%s\nMessage-ID: <k%s.unique@members.test>\n\nbody %s\n' "$i" "$i" "$i" |
		pf send p@members.test "k@$LIST_DOMAIN" >/dev/null
done
for _ in $(seq 1 20); do
	pf flush >/dev/null 2>&1 || true
	pf wait 10 >/dev/null 2>&1 && break
done
killed=$(grep -c 'relay=listd.*signal 9' "$dir/pf/maillog" || true)
stored=$(mdb_dump -p -s message_data "$LISTD_HOME/store" | grep -o 'k[0-9]*\.unique@members' | sort)
check "every message in the store" "$(echo "$stored" | sort -u | wc -l)" "$n"
check "no message stored twice" "$(echo "$stored" | wc -l)" "$n"
echo "deliveries deferred by a kill and retried by Postfix: $killed"
echo "retries of deliveries killed after their commit, recognised as stored: $(grep -c 'already stored' "$dir/pf/maillog" || true)"
[ "$killed" -gt 0 ] || { echo "FAIL: no delivery was killed; the test proved nothing"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo PASS || echo "$fails check(s) failed"
[ "$fails" = 0 ]
