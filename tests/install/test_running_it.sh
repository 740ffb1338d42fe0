#!/bin/bash
# tests/install/test_running_it.sh — README.md's "Running it", run as written.
#
# Convention: every fenced block of README.md whose info string is exactly
# "sh running-it" (indentation allowed) is a step; the steps run in their
# order, each with bash -e, unchanged. What the test does around them, and
# only that:
#  - it installs this build (meson install --destdir) where the README's
#    "meson install" with --prefix=/usr would put it: the build's PREFIX
#    tree is copied over /usr (and its libexec also stays at PREFIX, where
#    the programs look for the daemon program);
#  - everything runs in a private mount namespace (unshare -m) whose /usr,
#    /etc and /var are overlays on scratch directories: the account that
#    systemd-sysusers adds, /etc/listd, /etc/postfix/listd_transport,
#    /var/lib/listd and the installed files vanish with the test, and the
#    machine is untouched;
#  - Postfix is a private instance on loopback (tests/harness/postfix.sh,
#    EXTRA_DOMAINS=example.org saves the members' copies) whose
#    configuration directory is bind-mounted on /etc/postfix, so postconf,
#    postmap, postfix, sendmail and listd-postconf (postconf -c /etc/postfix)
#    all find it at the default place, as on a real host; the harness's own
#    "listd" pipe service and transport entry are taken out first, so
#    listd-postconf merges into a Postfix that has never seen listd;
#  - before the last step (the first post) it starts the daemon as the
#    installed unit does (ExecStart, as User=listd), since there is no
#    systemd to run "systemctl enable --now listd".
# It then waits (at most 60 s) until both members hold the post with the
# "[dev]" tag, and checks that the policy service is live: RCPT TO an
# unknown address of the list domain is refused (550, "no such list
# address") in the SMTP dialogue. Needs root, Postfix, unshare and
# overlayfs, and ports 10026 and 10040 free (the README's loopback listener
# and policy service): otherwise it skips (77).
# Usage: test_running_it.sh BUILD SOURCE_ROOT PREFIX LIBEXECDIR
set -u
BUILD=$1 SRC=$2 PREFIX=$3 LIBEXECDIR=$4
case $LIBEXECDIR in /*) ;; *) LIBEXECDIR=$PREFIX/$LIBEXECDIR ;; esac
skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
for p in postfix unshare systemd-sysusers systemd-tmpfiles setpriv; do
	command -v $p >/dev/null || skip "no $p"
done
# shellcheck source=../harness/ports.sh
. "$SRC/tests/harness/ports.sh"
port_in_use 10026 && skip "port 10026 (the README's loopback listener) is in use"
port_in_use 10040 && skip "port 10040 (the README's policy service) is in use"

T=$(mktemp -d /tmp/listd-running-it.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
n=0
awk -v dir="$T" '
	/^[ \t]*```sh running-it[ \t]*$/ { inb = 1; k++; f = sprintf("%s/step%02d.sh", dir, k); printf "" > f; next }
	inb && /^[ \t]*```/ { inb = 0; close(f); next }
	inb { sub(/^   /, ""); print >> f }' "$SRC/README.md"
steps=$(ls "$T"/step*.sh 2>/dev/null | wc -l)
if [ "$steps" -lt 4 ]; then
	echo "not ok 1 - README.md has its 'sh running-it' steps (found $steps)"; echo "1..1"; exit 1
fi
echo "ok 1 - README.md has $steps 'sh running-it' steps"

meson install -C "$BUILD" --destdir "$T/dest" --no-rebuild --quiet > "$T/install.log" 2>&1 ||
	{ echo "not ok 2 - meson install"; sed 's/^/# /' "$T/install.log"; echo "1..2"; exit 1; }

cat > "$T/inner.sh" <<'INNER'
set -u
T=$1 SRC=$2 PREFIX=$3 LIBEXECDIR=$4
mount --make-rprivate /
for d in usr etc var; do
	mkdir -p "$T/ov/$d/up" "$T/ov/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/$d/up,workdir=$T/ov/$d/work" "/$d" ||
		{ echo "SKIP overlayfs on /$d"; exit 77; }
done
cp -a "$T/dest$PREFIX/." /usr/
if [ "$PREFIX" != /usr ]; then
	mkdir -p "$LIBEXECDIR"
	cp -a "$T/dest$LIBEXECDIR/listd" "$LIBEXECDIR/"
fi
pf() { "$SRC/tests/harness/postfix.sh" "$1" "$T/pf" "${@:2}"; }
daemon=
cleanup() {
	[ -n "$daemon" ] && { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
	pf stop >/dev/null 2>&1
}
trap cleanup EXIT
EXTRA_DOMAINS=example.org pf start > "$T/pf-start.log" 2>&1 ||
	{ echo "STEP postfix-start failed"; cat "$T/pf-start.log"; exit 1; }
# the private instance is the host's Postfix: /etc/postfix, without listd,
# beside the package's own files there (meta_directory: postfix-files,
# postfix-script... which "postfix check" reads); cp -n keeps its main.cf
mkdir -p /etc/postfix
cp -an /etc/postfix/. "$T/pf/etc/"
mount --bind "$T/pf/etc" /etc/postfix || { echo "STEP bind-mount /etc/postfix failed"; exit 1; }
unset MAIL_CONFIG
{ postconf -MX listd/unix && postconf -X listd_destination_recipient_limit &&
	sed -i '/[[:space:]]listd:$/d' /etc/postfix/transport; } ||
	{ echo "STEP taking the harness's listd service out failed"; exit 1; }
mkdir -p "$T/cwd"; cd "$T/cwd" || exit 1
last=$(ls "$T"/step*.sh | tail -1)
for s in "$T"/step*.sh; do
	if [ "$s" = "$last" ]; then
		# what `systemctl enable --now listd` starts (the unit's ExecStart)
		# (this build's unit names PREFIX/bin; the programs are in /usr/bin here)
		exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/listd.service)
		exec_start=${exec_start/#$PREFIX\/bin\//\/usr\/bin\/}
		setpriv --reuid=listd --regid=listd --init-groups $exec_start > "$T/daemon.log" 2>&1 &
		daemon=$!
	fi
	if bash -e "$s" > "$T/${s##*/}.log" 2>&1; then
		echo "STEP ok ${s##*/}"
	else
		echo "STEP failed ${s##*/} (exit $?)"; sed 's/^/  /' "$s"; echo "  output:"; sed 's/^/  /' "$T/${s##*/}.log"
		exit 1
	fi
