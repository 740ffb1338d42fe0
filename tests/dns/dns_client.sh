#!/bin/bash
# tests/dns/dns_client.sh DNS_DRIVER — the DMARC lookups' DNS client
# (listd/net/dns_client.h) against real servers on loopback:
#   live   Debian's unbound serving a test zone, answering at most 512
#          bytes over UDP (max-udp-size), so longer answers are truncated;
#   notcp  the same zone from an unbound that does not listen on TCP;
#   refuse an unbound that answers REFUSED for the zone;
#   hole   a UDP socket that reads every query and never answers;
#   closed a port where nothing listens (the kernel refuses at once).
# Checks: an answer from the first server; a dead first server (closed:
# at once; hole: after one try; refuse: at once) and the second answers; a DMARC record of
# 700 and of 1500 bytes (many rua= entries) comes whole over TCP after a
# truncated UDP answer, and cannot come from a server without TCP; all
# servers dead ends with -ETIMEDOUT after the per-try bound times the
# tries, or at the overall bound when that comes first. Exit 0 pass,
# 1 fail, 77 skip.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DRIVER=${1:?usage: dns_client.sh DNS_DRIVER}
command -v unbound >/dev/null || { echo "SKIP: unbound not installed"; exit 77; }

dir=$(mktemp -d /tmp/listd-dns.XXXXXX)
chmod 755 "$dir"
# start_unbound, track_pid, wait_until; free_port
. "$root/tests/harness/testlib.sh"
trap testlib_cleanup EXIT
trap 'exit 130' INT TERM
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
between() {     # between LABEL VALUE LO HI
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then echo "ok   $1 ($2 ms)"
	else echo "FAIL $1: $2 ms, want $3..$4"; fails=$((fails + 1)); fi
}

