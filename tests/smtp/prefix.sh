#!/bin/bash
# The per-transaction prefix (struct smtp_txn.prefix): each transaction's
# own header lines go out before the shared body, byte for byte, in the DATA
# form (not dot-stuffed, before the stuffed body) and in the BDAT form
# (counted into the chunk size), through a relay that records exactly what
# it receives.
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")

start_recorder() {   # start_recorder NAME PORT; sets REC_PID
	mkdir -p "$WORK/$1"
	python3 "$HERE/record_relay.py" "$2" "$WORK/$1" >"$WORK/$1.out" 2>&1 &
	REC_PID=$!
	PIDS+=("$REC_PID")
	wait_port "$2"
}

# check NAME KIND N: N files, each "X-Prefix: K\r\n" + the body; the
# prefix's K must be distinct, and the rest identical in every file and in
# the form KIND wants.
check() {
	python3 - "$WORK/$1" "$2" "$3" <<'PY' || fail "$1: recorded messages differ from the expected bytes"
import os, sys, re
d, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(f for f in os.listdir(d) if f.endswith("." + kind))
assert len(files) == n, "got %d files, want %d" % (len(files), n)
raw = (b"From: dev@lists.test\r\nTo: dev@lists.test\r\n"
       b"Subject: pool test\r\nMessage-ID: <pool@lists.test>\r\n\r\n"
       b".a line that starts with a dot\r\n")
line = b"The quick brown fox jumps over the lazy dog 0123456789.\r\n"
while len(raw) < 300:
    raw += line
body = raw
if kind == "data":
    body = b"".join((b"." + l if l.startswith(b".") else l)
                    for l in raw.splitlines(keepends=True)) + b".\r\n"
seen = set()
for f in files:
    b = open(os.path.join(d, f), "rb").read()
    m = re.match(rb"X-Prefix: (\d+)\r\n", b)
    assert m, "%s: no prefix first: %r" % (f, b[:40])
    seen.add(m.group(1))
    if b[m.end():] != body:
        print("%s: got %r, want %r" % (f, b[m.end():][:80], body[:80]))
        sys.exit(1)
assert len(seen) == n, "prefixes not distinct"
PY
}

port=$(free_port)
start_recorder data "$port"
run_driver "$WORK/a" --relay "127.0.0.1:$port" --txns 5 --conns 1 --body 300 --prefix
[ "$(field ok "$WORK/a")" = 5 ] || fail "DATA: not all accepted"
check data data 5
pass "DATA form: 5 transactions, each prefix before the stuffed body, byte-exact"
stop_pid "$REC_PID"

port=$(free_port)
start_recorder bdat "$port"
run_driver "$WORK/b" --relay "127.0.0.1:$port" --txns 5 --conns 1 --body 300 --prefix --bdat
[ "$(field ok "$WORK/b")" = 5 ] || fail "BDAT: not all accepted"
grep -q 'chunking=yes' "$WORK/b.log" || fail "the recorder offered no CHUNKING?"
check bdat bdat 5
pass "BDAT form: 5 transactions, prefix counted into the chunk, byte-exact"
stop_pid "$REC_PID"
