#!/bin/bash
# tests/integration/dmarc.sh BUILD_DIR — DMARC-safe distribution with real
# components on loopback:
#   - a DNS server (Debian's unbound) started here, serving a test zone:
#       _dmarc.reject.test      p=reject
#       _dmarc.quarantine.test  p=quarantine
#       _dmarc.none.test        p=none
#       nodmarc.test            no record (NXDOMAIN)
#       _dmarc.orgstrict.test   p=none; sp=reject (authors at mail.orgstrict.test)
#       _dmarc.ttl.test         p=reject with a TTL of 3 s
#       _dmarc.example.co.uk    p=none; sp=reject (authors at mail.example.co.uk:
#                               the organizational domain from the Public
#                               Suffix List, not the last two labels)
#       _dmarc.failover.test    p=reject (asked after a dead first server)
#       _dmarc.longrua.test     p=reject with 40 rua= addresses, ~2000 bytes:
#                               longer than a UDP answer, so it comes over TCP
#     and the DKIM public key sel._domainkey.D for every D above;
#   - real DKIM signatures: posts are signed with python3-dkim (key made by
#     opendkim-genkey) and the distributed copies verified with python3-dkim
#     against the same DNS server (dkim_tool.py);
#   - the real daemon, relaying to rawsink.py (keeps messages byte for byte).
# It prints, for every distributed copy, its From:, Reply-To: and DKIM result,
# and checks: off leaves posts alone; auto munges p=reject, p=quarantine and
# an organizational sp=reject, and leaves p=none and no-record authors
# untouched (their signature still verifies); wrap keeps the author's
# signature valid inside the attachment; always munges everyone; the cache
# honours the TTL (counted in the DNS server's query log); the
# organizational domain of mail.example.co.uk is example.co.uk; with a dead
# first server the second answers; a record longer than a UDP answer is
# read over TCP; a dead resolver delays a post by the bounded timeout only. Exit 0 pass, 1 fail, 77 skip.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:?usage: dmarc.sh BUILD_DIR}" && pwd)
. "$root/tests/harness/benchlib.sh"
PY=/usr/bin/python3
command -v unbound >/dev/null || { echo "SKIP: unbound not installed"; exit 77; }
command -v opendkim-genkey >/dev/null || { echo "SKIP: opendkim-tools not installed"; exit 77; }
$PY -c 'import dkim, dns.resolver' 2>/dev/null || { echo "SKIP: python3-dkim/dnspython missing"; exit 77; }
bench_find_listd "$root" || { echo "SKIP: $BENCH_SKIP"; exit 77; }

