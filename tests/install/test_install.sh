#!/bin/bash
# tests/install/test_install.sh — `meson install` makes a real installation.
# Installs the build into a DESTDIR and checks, as TAP:
#  - the file list, exactly (programs in BINDIR, the daemon program in
#    LIBEXECDIR/listd, listd(8), listd.conf(5), listadm(1), the unit,
#    sysusers.d and tmpfiles.d entries, the MTA snippets and a sample
#    listd.conf under the documentation directory, bash completion, the
#    demonstration's scripts);
#  - the unit names the configured paths and does not restart on exit 78;
#    `systemd-analyze verify` finds nothing (when present; the unit's paths
#    are pointed into the DESTDIR for it);
#  - systemd-sysusers and systemd-tmpfiles (when present) create the listd
#    account and its home in a scratch root;
#  - the man pages format without a warning, the sample listd.conf passes
#    `listd config`;
#  - as root with Postfix, `listd demo` of the installed tree succeeds, in a
#    private mount namespace where the DESTDIR's PREFIX is bound over PREFIX
#    (the machine's own PREFIX is untouched).
# Usage: test_install.sh BUILD PREFIX BINDIR LIBEXECDIR MANDIR DATADIR HOME CONFIG
set -u
BUILD=$1 PREFIX=$2 BINDIR=$3 LIBEXECDIR=$4 MANDIR=$5 DATADIR=$6 LHOME=$7 CONFIG=$8
abs() { case $1 in /*) echo "$1" ;; *) echo "$PREFIX/$1" ;; esac; }
BINDIR=$(abs "$BINDIR") LIBEXECDIR=$(abs "$LIBEXECDIR") MANDIR=$(abs "$MANDIR") DATADIR=$(abs "$DATADIR")
T=$(mktemp -d /tmp/listd-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
D=$T/dest
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/#   /'; }
check() { local l=$1; shift; if eval "$@"; then ok "$l"; else not_ok "$l" "failed: $*"; fi; }

if meson install -C "$BUILD" --destdir "$D" --no-rebuild --quiet > "$T/install.log" 2>&1; then
	ok "meson install --destdir"
else
	not_ok "meson install --destdir" "$(tail -20 "$T/install.log")"
	echo "1..$n"; exit 1
fi

DOC=$DATADIR/doc/listd
cat > "$T/want" <<LIST
$BINDIR/listadm
$BINDIR/listd
$LIBEXECDIR/listd/listd-run
$LIBEXECDIR/listd/demo/benchlib.sh
$LIBEXECDIR/listd/demo/demo.sh
$LIBEXECDIR/listd/demo/ports.sh
$LIBEXECDIR/listd/demo/postfix.sh
$MANDIR/man1/listadm.1
$MANDIR/man5/listd.conf.5
$MANDIR/man8/listd.8
$PREFIX/lib/systemd/system/listd.service
$PREFIX/lib/sysusers.d/listd.conf
$PREFIX/lib/tmpfiles.d/listd.conf
$DATADIR/bash-completion/completions/listadm
$DATADIR/bash-completion/completions/listd
$DOC/README.md
$DOC/THREAT-MODEL.md
$DOC/listd.conf.sample
$DOC/exim/README.md
$DOC/opensmtpd/README.md
$DOC/opensmtpd/smtpd.conf
$DOC/postfix/README.md
$DOC/postfix/listd-postconf
$DOC/postfix/master.cf
LIST
# the MTA folders are installed whole (contrib/postfix, exim, opensmtpd):
# extra files under $DOC are listed, not failed; everything else must match
# exactly
(cd "$D" && find . \( -type f -o -type l \) | sed 's/^\.//' | sort) > "$T/got"
sort -o "$T/want" "$T/want"
missing=$(comm -23 "$T/want" "$T/got")
extra=$(comm -13 "$T/want" "$T/got" | grep -v "^$DOC/" || true)
if [ -z "$missing" ] && [ -z "$extra" ]; then
	ok "the installed files are the expected $(wc -l < "$T/want")"
else
	not_ok "the installed files" "missing: $missing" "unexpected: $extra"
fi
comm -13 "$T/want" "$T/got" | grep "^$DOC/" | sed 's/^/# also installed: /'
check "programs are executable" "[ -x '$D$BINDIR/listd' ] && [ -x '$D$BINDIR/listadm' ] && [ -x '$D$LIBEXECDIR/listd/listd-run' ] && [ -x '$D$LIBEXECDIR/listd/demo/demo.sh' ]"

U=$D$PREFIX/lib/systemd/system/listd.service
check "the unit runs the installed listd with the configured home and file" \
	"grep -qx 'ExecStart=$BINDIR/listd run --home $LHOME --config $CONFIG --foreground' '$U'"
check "the unit does not restart on a configuration error (78)" \
	"grep -q '^RestartPreventExitStatus=.*\b78\b' '$U' && grep -q '^User=listd' '$U'"
if command -v systemd-analyze >/dev/null; then
	sed "s|=$PREFIX/|=$D$PREFIX/|g" "$U" > "$T/listd.service"
	out=$(systemd-analyze verify --man=no "$T/listd.service" 2>&1); rc=$?
	check "systemd-analyze verify: clean" "[ $rc = 0 ] && [ -z \"\$out\" ]" || printf '%s\n' "$out" | sed 's/^/# /'
else
	n=$((n + 1)); echo "ok $n # SKIP no systemd-analyze"
fi

R=$T/root; mkdir -p "$R/etc"
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	systemd-sysusers --root="$R" "$D$PREFIX/lib/sysusers.d/listd.conf" >/dev/null 2>&1
	check "sysusers.d creates the listd account with the home" \
		"grep -q '^listd:x:[0-9]*:[0-9]*:[^:]*:$LHOME:/usr/sbin/nologin\$' '$R/etc/passwd'"
	systemd-tmpfiles --root="$R" --create "$D$PREFIX/lib/tmpfiles.d/listd.conf" >/dev/null 2>&1
	uid=$(awk -F: '$1 == "listd" { print $3 }' "$R/etc/passwd")
	check "tmpfiles.d creates the home 0750 owned by listd" \
		"[ \"\$(stat -c '%a %u' '$R$LHOME')\" = '750 $uid' ] && [ -d '$R${CONFIG%/*}' ]"
else
	n=$((n + 2)); echo "ok $((n - 1)) # SKIP no systemd-sysusers"; echo "ok $n # SKIP"
fi

for m in man1/listadm.1 man5/listd.conf.5 man8/listd.8; do
	w=$(groff -man -ww -z "$D$MANDIR/$m" 2>&1)
	check "$m formats without a warning" "[ -z \"\$w\" ]" || printf '%s\n' "$w" | sed 's/^/# /'
done
check "listd.conf(5) documents every key" \
	"[ \"\$('$BUILD/listd/listd' config -d | sed 's/ =.*//' | while read k; do grep -qx \".B \$k\" '$D$MANDIR/man5/listd.conf.5' || echo \$k; done)\" = '' ]"
mkdir -p "$T/h"; cp "$D$DOC/listd.conf.sample" "$T/h/listd.conf"
check "the sample listd.conf is accepted" "'$BUILD/listd/listd' config --home '$T/h' >/dev/null"
check "bash completion parses" "bash -n '$D$DATADIR/bash-completion/completions/listadm'"

if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null && [ -d "$PREFIX" ] && command -v unshare >/dev/null; then
	out=$(unshare -m bash -c 'mount --make-rprivate / && mount --bind "$1" "$2" && timeout 120 "$3" demo' \
		_ "$D$PREFIX" "$PREFIX" "$BINDIR/listd" 2>&1); rc=$?
	check "listd demo from the installed tree" "[ $rc = 0 ]" ||
		printf '%s\n' "$out" | tail -15 | sed 's/^/# /'
	check "... ran the installed scripts and programs" \
		"printf '%s' \"\$out\" | grep -Eq 'ok +messages that reached a non-member +0$'"
else
	n=$((n + 2)); echo "ok $((n - 1)) # SKIP listd demo needs root, Postfix, unshare"; echo "ok $n # SKIP"
fi
echo "1..$n"
[ "$fail" = 0 ]
