#!/bin/bash
# tests/cli/test_check.sh — `listd check` and `listd config`, and every
# listd.conf sample in the documentation.
#
# Samples: a fenced code block whose info string is exactly "listd.conf"
# (an opening line "```listd.conf", indentation allowed, closed by "```")
# in README.md or contrib/*/README* is a listd.conf sample. Each is written
# to a fresh home and `listd check` must report no problem of the file
# itself (the account and store lines are judged separately below); a
# block written another way is not found, so new samples must use the
# fence. At least one sample must exist in README.md.
#
# Usage: test_check.sh LISTADM LISTD SOURCE_ROOT   (TAP; root runs the
# ownership cases as nobody, others skip them)
. "$(dirname "$0")/lib.sh" "$1"
LISTD=${2:?usage: $0 LISTADM LISTD SOURCE_ROOT}
SRC=${3:?usage: $0 LISTADM LISTD SOURCE_ROOT}
case $LISTD in /*) ;; *) LISTD=$PWD/$LISTD ;; esac
unset LISTD_HOME LISTD_CONFIG
chmod 755 "$TMP"
ERR=

# lcheck HOME: runs listd check, output in $OUT, status in $RC
lcheck() { OUT=$("$LISTD" check --home "$1" 2>&1); RC=$?; }

# 1. every sample in the documentation
n=0
mkdir -p "$TMP/samples"
for doc in "$SRC/README.md" "$SRC"/contrib/*/README*; do
	[ -f "$doc" ] || continue
	base=README
	[ "$doc" = "$SRC/README.md" ] || base=contrib-$(basename "$(dirname "$doc")")
	awk -v dir="$TMP/samples" -v base="$base" '
		/^[ \t]*```listd\.conf[ \t]*$/ { inb = 1; k++; f = dir "/" base "." k; printf "" > f; next }
		inb && /^[ \t]*```/ { inb = 0; close(f); next }
		inb { sub(/^[ \t]+/, ""); print >> f }' "$doc"
done
for s in "$TMP"/samples/*; do
	[ -f "$s" ] || continue
	n=$((n + 1))
	h=$TMP/sample$n; mkdir -p "$h"; cp "$s" "$h/listd.conf"
	lcheck "$h"
	bad=$(printf '%s\n' "$OUT" | grep -F "$h/listd.conf: line " || true)
	if [ -z "$bad" ] && "$LISTD" config --home "$h" >/dev/null 2>&1; then
		ok "sample ${s##*/} is accepted"
	else
		not_ok "sample ${s##*/} is accepted" "$(cat "$s")" "$OUT"
	fi
done
check "README.md has listd.conf samples" "[ -f '$TMP/samples/README.1' ]"

# 2. every problem of a file, each with its line, exit 78
H=$TMP/h1; mkdir -p "$H"
printf 'relay = 127.0.0.1:10026   # a comment\nrelay_tls = nonee\nconcurrency = 400\ncolour = blue\nuser = nobody # the account\n' > "$H/listd.conf"
lcheck "$H"
check "check exits 78 on a bad file" "[ $RC = 78 ]"
check "check names line 2 with the allowed values" \
	"printf '%s' \"\$OUT\" | grep -qF 'listd.conf: line 2: relay_tls: not one of the allowed values (none, opportunistic, starttls): \"nonee\"'"
check "check names line 3 with the range" \
	"printf '%s' \"\$OUT\" | grep -qF 'line 3: concurrency: out of range 1..64: \"400\"'"
check "check names line 4's unknown key" "printf '%s' \"\$OUT\" | grep -qF \"line 4: unknown key 'colour'\""
check "a trailing comment is no problem" "! printf '%s' \"\$OUT\" | grep -q 'line [15]:'"
OUT2=$("$LISTD" config --home "$H" 2>&1); RC2=$?
check "config refuses a bad file with 78" "[ $RC2 = 78 ] && printf '%s' \"\$OUT2\" | grep -q 'line 2'"

