#!/bin/bash
# STARTTLS against a private Postfix smtpd (own config and queue under a
# temporary folder, 127.0.0.1 only, a discard transport) with a test CA and
# certificate made here by certtool:
#  - required TLS, right CA: verified, delivered (DATA and BDAT);
#  - required TLS, wrong CA or wrong name: the handshake fails with GnuTLS's
#    reason logged, every transaction fails temporarily, nothing is sent;
#  - opportunistic TLS, wrong CA: delivered, the failed check logged;
#  - AUTH PLAIN (a scripted relay, bad_relay.py auth): sent under verified
#    TLS only; refused credentials fail temporarily; never sent in clear.
. "$(dirname "$0")/lib.sh"
command -v postfix >/dev/null && command -v certtool >/dev/null ||
	{ echo "1..0 # SKIP postfix or certtool missing"; exit 77; }

pki=$WORK/pki
mkdir -p "$pki"
cat > "$pki/ca.tmpl" <<T
cn = "listd test CA"
ca
cert_signing_key
expiration_days = 2
T
cat > "$pki/srv.tmpl" <<T
cn = "relay.listd.test"
dns_name = "relay.listd.test"
ip_address = "127.0.0.1"
tls_www_server
encryption_key
signing_key
expiration_days = 2
T
q() { "$@" >/dev/null 2>&1; }
q certtool --generate-privkey --key-type=ecdsa --outfile "$pki/ca.key"
q certtool --generate-self-signed --load-privkey "$pki/ca.key" --template "$pki/ca.tmpl" --outfile "$pki/ca.pem"
q certtool --generate-privkey --key-type=ecdsa --outfile "$pki/other-ca.key"
q certtool --generate-self-signed --load-privkey "$pki/other-ca.key" --template "$pki/ca.tmpl" --outfile "$pki/other-ca.pem"
q certtool --generate-privkey --key-type=ecdsa --outfile "$pki/srv.key"
q certtool --generate-certificate --load-privkey "$pki/srv.key" --load-ca-certificate "$pki/ca.pem" \
	--load-ca-privkey "$pki/ca.key" --template "$pki/srv.tmpl" --outfile "$pki/srv.pem"
