#!/bin/bash
# tests/cli/test_home_perms.sh — a home any account may change is refused,
# and listadm keeps the store with the account that owns the home (R10 of
# the 2026-12 reliability review, its r10_home_perms.sh turned into checks).
#  (a) a world-writable home, a world-writable listd.conf, a listd.conf of a
#      foreign account: `listd run` exits 78, `listd deliver` 75 (the MTA
#      keeps the message), listadm 78, each naming the fix;
#  (b) listadm run as root on a home owned by nobody acts as nobody, so a
#      later `listd deliver` as nobody stores the message; as root on a
#      home of root's while listd.conf says user = nobody it refuses with
#      the chown command; as another account it refuses (77).
# Usage: test_home_perms.sh LISTADM LISTD   (TAP; needs root, else skipped)
. "$(dirname "$0")/lib.sh" "$1"
LISTD=${2:?usage: $0 LISTADM LISTD}
case $LISTD in /*) ;; *) LISTD=$PWD/$LISTD ;; esac
unset LISTD_HOME LISTD_CONFIG
ERR=
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (runs listd as nobody)"
	exit 0
fi
chmod 755 "$TMP"
U() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
H=$TMP/home
mkdir -p "$H"; chown nobody:nogroup "$H"
"$LISTADM" --home "$H" -q list create dev@lists.test
"$LISTADM" --home "$H" -q member add dev@lists.test a@b.test
printf 'relay = 127.0.0.1:9\nrelay_tls = none\nuser = nobody\n' > "$H/listd.conf"
msg() { printf 'From: a@b.test\nTo: dev@lists.test\nSubject: x\n\nx\n'; }

# (b) first: root acted as the home's owner
check "listadm as root made a store owned by nobody" \
	"[ \"\$(stat -c %U '$H/store' '$H/store/data.mdb' | sort -u)\" = nobody ]"
E=$(msg | U "$LISTD" deliver --home "$H" --sender a@b.test --recipient dev@lists.test 2>&1); RC=$?
check "deliver as nobody then stores the message (exit 0)" "[ $RC = 0 ]"

# (a) unsafe homes
try_all() {   # LABEL FIX: run, deliver, listadm all refuse and name FIX
	local label=$1 fix=$2 out rc
	out=$(timeout 20 "$LISTD" run --home "$H" --exit-when-idle 2>&1); rc=$?
	check "$label: listd run exits 78" "[ $rc = 78 ]"
	check "$label: listd run names the fix" "printf '%s' \"\$out\" | grep -qF -- '$fix'"
	out=$(msg | U "$LISTD" deliver --home "$H" --sender a@b.test --recipient dev@lists.test 2>&1); rc=$?
	check "$label: deliver exits 75" "[ $rc = 75 ] && printf '%s' \"\$out\" | grep -qF -- '$fix'"
	run --home "$H" list ls
	check "$label: listadm exits 78 and names the fix" "[ $RC = 78 ] && printf '%s' \"\$ERR\" | grep -qF -- '$fix'"
	out=$("$LISTD" check --home "$H" 2>&1); rc=$?
	check "$label: listd check names it" "[ $rc = 78 ] && printf '%s' \"\$out\" | grep -qF -- '$fix'"
}
chmod 777 "$H"
try_all "home 0777" "(fix: chmod o-w $H)"
chmod 750 "$H"
chmod 666 "$H/listd.conf"
try_all "listd.conf 0666" "(fix: chmod o-w $H/listd.conf)"
chmod 644 "$H/listd.conf"; chown daemon "$H/listd.conf"
try_all "listd.conf of another account" "(fix: chown root $H/listd.conf)"
chown root "$H/listd.conf"

# (b) root on a home of root's while the daemon runs as nobody
H2=$TMP/home2; mkdir -p "$H2"
printf 'relay = 127.0.0.1:9\nuser = nobody\n' > "$H2/listd.conf"
run --home "$H2" list create dev@lists.test
check "root on root's home for user nobody: refused with the chown" \
	"[ $RC = 78 ] && printf '%s' \"\$ERR\" | grep -qF '(fix: chown -R nobody: $H2)' && [ ! -e '$H2/store' ]"
# another account on nobody's home
E=$(setpriv --reuid=daemon --regid=daemon --clear-groups "$LISTADM" --home "$H" list ls 2>&1); RC=$?
check "another account on nobody's home: exit 77, says whom to run as" \
	"[ $RC = 77 ] && printf '%s' \"\$E\" | grep -q 'belongs to nobody: run listadm as nobody'"
check "listadm errors read 'listadm: error:'" "printf '%s' \"\$E\" | grep -q '^listadm: error: '"
done_testing