# 3. listd config: values from the same table as the parser
printf 'relay = mx.example.org:26, [::1]:25 # two\nconcurrency = 9\n' > "$H/listd.conf"
OUT=$("$LISTD" config --home "$H" -n)
check "config -n prints only the keys set" "[ \"\$OUT\" = \"relay = mx.example.org:26, [::1]:25
concurrency = 9\" ]"
OUT=$("$LISTD" config --home "$H" concurrency batch_size)
check "config KEY prints the values" "[ \"\$OUT\" = \"concurrency = 9
batch_size = 1000\" ]"
OUT=$("$LISTD" config -d | grep -c ' = ')
ALL=$("$LISTD" config --home "$H" | grep -c ' = ')
check "config -d lists as many keys as config ($OUT)" "[ $OUT = $ALL ] && [ $OUT -gt 30 ]"
"$LISTD" config --home "$H" > "$TMP/all.conf"
mkdir -p "$TMP/h2"; cp "$TMP/all.conf" "$TMP/h2/listd.conf"
check "config's output is itself a valid listd.conf" "'$LISTD' config --home '$TMP/h2' | cmp -s - '$TMP/all.conf'"
"$LISTD" config nosuchkey >/dev/null 2>&1
check "config of an unknown key exits 64" "[ $? = 64 ]"

# 4. logging for the journal: JOURNAL_STREAM naming stderr (sd-daemon(3))
H=$TMP/hj; mkdir -p "$H"; printf 'relay_tls = bogus\n' > "$H/listd.conf"
: > "$TMP/j.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/j.log") "$LISTD" run --home "$H" 2>>"$TMP/j.log"
RC=$?
J=$(cat "$TMP/j.log")
check "journal: the error has priority <3> and no name or pid" \
	"[ $RC = 78 ] && printf '%s' \"\$J\" | grep -q '^<3>error: .*relay_tls' && ! printf '%s' \"\$J\" | grep -q 'listd\['"
: > "$TMP/other"
J=$(JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/other") "$LISTD" run --home "$H" 2>&1)
check "another stream in JOURNAL_STREAM: the usual 'listd[PID]: error:'" \
	"printf '%s' \"\$J\" | grep -q '^listd\[[0-9]*\]: error: '"
: > "$TMP/j2.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/j2.log") "$LISTADM" --home "$H" list show nosuch@x.test 2>>"$TMP/j2.log"
check "journal: listadm's error has priority <3>" "grep -q '^<3>error: ' '$TMP/j2.log'"

# 5. the home: world-writable, key file, owners (root only)
if [ "$(id -u)" = 0 ]; then
	H=$TMP/h3; mkdir -p "$H"; chown nobody: "$H"
	"$LISTADM" --home "$H" -q list create dev@lists.test      # acts as nobody
	printf 'relay = 127.0.0.1:10026\nrelay_tls = none\nuser = nobody\n' > "$H/listd.conf"
	head -c 32 /dev/urandom > "$H/secret.key"; chown nobody "$H/secret.key"; chmod 600 "$H/secret.key"
	lcheck "$H"
	check "a good home: exit 0" "[ $RC = 0 ] && printf '%s' \"\$OUT\" | grep -q 'no problem found'"
	chmod 777 "$H"; chmod 644 "$H/secret.key"; chown root "$H/store/data.mdb"
	lcheck "$H"
	check "a bad home: exit 78" "[ $RC = 78 ]"
	check "world-writable home named with its fix" "printf '%s' \"\$OUT\" | grep -qF '(fix: chmod o-w $H)'"
	check "key mode named with its fix" "printf '%s' \"\$OUT\" | grep -qF '(fix: chmod 600 $H/secret.key)'"
	check "store owner named with its fix" "printf '%s' \"\$OUT\" | grep -qF '(fix: chown nobody: $H/store/data.mdb)'"
	chmod 755 "$H"; chmod 600 "$H/secret.key"; chown nobody "$H/store/data.mdb"
	sed -i 's/user = nobody/user = no-such-account/' "$H/listd.conf"
	lcheck "$H"
	check "a missing account named with useradd" "printf '%s' \"\$OUT\" | grep -q \"user 'no-such-account' does not exist (fix: useradd --system\""
else
	for i in 1 2 3 4 5 6; do echo "ok $((ntest + i)) # SKIP ownership cases need root"; done
	ntest=$((ntest + 6))
fi

echo "1..$ntest"
[ "$nfail" = 0 ]