[ -s "$pki/srv.pem" ] || fail "certtool made no certificate"
chmod 644 "$pki"/*.pem; chmod 600 "$pki"/*.key

# the private Postfix
pf=$WORK/postfix
port=$(free_port)
mkdir -p "$pf/etc" "$pf/queue" "$pf/data"
chmod 755 "$pf" "$pf/etc" "$pf/queue"
chown postfix "$pf/data"
: > "$pf/maillog"; chown postfix "$pf/maillog"
cat > "$pf/etc/main.cf" <<C
compatibility_level = 3.7
queue_directory = $pf/queue
data_directory = $pf/data
maillog_file = $pf/maillog
maillog_file_prefixes = $pf
myhostname = relay.listd.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = sink.test
relay_recipient_maps =
default_transport = discard:listd test
relay_transport = discard:listd test
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_authorized_verp_clients = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
disable_dns_lookups = yes
smtp_dns_support_level = disabled
notify_classes =
biff = no
smtpd_tls_security_level = may
smtpd_tls_chain_files = $pki/srv.key, $pki/srv.pem
smtpd_tls_loglevel = 1
C
cat > "$pf/etc/master.cf" <<C
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
tlsmgr    unix  - - n 1000? 1 tlsmgr
postlog   unix-dgram n - n - 1 postlogd
C
chmod 644 "$pf/etc/main.cf" "$pf/etc/master.cf"
CLEANUPS+=("postfix -c '$pf/etc' stop; sleep 0.5; [ -s '$pf/queue/pid/master.pid' ] && kill -9 \$(tr -d ' ' < '$pf/queue/pid/master.pid')")
postfix -c "$pf/etc" check >/dev/null 2>&1 || true
postfix -c "$pf/etc" start >"$WORK/pfstart" 2>&1 || fail "postfix did not start: $(tail -5 "$WORK/pfstart")"
wait_port "$port"

sent() { grep -c 'status=sent' "$pf/maillog" || true; }
wait_sent() {   # wait_sent N: Postfix reports N deliveries (bounded)
	local i
	for i in $(seq 150); do [ "$(sent)" -ge "$1" ] && return 0; sleep 0.1; done
	fail "postfix delivered $(sent), want $1"
}

run_driver "$WORK/ok" --relay "127.0.0.1:$port" --tls required --ca "$pki/ca.pem" \
	--txns 100 --conns 2 --no-chunking
[ "$(field ok "$WORK/ok")" = 100 ] || fail "required TLS, right CA: not all delivered"
grep -q 'state=ready tls=yes' "$WORK/ok.log" || fail "the session was not under TLS"
grep -q 'state=tls-handshake established (TLS1' "$WORK/ok.log" || fail "handshake not logged"
wait_sent 100
grep -q 'TLS connection established from' "$pf/maillog" || fail "postfix saw no TLS"
pass "required TLS, verified certificate: 100 delivered (DATA)"

run_driver "$WORK/bdat" --relay "127.0.0.1:$port" --tls required --ca "$pki/ca.pem" \
	--txns 100 --rcpts 2 --conns 2 --bdat
[ "$(field ok "$WORK/bdat")" = 200 ] || fail "BDAT over TLS: not all delivered"
grep -q 'chunking=yes' "$WORK/bdat.log" || fail "postfix offered no CHUNKING?"
wait_sent 300
pass "required TLS, BDAT: 100 transactions of 2 recipients delivered"

before=$(sent)
run_driver "$WORK/wrongca" --relay "127.0.0.1:$port" --tls required --ca "$pki/other-ca.pem" \
	--txns 50 --conns 2
[ "$(field temp "$WORK/wrongca")" = 50 ] || fail "wrong CA: want 50 temporary failures"
[ "$(field ok "$WORK/wrongca")" = 0 ] || fail "wrong CA: something was sent"
grep -q 'status -1 (Operation not permitted): 50' "$WORK/wrongca" || fail "wrong CA: want status -EPERM"
grep -q 'certificate verification failed for 127.0.0.1: The certificate is NOT trusted. The certificate issuer is unknown' \
	"$WORK/wrongca.log" || fail "wrong CA: no clear verification error: $(grep tls "$WORK/wrongca.log" | head -2)"
sleep 0.5; [ "$(sent)" -eq "$before" ] || fail "wrong CA: postfix received mail"
pass "required TLS, wrong CA: verification error logged, 50 temporary failures, nothing sent"

run_driver "$WORK/wrongname" --relay "127.0.0.1:$port" --tls required --ca "$pki/ca.pem" \
	--tls-name mx.example.org --txns 10 --conns 1
[ "$(field temp "$WORK/wrongname")" = 10 ] || fail "wrong name: want 10 temporary failures"
grep -q 'certificate verification failed for mx.example.org: The certificate is NOT trusted. The name in the certificate does not match the expected' \
	"$WORK/wrongname.log" || fail "wrong name: no clear verification error"
pass "required TLS, wrong host name: verification error logged, 10 temporary failures"

run_driver "$WORK/opp" --relay "127.0.0.1:$port" --tls opportunistic --ca "$pki/other-ca.pem" \
	--txns 20 --conns 1
[ "$(field ok "$WORK/opp")" = 20 ] || fail "opportunistic TLS: not all delivered"
grep -q 'opportunistic TLS, unverified: certificate verification failed' "$WORK/opp.log" ||
	fail "opportunistic TLS: the failed check was not logged"
wait_sent $((before + 20))
pass "opportunistic TLS, unverifiable certificate: 20 delivered, check logged"

# AUTH PLAIN, against a scripted relay (Postfix here has no SASL backend)
auth=$(free_port)
/usr/bin/python3 "$(dirname "$0")/bad_relay.py" auth "$auth" "$pki/srv.pem" "$pki/srv.key" \
	"$WORK/auth-count" 2>"$WORK/auth-relay.err" & PIDS+=("$!")
wait_port "$auth"
run_driver "$WORK/auth" --relay "127.0.0.1:$auth" --tls required --ca "$pki/ca.pem" \
	--auth-user listd --auth-pass s3cret --txns 30 --conns 2
[ "$(field ok "$WORK/auth")" = 30 ] || fail "AUTH PLAIN: not all delivered"
grep -q 'state=auth authenticated' "$WORK/auth.log" || fail "AUTH PLAIN: not logged"
[ "$(wc -l < "$WORK/auth-count")" -eq 30 ] || fail "AUTH PLAIN: the relay counted $(wc -l < "$WORK/auth-count")"
pass "AUTH PLAIN over verified TLS: 30 delivered"

run_driver "$WORK/authbad" --relay "127.0.0.1:$auth" --tls required --ca "$pki/ca.pem" \
	--auth-user listd --auth-pass wrong --txns 10 --conns 1
[ "$(field temp "$WORK/authbad")" = 10 ] || fail "refused AUTH: want 10 temporary failures"
grep -q 'state=auth failed: auth: 535 5.7.8 bad credentials' "$WORK/authbad.log" ||
	fail "refused AUTH: not logged"
pass "refused credentials: 10 temporary failures, reply logged"

# credentials and a relay without STARTTLS: never sent in clear
sinkport=$(free_port)
start_sink noauth "$sinkport"
run_driver "$WORK/clear" --relay "127.0.0.1:$sinkport" --tls opportunistic \
	--auth-user listd --auth-pass s3cret --txns 5 --conns 1
[ "$(field temp "$WORK/clear")" = 5 ] || fail "AUTH without TLS: want 5 temporary failures"
grep -q 'credentials are sent over TLS only' "$WORK/clear.log" || fail "AUTH without TLS: not logged"
pass "credentials with a relay without STARTTLS: not sent, 5 temporary failures"