dir=$(mktemp -d /tmp/listd-dmarc.XXXXXX)
chmod 755 "$dir"
# start_unbound, start_daemon, track_pid, wait_until; free_port
. "$root/tests/harness/testlib.sh"
cleanup() {
	local rc=$?
	stop_daemon || true
	if [ "$rc" != 0 ] && [ -f "$dir/run.log" ]; then
		echo "--- listd log (last 30 lines)"; tail -n 30 "$dir/run.log"
	fi
	testlib_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
as() { "${BENCH_AS[@]}" "$@"; }

# ---- DKIM key and DNS zone ---------------------------------------------------
mkdir -p "$dir/dns"
opendkim-genkey -b 1024 -d test -s sel -D "$dir/dns"
pub=$(tr -d '\n\t' < "$dir/dns/sel.txt" | sed 's/.*"p=\([^"]*\)".*/\1/')
[ -n "$pub" ] || { echo "FAIL no public key from opendkim-genkey"; exit 1; }
dnsport=$(free_port)
zone=('do-tcp: yes'
      'local-zone: "test." static'
      'local-data: "test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 30"'
      "local-data: '_dmarc.reject.test. 300 IN TXT \"v=DMARC1; p=reject\"'"
      "local-data: '_dmarc.quarantine.test. 300 IN TXT \"v=DMARC1; p=quarantine\"'"
      "local-data: '_dmarc.none.test. 300 IN TXT \"v=DMARC1; p=none\"'"
      "local-data: '_dmarc.orgstrict.test. 300 IN TXT \"v=DMARC1; p=none; sp=reject\"'"
      "local-data: '_dmarc.ttl.test. 3 IN TXT \"v=DMARC1; p=reject\"'"
      "local-data: '_dmarc.failover.test. 300 IN TXT \"v=DMARC1; p=reject\"'")
rua="v=DMARC1; p=reject; rua="
for i in $(seq 1 40); do rua+="mailto:dmarc-$i@aggregate-reports-$i.example.net,"; done
rua=${rua%,}
strs=""
while [ -n "$rua" ]; do strs+="\"${rua:0:255}\" "; rua=${rua:255}; done
zone+=("local-data: '_dmarc.longrua.test. 300 IN TXT $strs'"
       'local-zone: "example.co.uk." static'
       'local-data: "example.co.uk. 3600 IN SOA ns.example.co.uk. hostmaster.example.co.uk. 1 3600 600 86400 30"'
       "local-data: '_dmarc.example.co.uk. 300 IN TXT \"v=DMARC1; p=none; sp=reject\"'"
       "local-data: 'sel._domainkey.mail.example.co.uk. 300 IN TXT \"v=DKIM1; k=rsa; \" \"p=$pub\"'")
for d in reject quarantine none nodmarc mail.orgstrict ttl fresh failover longrua; do
	# the key split in two character-strings, as large keys are published
	zone+=("local-data: 'sel._domainkey.$d.test. 300 IN TXT \"v=DKIM1; k=rsa; \" \"p=$pub\"'")
done
start_unbound "$dir/dns" "$dnsport" "${zone[@]}" || { echo "FAIL the DNS server did not start"; exit 1; }
dig_txt() { $PY -c "
import dns.resolver,sys
r=dns.resolver.Resolver(configure=False); r.nameservers=['127.0.0.1']; r.port=$dnsport
try:
    print(b''.join(r.resolve(sys.argv[1],'TXT')[0].strings).decode())
except dns.resolver.NXDOMAIN: print('NXDOMAIN')" "$1"; }
check "DNS server answers _dmarc.reject.test" "$(dig_txt _dmarc.reject.test)" "v=DMARC1; p=reject"
check "DNS server: no record for nodmarc.test" "$(dig_txt _dmarc.nodmarc.test)" "NXDOMAIN"

# ---- receiver, list and daemon ---------------------------------------------------
mkdir -p "$dir/sink"
chmod 777 "$dir/sink"
$PY "$here/rawsink.py" "$dir/sink" > "$dir/sink/stderr" 2>&1 &
track_pid $!
wait_until 10 test -s "$dir/sink/port" || { echo "FAIL rawsink.py did not start"; exit 1; }
sinkport=$(cat "$dir/sink/port")
H=$dir/home
L=dev@lists.test
mkdir -p "$H"
conf() {
	{
		printf 'relay = 127.0.0.1:%s\nrelay_tls = none\n' "$sinkport"
		[ "$(id -u)" = 0 ] && echo "user = ${BENCH_USER:-nobody}"
		printf '%s\n' "$@"
	} > "$H/listd.conf.new"
	chmod 644 "$H/listd.conf.new"
	mv "$H/listd.conf.new" "$H/listd.conf"
}
conf "dns_resolver = 127.0.0.1:$dnsport"
bench_own "$H"
adm() { as "$LISTADM" --home "$H" "$@"; }
adm --quiet list create "$L" --owner owner@lists.test
adm --quiet member add "$L" member@sink.test
adm --quiet list set "$L" nonmember_action=accept
start_daemon -- --foreground || exit 1

sent=0
# post NAME ADDR: a DKIM-signed post by "NAME <ADDR>" (d= the address's
# domain), distributed; sets $got to the copy the member received.
post() {
	local name=$1 addr=$2 f=$dir/post.$((sent + 1))
	printf 'From: %s <%s>\r\nTo: %s\r\nSubject: post %s\r\nDate: %s\r\nMessage-ID: <%s.%s@%s>\r\n\r\nHello list.\r\n' \
		"$name" "$addr" "$L" "$((sent + 1))" "$(date -R)" "$RANDOM" "$$" "${addr#*@}" |
		$PY "$here/dkim_tool.py" sign "$dir/dns/sel.private" "${addr#*@}" sel > "$f"
	chmod 644 "$f"
	as "$LISTD" deliver --home "$H" --sender "$addr" --recipient "$L" < "$f"
	sent=$((sent + 1))
	for _ in $(seq 1 300); do
		[ "$(cat "$dir/sink/count" 2>/dev/null || echo 0)" -ge "$sent" ] && break
		sleep 0.1
	done
	got=$dir/sink/msg.$sent
	[ -f "$got" ] || { echo "FAIL post $sent by $addr was not distributed"; exit 1; }
}
field() { tr -d '\r' < "$got" | sed -n "/^\$/q; s/^$1: //Ip" | head -n 1; }
dkim_of() { $PY "$here/dkim_tool.py" verify "$dnsport" < "$got"; }
show() {
	echo "     [$1] From: $(field From)"
	echo "     [$1] Reply-To: $(field Reply-To)"
	echo "     [$1] DKIM of the distributed copy: $(dkim_of)"
}

# the signatures verify before distribution
check "the signed post by alice@reject.test verifies as sent" \
	"$(printf 'From: A <alice@reject.test>\r\nSubject: x\r\n\r\nx\r\n' |
	   $PY "$here/dkim_tool.py" sign "$dir/dns/sel.private" reject.test sel |
	   $PY "$here/dkim_tool.py" verify "$dnsport")" "pass d=reject.test"

# ---- off (the default) ----------------------------------------------------------
post "Alice" alice@reject.test
show "off, p=reject author"
check "off: From is the author's" "$(field From)" "Alice <alice@reject.test>"
check "off: the author's signature still verifies" "$(dkim_of)" "pass d=reject.test"

# ---- auto, munge ------------------------------------------------------------------
adm --quiet list set "$L" dmarc_mitigation=auto dmarc_action=munge
post "Alice" alice@reject.test
show "auto/munge, p=reject author"
check "auto: p=reject From is the list" "$(field From)" '"Alice via dev" <dev@lists.test>'
check "auto: p=reject Reply-To is the author" "$(field Reply-To)" "Alice <alice@reject.test>"
check "auto: p=reject X-Original-From" "$(field X-Original-From)" "Alice <alice@reject.test>"
check "auto: p=reject no subject tag" "$(field Subject)" "post $sent"
check "auto: the munged copy no longer carries a valid author signature" \
	"$(dkim_of | cut -d' ' -f1)" "fail"

post "Quinn" quinn@quarantine.test
show "auto/munge, p=quarantine author"
check "auto: p=quarantine From is the list" "$(field From)" '"Quinn via dev" <dev@lists.test>'

post "Olga" olga@mail.orgstrict.test
show "auto/munge, organizational sp=reject"
check "auto: org domain sp=reject From is the list" "$(field From)" '"Olga via dev" <dev@lists.test>'

post "Bob" bob@none.test
show "auto/munge, p=none author"
check "auto: p=none From untouched" "$(field From)" "Bob <bob@none.test>"
check "auto: p=none no Reply-To added" "$(field Reply-To)" ""
check "auto: p=none signature still verifies" "$(dkim_of)" "pass d=none.test"
check "auto: p=none List-Id added" "$(field List-Id)" "<dev.lists.test>"

post "Nora" nora@nodmarc.test
show "auto/munge, no DMARC record"
check "auto: no record From untouched" "$(field From)" "Nora <nora@nodmarc.test>"
check "auto: no record signature still verifies" "$(dkim_of)" "pass d=nodmarc.test"

# ---- auto, wrap -----------------------------------------------------------------------
adm --quiet list set "$L" dmarc_action=wrap
post "Alice" alice@reject.test
show "auto/wrap, p=reject author"
check "wrap: From is the list" "$(field From)" '"Alice via dev" <dev@lists.test>'
check "wrap: multipart/mixed" "$(field Content-Type | cut -d';' -f1)" "multipart/mixed"
inner=$($PY "$here/dkim_tool.py" attached "$dnsport" < "$got")
echo "     [auto/wrap, p=reject author] DKIM of the attached post: $inner"
check "wrap: the attached post still verifies" "$inner" "pass d=reject.test"
check "wrap: the outer message has no author signature" "$(dkim_of)" "none"

# ---- always -----------------------------------------------------------------------------
adm --quiet list set "$L" dmarc_mitigation=always dmarc_action=munge
post "Bob" bob@none.test
show "always/munge, p=none author"
check "always: p=none From is the list" "$(field From)" '"Bob via dev" <dev@lists.test>'

# ---- TTL of the cache ---------------------------------------------------------------------
adm --quiet list set "$L" dmarc_mitigation=auto
q() { grep -c '_dmarc\.ttl\.test\. TXT IN' "$dir/dns/unbound.log" || true; }
post "Tim" tim@ttl.test
check "ttl: first post asks the DNS server" "$(q)" 1
post "Tim" tim@ttl.test
check "ttl: second post within 3 s answered from the cache" "$(q)" 1
check "ttl: cached answer still munges" "$(field From)" '"Tim via dev" <dev@lists.test>'
sleep 4
post "Tim" tim@ttl.test
check "ttl: after the TTL the DNS server is asked again" "$(q)" 2
check "listd asked for _dmarc.reject.test (TTL 300) once for its two auto posts" \
	"$(grep -c 'dmarc: _dmarc.reject.test: p=reject' "$dir/run.log")" 1

# ---- the organizational domain from the Public Suffix List ------------------------
post "Uma" uma@mail.example.co.uk
show "auto/munge, mail.example.co.uk, sp=reject at example.co.uk"
check "PSL: example.co.uk's sp=reject applies to mail.example.co.uk" \
	"$(field From)" '"Uma via dev" <dev@lists.test>'
check "PSL: listd asked example.co.uk, not co.uk" \
	"$(grep -c 'dmarc: _dmarc.example.co.uk: p=none sp=reject' "$dir/run.log") $(grep -c '_dmarc\.co\.uk\. TXT' "$dir/dns/unbound.log" || true)" "1 0"

# ---- a dead first server, and a record that needs TCP -------------------------------
dead=$(free_port)
conf "dns_resolver = 127.0.0.1:$dead, 127.0.0.1:$dnsport"
kill -HUP "$DAEMON_PID"
sleep 0.5
post "Flo" flo@failover.test
show "auto/munge, first DNS server dead"
check "failover: the second server's p=reject applies" "$(field From)" '"Flo via dev" <dev@lists.test>'
check "failover: the answer came from the second server" \
	"$(grep -c "dmarc: _dmarc.failover.test: p=reject sp=reject (ttl 300, from 127.0.0.1:$dnsport)" "$dir/run.log")" 1
post "Lou" lou@longrua.test
show "auto/munge, a 2000-byte DMARC record"
check "TCP: the long record's p=reject applies" "$(field From)" '"Lou via dev" <dev@lists.test>'
check "TCP: it came over TCP" \
	"$(grep -c "dmarc: _dmarc.longrua.test: p=reject sp=reject (ttl 300, from 127.0.0.1:$dnsport over TCP)" "$dir/run.log")" 1

# ---- a dead resolver ---------------------------------------------------------------------------
conf "dns_resolver = 127.0.0.1:$dead" "dns_timeout_seconds = 1"
kill -HUP "$DAEMON_PID"
sleep 0.5
t0=$(date +%s%N)
post "Fay" fay@fresh.test
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "     [dead resolver] post distributed after $ms ms (two tries, refused at once)"
check "dead resolver: distributed within 6 s" "$([ "$ms" -lt 6000 ] && echo yes || echo "no ($ms ms)")" yes
check "dead resolver: no policy assumed, From untouched" "$(field From)" "Fay <fay@fresh.test>"
check "dead resolver: the failure is logged" \
	"$(grep -c "dmarc: _dmarc.fresh.test: lookup failed (127.0.0.1:$dead: connection refused; 127.0.0.1:$dead: connection refused); no policy assumed" "$dir/run.log")" 1

echo "--- listd's DMARC log lines"
grep -E 'dmarc|DMARC' "$dir/run.log" | sed 's/^/     /'
[ "$fails" = 0 ] && echo PASS || echo "$fails check(s) failed"
[ "$fails" = 0 ]
