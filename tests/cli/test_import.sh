#!/bin/bash
# listadm member import/export: formats, bad input, 10,000 lines with 5%
# invalid, idempotence, export -> import round trip.
. "$(dirname "$0")/lib.sh" "$@"

L=dev@lists.example.org
expect 0 "list create" -- list create $L
expect 0 "list create copy" -- list create copy@lists.example.org

# ---- plain lines ----
cat >"$TMP/plain.txt" <<'IN'
# a comment
alice@example.org

Bob Example <bob@example.org>
  carol@EXAMPLE.org  
"Dave, D." <dave@example.org>
erin@bücher.example
not an address
frank@example.org (Frank F)
IN
expect 0 "import plain" -- member import $L "$TMP/plain.txt"
same "summary" "$OUT" "6 added, 0 already members, 1 invalid"
check "the invalid line is named with file and line number" \
	'[[ $ERR == *"plain.txt:8: "* ]]'
same "only one line reported" "$(grep -c 'plain.txt:' <<<"$ERR")" "1"
run --json member ls $L
same "members" "$(jfield address | sort | tr '\n' ' ')" \
	"alice@example.org bob@example.org carol@example.org dave@example.org erin@xn--bcher-kva.example frank@example.org "
same "names" "$(jfield name | sort | tr '\n' '|')" "|||Bob Example|Dave, D.|Frank F|"
expect 0 "re-import adds nothing" -- member import $L "$TMP/plain.txt"
same "re-import summary" "$OUT" "0 added, 6 already members, 1 invalid"
expect 0 "import from stdin" -- member import $L - <<<"grace@example.org"
same "stdin summary" "$OUT" "1 added, 0 already members, 0 invalid"
expect 0 "import --json" -- --json member import $L - <<<"heidi@example.org"
check "import --json parses" json_ok
same "import --json added" "$(jfield added)" "1"

# ---- bad input ----
: >"$TMP/empty.txt"
expect 65 "empty file" -- member import $L "$TMP/empty.txt"
check "says no valid entry" '[[ $ERR == *"no valid entry"* ]]'
printf '# only a comment\n\n' >"$TMP/comments.txt"
expect 65 "comments only" -- member import $L "$TMP/comments.txt"
{ echo "ok@example.org"; head -c 20000 /dev/urandom; printf '\0'; } >"$TMP/garbage.bin"
before=$("$LISTADM" --json member ls $L)
expect 65 "binary garbage" -- member import $L "$TMP/garbage.bin"
check "a clear message about binary data" '[[ $ERR == *"binary data"* ]]'
same "nothing stored from binary garbage" "$("$LISTADM" --json member ls $L)" "$before"
# high bytes without NUL: every line invalid UTF-8 or not an address
LC_ALL=C tr -d '\000' </dev/urandom | head -c 200000 >"$TMP/garbage.txt"
expect 65 "garbage text" -- member import $L "$TMP/garbage.txt"
same "nothing stored from garbage text" "$("$LISTADM" --json member ls $L)" "$before"
printf 'ivan@example.org\n\xff\xfe@example.org\nju\001dy@example.org\n' >"$TMP/utf8.txt"
expect 0 "invalid UTF-8 and control characters" -- member import $L "$TMP/utf8.txt"
check "invalid UTF-8 reported at line 2" '[[ $ERR == *"utf8.txt:2: invalid UTF-8"* ]]'
check "control character reported at line 3" '[[ $ERR == *"utf8.txt:3: control character"* ]]'
{ echo "judy@example.org"; printf 'x%.0s' {1..5000}; echo "@example.org"; echo "ken@example.org"; } >"$TMP/long.txt"
expect 0 "an over-long line" -- member import $L "$TMP/long.txt"
check "over-long line named" '[[ $ERR == *"long.txt:2: line too long"* ]]'
same "lines around it land" "$OUT" "2 added, 0 already members, 1 invalid"
expect 65 "missing file" -- member import $L "$TMP/nonexistent"
check "missing file named" '[[ $ERR == *nonexistent* ]]'
expect 67 "import into an unknown list" -- member import nosuch@lists.example.org "$TMP/plain.txt"
expect 64 "import with a bad format" -- member import $L "$TMP/plain.txt" --format=xml
expect 64 "import without a file" -- member import $L

