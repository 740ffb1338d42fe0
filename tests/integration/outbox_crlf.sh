#!/bin/bash
# tests/integration/outbox_crlf.sh BUILD_DIR — review R7: mail listd writes
# (here the forward of a message to LIST-owner@ holding bare CRs, "\r.\r"
# included) reaches the relay without a bare CR: a space in the header (no
# "Bcc:" line appears), a line end in the body. rawsink.py keeps the DATA
# bytes as sent. Exit 0 pass, 1 fail, 77 skipped.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: outbox_crlf.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }
PY=$(command -v python3) || { echo "SKIP: python3 missing"; exit 77; }

dir=$(mktemp -d /tmp/listd-crlf.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

mkdir -p "$dir/sink"
$PY "$here/rawsink.py" "$dir/sink" > "$dir/sink/stderr" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$dir/sink/port" ] && break; sleep 0.05; done
H=$dir/home
mkdir -p "$H"
printf 'relay = 127.0.0.1:%s\nrelay_tls = none\n' "$(cat "$dir/sink/port")" > "$H/listd.conf"
[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}" >> "$H/listd.conf"
bench_own "$H"
"${BENCH_AS[@]}" "$LISTADM" --home "$H" --quiet list create dev@lists.test --owner owner@owner.test
printf 'From: a@b.test\nTo: dev-owner@lists.test\nSubject: x\rBcc: victim@evil.test\n\nline1\r.\rMAIL FROM:<a@b>\rline3\n' |
	"${BENCH_AS[@]}" "$LISTD" deliver --home "$H" --sender a@b.test --recipient dev-owner@lists.test
"${BENCH_AS[@]}" timeout 30 "$LISTD" run --home "$H" --exit-when-idle > "$dir/run.log" 2>&1 || true
m=$dir/sink/msg.1
check "the owner's copy reached the relay" "$([ -f "$m" ] && echo yes)" yes
check "bare CRs in what the relay received" "$($PY -c 'import re,sys; print(len(re.findall(rb"\r(?!\n)", open(sys.argv[1], "rb").read())))' "$m" 2>/dev/null)" 0
check "no Bcc: field appeared" "$(grep -a -c '^Bcc:' "$m" || true)" 0
check "the subject keeps its text on one line" "$(grep -a -c '^Subject: x Bcc: victim@evil.test' "$m" || true)" 1
check "the body's bare CRs became line ends" "$(tr -d '\r' < "$m" | sed -n '/^$/,$p' | sed 1d | paste -sd '|')" "line1|.|MAIL FROM:<a@b>|line3"
[ "$fails" = 0 ] && echo PASS || { echo "$fails check(s) failed"; tail -n 5 "$dir/run.log"; }
[ "$fails" = 0 ]
