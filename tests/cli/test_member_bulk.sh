#!/bin/bash
# listadm member remove --file, member sync [--dry-run], member ls
# --addresses: all or nothing on bad input, line numbers, the formats of
# member import, and a sync of 20,000 members (timed).
. "$(dirname "$0")/lib.sh" "$@"

L=dev@lists.example.org
members() { "$LISTADM" member ls "$1" --addresses | sort | tr '\n' ' '; }

expect 0 "member sync --help" -- member sync --help
check "sync usage" '[[ $OUT == *"listadm member sync LIST FILE"* && $OUT == *"--dry-run"* ]]'
expect 0 "member remove --file --help" -- member remove $L --file x --help
check "remove --file usage" '[[ $OUT == *"listadm member remove LIST --file FILE"* ]]'
expect 0 "member ls --help names --addresses" -- member ls --help
check "ls usage" '[[ $OUT == *"--addresses"* ]]'

expect 0 "list create" -- list create $L
expect 0 "members" -- member add $L alice@example.org "Bob <bob@example.org>" \
	carol@example.org dave@example.org "Jörg <jörg@bücher.example>"

# ---- ls --addresses --------------------------------------------------------
expect 0 "member ls --addresses" -- member ls $L --addresses
same "one address a line, nothing else" "$(sort <<<"$OUT")" \
"alice@example.org
bob@example.org
carol@example.org
dave@example.org
jörg@xn--bcher-kva.example"
expect 0 "member ls --addresses with --json still plain addresses" -- --json member ls $L --addresses
same "no JSON" "$(head -c1 <<<"$OUT")" "a"
expect 64 "member ls --addresses without LIST" -- member ls --addresses
expect 67 "member ls --addresses of an unknown list" -- member ls nosuch@lists.example.org --addresses

# ---- remove --file: bad input changes nothing ------------------------------
cat >"$TMP/rm.txt" <<'IN'
# leaving
alice@example.org
not an address
Bob Example <BOB@example.org>
zed@example.org
IN
before=$(members $L)
expect 65 "remove --file with an invalid line" -- member remove $L --file "$TMP/rm.txt"
check "the invalid line is named with file and line" '[[ $ERR == *"rm.txt:3: "* ]]'
check "says nothing changed" '[[ $ERR == *"1 invalid entry; nothing changed"* ]]'
same "nothing removed" "$(members $L)" "$before"
expect 0 "remove --file --skip-invalid" -- member remove $L --file "$TMP/rm.txt" --skip-invalid
same "output" "$OUT" "alice@example.org: removed
bob@example.org: removed
zed@example.org: not a member
2 removed, 1 not members, 1 invalid"
same "alice and bob are gone" "$(members $L)" \
	"carol@example.org dave@example.org jörg@xn--bcher-kva.example "
expect 0 "remove --file from standard input" -- member remove $L --file - <<<"DAVE@example.org"
same "dave removed" "$OUT" "dave@example.org: removed
1 removed, 0 not members, 0 invalid"
expect 0 "remove --file --json" -- --json member remove $L --file=- <<<"nobody@example.org"
check "remove --json parses" json_ok
same "remove --json result" "$(jfield result | sed -n 1p)" "not a member"
expect 65 "remove --file of a missing file" -- member remove $L --file "$TMP/nonexistent"
check "the file is named" '[[ $ERR == *nonexistent* ]]'
{ echo "carol@example.org"; head -c 2000 /dev/urandom; printf '\0'; } >"$TMP/garbage.bin"
expect 65 "remove --file of binary data" -- member remove $L --file "$TMP/garbage.bin"
check "says binary" '[[ $ERR == *"binary data"* ]]'
: >"$TMP/empty.txt"
expect 65 "remove --file of an empty file" -- member remove $L --file "$TMP/empty.txt"
check "says no valid entry" '[[ $ERR == *"no valid entry"* ]]'
same "carol is still there" "$(members $L)" "carol@example.org jörg@xn--bcher-kva.example "
expect 64 "remove --file without a value" -- member remove $L --file
expect 64 "remove --file with addresses too" -- member remove $L carol@example.org --file "$TMP/rm.txt"
expect 67 "remove --file from an unknown list" -- member remove nosuch@lists.example.org --file "$TMP/rm.txt"
expect 64 "remove --file with a bad format" -- member remove $L --file "$TMP/rm.txt" --format=xml
run log $L
check "one audit record per removed member, naming the file" \
	'[ "$(grep -c "member.remove.*(from " <<<"$OUT")" = 3 ]'

# ---- sync ------------------------------------------------------------------
expect 0 "members again" -- member add $L alice@example.org bob@example.org dave@example.org
cat >"$TMP/want.txt" <<'IN'
# the list as it should be
ALICE@example.org
Carol C <carol@example.org>
erin@example.org
Frank F <frank@example.org>
erin@example.org
IN
before=$(members $L)
expect 0 "sync --dry-run" -- member sync $L "$TMP/want.txt" --dry-run
same "dry run prints both sides" "$OUT" "erin@example.org: would add
frank@example.org: would add
bob@example.org: would remove
dave@example.org: would remove
jörg@xn--bcher-kva.example: would remove
dry run, nothing written: 2 added, 3 removed, 2 unchanged, 0 invalid"
same "dry run wrote nothing" "$(members $L)" "$before"
expect 0 "sync" -- member sync $L "$TMP/want.txt"
same "sync prints both sides" "$OUT" "erin@example.org: added
frank@example.org: added
bob@example.org: removed
dave@example.org: removed
jörg@xn--bcher-kva.example: removed
2 added, 3 removed, 2 unchanged, 0 invalid"
same "the list is the file" "$(members $L)" \
	"alice@example.org carol@example.org erin@example.org frank@example.org "