# ---- 10,000 lines, 5% invalid ----
expect 0 "list create big" -- list create big@lists.example.org
$PY - "$TMP/big.txt" "$TMP/big.bad" <<'PYEOF'
import sys
bad = []
with open(sys.argv[1], "w") as f:
    for i in range(1, 10001):
        if i % 20 == 7:
            f.write("user%d@@example.org\n" % i)
            bad.append(i)
        elif i % 3 == 0:
            f.write("User %d <user%d@example.org>\n" % (i, i))
        else:
            f.write("user%d@example.org\n" % i)
with open(sys.argv[2], "w") as f:
    f.write("".join("%d\n" % n for n in bad))
PYEOF
expect 0 "import 10,000 lines" -- member import --batch=1000 big@lists.example.org "$TMP/big.txt"
same "summary" "$OUT" "9500 added, 0 already members, 500 invalid"
same "exactly the invalid line numbers are reported" \
	"$(grep -o 'big.txt:[0-9]*:' <<<"$ERR" | tr -dc '0-9\n')" "$(cat "$TMP/big.bad")"
run --json member ls big@lists.example.org
same "9,500 members landed" "$(jfield address | wc -l)" "9500"
same "the right ones" "$(jfield address | sort)" \
	"$(grep -v '@@' "$TMP/big.txt" | sed 's/.*<//; s/>//' | sort)"
expect 0 "re-import of 10,000 lines" -- member import big@lists.example.org "$TMP/big.txt"
same "re-import adds 0" "$OUT" "0 added, 9500 already members, 500 invalid"
run log big@lists.example.org
check "one audit record per batch" '[ "$(grep -c member.import <<<"$OUT")" = 10 ]'

# ---- CSV ----
cat >"$TMP/in.csv" <<'IN'
id,Email,Name,delivery,state,moderated,extra
1,lena@example.org,"Lena, the ""first""",digest,enabled,yes,x
2,mike@example.org,Mike,nomail,disabled-admin,no,y
3,  nina@example.org  , ,,,,
4,oscar@example.org,Oscar,weekly,,,
5,"unterminated@example.org,x
6,,nobody,,,,
IN
expect 0 "import CSV" -- member import copy@lists.example.org "$TMP/in.csv"
same "CSV summary" "$OUT" "3 added, 0 already members, 3 invalid"
check "bad delivery at line 5" '[[ $ERR == *"in.csv:5: unknown delivery"* ]]'
check "unterminated quote at line 6" '[[ $ERR == *"in.csv:6: "* ]]'
check "empty email at line 7" '[[ $ERR == *"in.csv:7: empty email"* ]]'
run --json member show copy@lists.example.org lena@example.org
same "CSV name with quotes and comma" "$(jfield name)" 'Lena, the "first"'
same "CSV delivery" "$(jfield delivery)" "digest"
same "CSV moderated" "$(jfield moderated)" "true"
run --json member show copy@lists.example.org mike@example.org
same "CSV state" "$(jfield state)" "disabled-admin"
printf 'name,mail\nx,y@example.org\n' >"$TMP/noemail.csv"
expect 65 "a CSV without an email column read as plain: nothing valid" -- \
	member import copy@lists.example.org "$TMP/noemail.csv" --format=plain
check "both lines reported" '[[ $ERR == *"noemail.csv:1: "* && $ERR == *"noemail.csv:2: "* ]]'
expect 65 "forced CSV without an email column" -- \
	member import copy@lists.example.org "$TMP/noemail.csv" --format=csv
check "says the email column is missing" '[[ $ERR == *email* ]]'

# ---- mlmmj ----
mkdir -p "$TMP/mlmmj/subscribers.d" "$TMP/mlmmj/digesters.d" "$TMP/mlmmj/nomailsubs.d"
printf 'pat@example.org\npeter@example.org\n' >"$TMP/mlmmj/subscribers.d/p"
printf 'quinn@example.org\n' >"$TMP/mlmmj/subscribers.d/q"
printf 'rob@example.org\n' >"$TMP/mlmmj/digesters.d/r"
printf 'sam@example.org\nbroken@\n' >"$TMP/mlmmj/nomailsubs.d/s"
expect 0 "list create mlmmj" -- list create ml@lists.example.org
expect 0 "import an mlmmj list directory" -- member import ml@lists.example.org "$TMP/mlmmj"
same "mlmmj summary" "$OUT" "5 added, 0 already members, 1 invalid"
check "mlmmj invalid line names its file" '[[ $ERR == *"nomailsubs.d/s:2: "* ]]'
run --json member ls ml@lists.example.org
same "mlmmj delivery modes" "$(paste -d= <(jfield address) <(jfield delivery) | sort | tr '\n' ' ')" \
	"pat@example.org=normal peter@example.org=normal quinn@example.org=normal rob@example.org=digest sam@example.org=nomail "