# a DMARC record of about N bytes: many rua= report addresses
record() {
	local n=$1 r="v=DMARC1; p=reject; rua=" i=1
	while [ ${#r} -lt "$n" ]; do
		r+="mailto:dmarc-reports-$i@aggregate-$i.reports.example.net,"
		i=$((i + 1))
	done
	printf '%s' "${r%,}"
}
# the same as unbound local-data: character-strings of at most 255 bytes
strings() {
	local s=$1 out=""
	while [ -n "$s" ]; do out+="\"${s:0:255}\" "; s=${s:255}; done
	printf '%s' "${out% }"
}
long=$(record 700)
huge=$(record 1500)

# unbound NAME PORT TCP(yes|no) ZONE(static|refuse)
unbound_start() {
	local name=$1 port=$2 tcp=$3 zone=$4 data=()
	if [ "$zone" = static ]; then    # (local data would be answered even so)
		data=('local-data: "test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 30"'
		      "local-data: '_dmarc.short.test. 300 IN TXT \"v=DMARC1; p=reject\"'"
		      "local-data: '_dmarc.long.test. 300 IN TXT $(strings "$long")'"
		      "local-data: '_dmarc.huge.test. 300 IN TXT $(strings "$huge")'")
	fi
	start_unbound "$dir/$name" "$port" "do-tcp: $tcp" 'max-udp-size: 512' "local-zone: \"test.\" $zone" \
		${data[@]+"${data[@]}"} || { echo "FAIL unbound $name did not start"; exit 1; }
}

live=$(free_port)
notcp=$(free_port)
hole=$(free_port)
hole2=$(free_port)
closed=$(free_port)
refuse=$(free_port)
unbound_start live "$live" yes static
unbound_start notcp "$notcp" no static
unbound_start refuse "$refuse" yes refuse
# a silent server counts the queries it swallows in $dir/hole.PORT
for p in "$hole" "$hole2"; do
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recvfrom(4096)
    with open(sys.argv[2], "a") as f:
        f.write("query\n")' "$p" "$dir/hole.$p" &
	track_pid $!
	wait_until 10 sh -c "ss -Hlnu 'sport = :$p' | grep -q ." || { echo "FAIL silent server on $p did not start"; exit 1; }
done
R=127.0.0.1:$refuse L=127.0.0.1:$live N=127.0.0.1:$notcp H=127.0.0.1:$hole H2=127.0.0.1:$hole2 C=127.0.0.1:$closed

ask() { "$DRIVER" "$@" > "$dir/out" || { echo "FAIL driver exit $? for $*"; cat "$dir/out"; fails=$((fails + 1)); }; }
val() { sed -n "1s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$dir/out"; }
txt() { sed -n 's/^txt=//p' "$dir/out"; }

echo "--- one server that answers"
ask "$L" 2000 10000 2 _dmarc.short.test
check "answer from the first server" "$(val status) $(val server)" "0 $L"
check "the record" "$(txt)" "v=DMARC1; p=reject"
ask "$L" 2000 10000 2 _dmarc.nothing.test
check "NXDOMAIN is an answer" "$(val status) $(val rcode)" "0 3"

echo "--- the first server dead, the second answers"
ask "$C, $L" 2000 10000 2 _dmarc.short.test
cat "$dir/out" | sed 's/^/     /'
check "closed port first: the second answers" "$(val status) $(val server)" "0 $L"
between "closed port first: refused at once, no try timeout" "$(val ms)" 0 1500
ask "$H, $L" 800 10000 2 _dmarc.short.test
cat "$dir/out" | sed 's/^/     /'
check "silent server first: the second answers" "$(val status) $(val server)" "0 $L"
between "silent server first: after one try of 800 ms" "$(val ms)" 750 2500
check "the silent server was asked once" "$(cat "$dir/hole.$hole")" query
ask "$R, $L" 2000 10000 2 _dmarc.short.test
cat "$dir/out" | sed 's/^/     /'
check "REFUSED first: the second answers" "$(val status) $(val server)" "0 $L"
between "REFUSED first: at once" "$(val ms)" 0 1500
ask "$R" 2000 10000 2 _dmarc.short.test
check "REFUSED only: fails (-EIO), naming the rcode" "$(val status) $(grep -c 'rcode 5' "$dir/out")" "-5 1"

echo "--- records longer than a UDP answer: TCP"
ask "$L" 2000 10000 2 _dmarc.long.test
sed 's/^\(.\{150\}\).*/\1.../' "$dir/out" | sed 's/^/     /'
check "${#long}-byte record: over TCP" "$(val status) $(sed -n '1s/.*server=\(.*\) ms=.*/\1/p' "$dir/out")" "0 $L over TCP"
check "${#long}-byte record: whole" "$(txt)" "$long"
ask "$L" 2000 10000 2 _dmarc.huge.test
check "${#huge}-byte record: over TCP, whole" \
	"$(val status) $(sed -n '1s/.*server=\(.*\) ms=.*/\1/p' "$dir/out") $([ "$(txt)" = "$huge" ] && echo same)" \
	"0 $L over TCP same"
ask "$N" 2000 10000 1 _dmarc.short.test
check "server without TCP: a short record over UDP" "$(val status) $(val server)" "0 $N"
ask "$N" 2000 10000 1 _dmarc.long.test
cat "$dir/out" | sed 's/^/     /'
check "server without TCP: the long record cannot come (the truncated answer is not used)" \
	"$(val status)" "-111"
ask "$N, $L" 2000 10000 1 _dmarc.long.test
check "server without TCP first: the next one gives it over TCP" \
	"$(val status) $(sed -n '1s/.*server=\(.*\) ms=.*/\1/p' "$dir/out") $([ "$(txt)" = "$long" ] && echo same)" \
	"0 $L over TCP same"

echo "--- every server dead"
rm -f "$dir/hole.$hole" "$dir/hole.$hole2"
ask "$H, $H2" 400 10000 2 _dmarc.short.test
cat "$dir/out" | sed 's/^/     /'
check "two silent servers: timed out" "$(val status)" "-110"
check "two silent servers: each asked twice, in turn" \
	"$(grep -o '127.0.0.1:[0-9]*: timed out' "$dir/out" | cut -d: -f2 | tr '\n' ' ')" \
	"$hole $hole2 $hole $hole2 "
check "two silent servers: the queries they swallowed" \
	"$(cat "$dir/hole.$hole" "$dir/hole.$hole2" | wc -l)" 4
between "two silent servers: 4 tries of 400 ms" "$(val ms)" 1550 3000
ask "$H, $H2" 1000 1500 2 _dmarc.short.test
cat "$dir/out" | sed 's/^/     /'
check "overall bound: timed out" "$(val status)" "-110"
check "overall bound: said so" "$(grep -c 'no answer within 1500 ms in all' "$dir/out")" 1
between "overall bound: ends at 1500 ms" "$(val ms)" 1450 2300
ask "$C" 1000 5000 2 _dmarc.short.test
check "a closed port only: refused, at once" "$(val status)" "-111"
between "a closed port only: no waiting" "$(val ms)" 0 800

[ "$fails" = 0 ] && echo PASS || echo "$fails check(s) failed"
[ "$fails" = 0 ]