done
for _ in $(seq 1 120); do
	got=0
	for m in alice bob; do
		grep -qs '^Subject: \[dev\] hello' "$T/pf/mail/example.org/$m/"*.eml && got=$((got + 1))
	done
	[ $got = 2 ] && break
	sleep 0.5
done
echo "DELIVERED $got"
[ $got = 2 ] || { echo "daemon log:"; tail -20 "$T/daemon.log"; pf log | tail -20; }
# the policy service answers: an unknown list address is refused at RCPT
printf 'Subject: x\n\nx\n' | pf send alice@example.org nosuch@lists.example.org > "$T/rcpt.log" 2>&1
if grep -q '^RCPT <nosuch@lists.example.org> 550 .*no such list address' "$T/rcpt.log"; then
	echo "REFUSED unknown"
else
	echo "rcpt:"; cat "$T/rcpt.log"; echo "daemon log:"; tail -20 "$T/daemon.log"
fi
INNER
out=$(unshare -m bash "$T/inner.sh" "$T" "$SRC" "$PREFIX" "$LIBEXECDIR" 2>&1); rc=$?
[ $rc = 77 ] && skip "$(printf '%s' "$out" | grep SKIP)"
k=1
while read -r line; do
	case $line in
	"STEP ok "*) k=$((k + 1)); echo "ok $k - README step ${line#STEP ok } runs as written" ;;
	"STEP failed "*) k=$((k + 1)); echo "not ok $k - README step ${line#STEP failed }" ;;
	esac
done <<< "$out"
k=$((k + 1))
if printf '%s' "$out" | grep -qx 'DELIVERED 2'; then
	echo "ok $k - the first post reached both members with [dev] in the subject"
else
	echo "not ok $k - the first post reached both members"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
k=$((k + 1))
if printf '%s' "$out" | grep -qx 'REFUSED unknown'; then
	echo "ok $k - an unknown list address is refused at RCPT (the policy service is live)"
else
	echo "not ok $k - an unknown list address is refused at RCPT"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
echo "1..$k"
printf '%s' "$out" | grep -q '^STEP failed' && exit 1
printf '%s' "$out" | grep -qx 'DELIVERED 2' && printf '%s' "$out" | grep -qx 'REFUSED unknown'