expect 0 "list create mlmmj2" -- list create ml2@lists.example.org
expect 0 "import a subscribers.d directory" -- member import ml2@lists.example.org "$TMP/mlmmj/subscribers.d"
same "subscribers.d summary" "$OUT" "3 added, 0 already members, 0 invalid"
expect 65 "a directory with --format=plain" -- member import ml2@lists.example.org "$TMP/mlmmj" --format=plain

# ---- export -> import round trip ----
expect 0 "member set a state" -- member set $L alice@example.org state=disabled-bounce moderated=yes
expect 0 "member set a delivery" -- member set $L bob@example.org delivery=nomail
expect 0 "member add an odd name" -- member add $L '" Spaced, \"Quoted\" " <zoe@example.org>'
expect 0 "export to a file" -- member export $L "$TMP/dev.csv"
check "export file is 0600" '[ "$(stat -c %a "$TMP/dev.csv")" = 600 ]'
same "export header" "$(head -1 "$TMP/dev.csv")" "email,name,delivery,state,moderated"
expect 0 "export to stdout" -- member export $L
same "stdout export equals the file" "$OUT" "$(cat "$TMP/dev.csv")"
expect 0 "list create round" -- list create round@lists.example.org
expect 0 "import the export" -- member import round@lists.example.org "$TMP/dev.csv"
check "nothing invalid" '[[ $OUT == *" 0 invalid" ]]'
strip() { $PY -c '
import json,sys
for l in sys.stdin:
    d = json.loads(l)
    for k in ("id", "joined"): d.pop(k, None)
    print(json.dumps(d, sort_keys=True))'; }
same "round trip: same members, names, delivery, states" \
	"$("$LISTADM" --json member ls round@lists.example.org | strip)" \
	"$("$LISTADM" --json member ls $L | strip)"
expect 0 "export the copy" -- member export round@lists.example.org "$TMP/round.csv"
same "the exports are identical" "$(cat "$TMP/round.csv")" "$(cat "$TMP/dev.csv")"
expect 67 "export of an unknown list" -- member export nosuch@lists.example.org
expect 0 "list create piped" -- list create piped@lists.example.org
"$LISTADM" member export $L | "$LISTADM" member import piped@lists.example.org - >"$TMP/pipe.out" 2>&1
check "export | import - (CSV detected on standard input)" \
	'[ "$(cat "$TMP/pipe.out")" = "$(grep -c . "$TMP/dev.csv" | awk "{print \$1 - 1}") added, 0 already members, 0 invalid" ]'
same "the piped copy is identical" "$("$LISTADM" member export piped@lists.example.org)" "$(cat "$TMP/dev.csv")"

# ---- progress bar: only on a terminal ----
expect 0 "list create progress" -- list create progress@lists.example.org
expect 0 "import without a terminal" -- member import progress@lists.example.org "$TMP/big.txt"
check "no progress bar when stderr is not a terminal" '[[ $ERR != *$'"'"'\r'"'"'* && $ERR != *"[#"* ]]'
if command -v script >/dev/null; then
	expect 0 "list delete progress" -- list delete --yes progress@lists.example.org
	expect 0 "list create progress again" -- list create progress@lists.example.org
	script -qec "$LISTADM member import --batch=500 progress@lists.example.org $TMP/big.txt 2>&1 >/dev/null" \
		/dev/null >"$TMP/tty.out" </dev/null
	check "a progress bar on a terminal" 'grep -q "entries" "$TMP/tty.out"'
	script -qec "$LISTADM --quiet member import progress@lists.example.org $TMP/big.txt 2>&1 >/dev/null" \
		/dev/null >"$TMP/tty.out" </dev/null
	check "no progress bar with --quiet" '! grep -q "entries" "$TMP/tty.out"'
fi

expect 0 "check" -- check
done_testing