run --json member show $L frank@example.org
same "an added member has the file's name" "$(jfield name)" "Frank F"
run --json member show $L alice@example.org
same "a kept member keeps its spelling" "$(jfield address)" "alice@example.org"
expect 0 "sync again" -- member sync $L "$TMP/want.txt"
same "a second sync changes nothing" "$OUT" "0 added, 0 removed, 4 unchanged, 0 invalid"
expect 0 "sync from ls --addresses is a no-op" -- member sync $L - < <("$LISTADM" member ls $L --addresses)
same "no change" "$OUT" "0 added, 0 removed, 4 unchanged, 0 invalid"
run log $L
check "audit records for the sync" \
	'[ "$(grep -c "member.add.*(sync from " <<<"$OUT")" = 2 ] && [ "$(grep -c "member.remove.*(sync from " <<<"$OUT")" = 3 ]'

# bad input: nothing changes
printf 'alice@example.org\nbad@@example.org\nnew@example.org\n' >"$TMP/bad.txt"
before=$(members $L)
expect 65 "sync with an invalid line" -- member sync $L "$TMP/bad.txt"
check "line 2 named" '[[ $ERR == *"bad.txt:2: "* ]]'
same "sync with an invalid line changed nothing" "$(members $L)" "$before"
expect 65 "sync from an empty file is refused" -- member sync $L "$TMP/empty.txt"
same "an empty file removed nobody" "$(members $L)" "$before"
printf '# nobody\n\n' >"$TMP/comments.txt"
expect 65 "sync from comments only is refused" -- member sync $L "$TMP/comments.txt"
expect 65 "sync from a missing file" -- member sync $L "$TMP/nonexistent"
expect 64 "sync without a file" -- member sync $L
expect 64 "sync with --file" -- member sync $L --file "$TMP/bad.txt"
expect 67 "sync of an unknown list" -- member sync nosuch@lists.example.org "$TMP/want.txt"
expect 0 "sync --skip-invalid" -- member sync $L "$TMP/bad.txt" --skip-invalid
same "skips the bad line, syncs the rest" "$OUT" "new@example.org: added
carol@example.org: removed
erin@example.org: removed
frank@example.org: removed
1 added, 3 removed, 1 unchanged, 1 invalid"

# CSV: the columns member import takes
cat >"$TMP/want.csv" <<'IN'
email,name,delivery,state,moderated
alice@example.org,Alice,digest,,
gina@example.org,"Gina, G.",digest,disabled-admin,yes
IN
expect 0 "sync from CSV" -- --json member sync $L "$TMP/want.csv"
check "sync --json parses" json_ok
same "sync --json results" "$(jfield result | tr '\n' ' ')" "added removed null "
same "sync --json summary" "$(jfield removed | tail -1) $(jfield added | tail -1)" "1 1"
run --json member show $L gina@example.org
same "CSV columns applied to the added member" \
	"$(jfield name)|$(jfield delivery)|$(jfield state)|$(jfield moderated)" \
	"Gina, G.|digest|disabled-admin|true"
run --json member show $L alice@example.org
same "a kept member is left as it is" "$(jfield delivery)" "normal"
printf 'email,delivery\nhank@example.org,weekly\n' >"$TMP/baddelivery.csv"
before=$(members $L)
expect 65 "sync from CSV with a bad delivery" -- member sync $L "$TMP/baddelivery.csv"
check "bad delivery named with its line" '[[ $ERR == *"baddelivery.csv:2: unknown delivery"* ]]'
same "nothing changed" "$(members $L)" "$before"
expect 0 "export" -- member export $L "$TMP/export.csv"
expect 0 "sync from its own export" -- member sync $L "$TMP/export.csv"
same "export -> sync changes nothing" "$OUT" "0 added, 0 removed, 2 unchanged, 0 invalid"

# ---- 20,000 members ---------------------------------------------------------
B=big@lists.example.org
expect 0 "list create big" -- list create $B
seq 1 20000 | sed 's/.*/user&@example.org/' >"$TMP/big.txt"
expect 0 "import 20,000" -- member import $B "$TMP/big.txt"
# the wanted list: every tenth dropped, 2,000 new ones
{ seq 1 20000 | awk '$1 % 10' | sed 's/.*/user&@example.org/'; seq 1 2000 | sed 's/.*/new&@example.org/'; } \
	>"$TMP/big2.txt"
t0=$(date +%s%N)
expect 0 "sync 20,000 members" -- member sync $B "$TMP/big2.txt"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# member sync of 20,000 members (2,000 added, 2,000 removed): $ms ms"
same "big sync summary" "$(tail -1 <<<"$OUT")" "2000 added, 2000 removed, 18000 unchanged, 0 invalid"
same "big list is the file" "$("$LISTADM" member ls $B --addresses | sort)" "$(sort "$TMP/big2.txt")"
t0=$(date +%s%N)
expect 0 "remove --file of 10,000" -- --quiet member remove $B --file <(head -n 10000 "$TMP/big2.txt")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# member remove --file of 10,000 members: $ms ms"
same "10,000 left" "$("$LISTADM" member ls $B --addresses | wc -l)" "10000"

done_testing
