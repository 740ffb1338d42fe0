#!/bin/bash
# listadm import mlmmj|mailman3: real mlmmj list directories (made by
# mlmmj-make-ml when installed, else by hand in the same layout), dry runs
# that write nothing, settings and members per delivery mode, idempotent
# second runs, unmapped settings and invalid addresses reported; Mailman 3
# `mailman members` text and REST JSON exports, garbage JSON.
. "$(dirname "$0")/lib.sh" "$@"

SPOOL=$TMP/spool
mkdir -p "$SPOOL"

# make_ml NAME DOMAIN OWNER: an mlmmj list directory under $SPOOL.
make_ml() {
	local d=$SPOOL/$1
	if command -v mlmmj-make-ml >/dev/null; then
		printf '%s\n%s\nen\n' "$2" "$3" | mlmmj-make-ml -L "$1" -s "$SPOOL" >/dev/null 2>&1
	fi
	if [ ! -d "$d/control" ]; then
		for sub in incoming queue archive text subconf unsubconf bounce control \
			moderation subscribers.d digesters.d requeue nomailsubs.d; do
			mkdir -p "$d/$sub"
		done
		echo "$3" >"$d/control/owner"
		echo "$1@$2" >"$d/control/listaddress"
	fi
}

# export_of LIST: the member export (or "(none)" when the list is missing).
export_of() {
	"$LISTADM" member export "$1" 2>/dev/null || echo "(none)"
}

# ---- an mlmmj list --------------------------------------------------------
make_ml dev lists.example.org owner@example.org
D=$SPOOL/dev
check "mlmmj directory made" '[ -f "$D/control/listaddress" ] && [ -d "$D/digesters.d" ]'
# mlmmj keeps subscribers in files named by the address's first letter
printf 'alice@example.org\nAnn Example <ann@example.org>\n' >"$D/subscribers.d/a"
printf 'bob@example.org\nnot an address\n' >"$D/subscribers.d/b"
printf 'carol@example.org\n' >"$D/digesters.d/c"
printf 'dave@example.org\nbroken@\n' >"$D/nomailsubs.d/d"
echo '[dev]' >"$D/control/prefix"
touch "$D/control/moderated" "$D/control/subonlypost" "$D/control/modnonsubposts"
echo 'mod@example.org' >"$D/control/moderators"
echo 200000 >"$D/control/maxmailsize"
echo 'Please read the rules' >"$D/control/footer"
touch "$D/control/closedlist" "$D/control/notifysub"
printf 'Reply-To: dev@lists.example.org\nX-Extra: yes\n' >"$D/control/customheaders"
L=dev@lists.example.org

expect 0 "dry run" -- import mlmmj "$D" --dry-run
check "dry run: would create the list" '[[ $OUT == *"list $L: would create"* ]]'
check "dry run: members per delivery mode" \
	'[[ $OUT == *"members: would add 5 (normal 3, digest 1, nomail 1), already 0, invalid 2"* ]]'
check "dry run: settings shown" '[[ $OUT == *"would set subject_tag: \"\" -> \"[dev]\""* ]]'
check "dry run: invalid entries named with file:line" \
	'[[ $ERR == *"subscribers.d/b:2: "* && $ERR == *"nomailsubs.d/d:2: "* ]]'
check "dry run: says nothing was written" '[[ $OUT == *"dry run: nothing was written"* ]]'
check "dry run: no store created" '[ ! -e "$HOME_DIR/store" ]'
expect 67 "dry run: the list does not exist" -- list show $L

expect 0 "import mlmmj" -- import mlmmj "$D"
check "list created" '[[ $OUT == *"list $L: create"* ]]'
check "members added per delivery mode" \
	'[[ $OUT == *"members: added 5 (normal 3, digest 1, nomail 1), already 0, invalid 2"* ]]'
check "invalid address reported with file:line" '[[ $ERR == *"subscribers.d/b:2: "* ]]'
same "invalid entries reported once each" "$(grep -c 'subscribers.d/b:2\|nomailsubs.d/d:2' <<<"$ERR")" "2"
for f in closedlist footer notifysub customheaders:2; do
	check "unmapped control/$f reported" '[[ $OUT == *"unmapped control/$f: "* ]]'
done
same "each unmapped setting on one line" "$(grep -c '^unmapped ' <<<"$OUT")" "4"
check "moderators noted as owners" '[[ $OUT == *"note control/moderators: "* ]]'
run --json member ls $L
same "members" "$(jfield address | sort | tr '\n' ' ')" \
	"alice@example.org ann@example.org bob@example.org carol@example.org dave@example.org "
same "delivery modes" "$(printf '%s\n' "$OUT" | $PY -c '
import json,sys
for l in sys.stdin:
    o=json.loads(l); print(o["address"], o["delivery"])' | sort | tr '\n' ',')" \
	"alice@example.org normal,ann@example.org normal,bob@example.org normal,carol@example.org digest,dave@example.org nomail,"
check "display name kept" '[[ $(jfield name) == *"Ann Example"* ]]'
run --json list show $L
same "owners (owner and moderators)" "$(jfield owners)" "owner@example.org,mod@example.org"
same "subject tag" "$(jfield subject_tag)" "[dev]"
same "moderated" "$(jfield moderated)" "true"
same "non-members held (subonlypost + modnonsubposts)" "$(jfield nonmember_action)" "hold"
same "max size" "$(jfield max_size)" "200000"
same "reply-to from customheaders" "$(jfield reply_to_list)" "true"
run log $L
same "audit: list.create, one import.members, one import.settings" \
	"$(grep -o 'list.create\|import.members\|import.settings' <<<"$OUT" | tr '\n' ' ')" \
	"list.create import.members import.settings "
check "audit actor is listadm:<user>" '[[ $OUT == *"listadm:$(id -un)"* ]]'

before=$(export_of $L)
log_before=$("$LISTADM" log $L)
expect 0 "second import" -- import mlmmj "$D"
check "second run: list exists" '[[ $OUT == *"list $L: exists"* ]]'
check "second run adds nothing" '[[ $OUT == *"members: added 0 (normal 0, digest 0, nomail 0), already 5, invalid 2"* ]]'
check "second run changes no setting" '! grep -q "^set " <<<"$OUT"'
same "second run: members unchanged" "$(export_of $L)" "$before"
same "second run: no audit record" "$("$LISTADM" log $L)" "$log_before"

# a change in mlmmj: dry run shows it, writes nothing; the import brings it
printf 'erin@example.org\nalice@example.org\n' >"$D/digesters.d/e"
rm "$D/control/moderated"
expect 0 "dry run after a change" -- import mlmmj "$D" --dry-run
check "dry run: one to add, the repeated one already" \
	'[[ $OUT == *"members: would add 1 (normal 0, digest 1, nomail 0), already 6, invalid 2"* ]]'
check "dry run: the setting change shown" '[[ $OUT == *"would set moderated: \"yes\" -> \"no\""* ]]'
same "dry run: members unchanged" "$(export_of $L)" "$before"
same "dry run: no audit record" "$("$LISTADM" log $L)" "$log_before"
expect 0 "import after a change" -- import mlmmj "$D"
check "the new digester added" '[[ $OUT == *"members: added 1 (normal 0, digest 1, nomail 0)"* ]]'
run --json member show $L erin@example.org
same "erin gets digests" "$(jfield delivery)" "digest"
run --json member show $L alice@example.org
same "an existing member is left unchanged" "$(jfield delivery)" "normal"
run --json list show $L
same "moderated follows mlmmj" "$(jfield moderated)" "false"

# --list names another list; an mlmmj list open to non-members
make_ml open lists.example.org boss@example.org
printf 'zed@example.org\n' >"$SPOOL/open/subscribers.d/z"
expect 0 "import with --list" -- import mlmmj "$SPOOL/open" --list renamed@lists.example.org
check "--list overrides control/listaddress" '[[ $OUT == *"list renamed@lists.example.org: create"* ]]'
check "the unused mlmmj address reported" '[[ $OUT == *"unmapped control/listaddress:1: "* ]]'
run --json list show renamed@lists.example.org
same "no subonlypost: non-members accepted" "$(jfield nonmember_action)" "accept"
same "no prefix: no subject tag" "$(jfield subject_tag)" ""
expect 67 "the mlmmj address itself was not made" -- list show open@lists.example.org

# --json summary
expect 0 "import --json" -- --json import mlmmj "$SPOOL/open" --list renamed@lists.example.org
check "--json lines parse" json_ok
same "--json already" "$(jfield already | tail -1)" "1"

# not an mlmmj directory, and usage errors
mkdir -p "$TMP/notml"
expect 65 "not an mlmmj directory" -- import mlmmj "$TMP/notml"
check "says why" '[[ $ERR == *"not an mlmmj list directory"* ]]'
expect 64 "import mlmmj without LISTDIR" -- import mlmmj
expect 64 "unknown import source" -- import majordomo x
make_ml noaddr example.org o@example.org
rm -f "$SPOOL/noaddr/control/listaddress"
expect 65 "no listaddress and no --list" -- import mlmmj "$SPOOL/noaddr"

# ---- Mailman 3: `mailman members` text ------------------------------------
M=users@lists.example.org
cat >"$TMP/members.txt" <<'IN'
Anne Person <anne@example.com>
bart@example.com
"Cris, C." <cris@example.com>
this is not an address
IN
expect 0 "mailman3 text: dry run" -- import mailman3 $M "$TMP/members.txt" --dry-run
check "dry run counts" '[[ $OUT == *"members: would add 3 (normal 3, digest 0, nomail 0), already 0, invalid 1"* ]]'
same "dry run: nothing stored" "$(export_of $M)" "(none)"
expect 0 "mailman3 text" -- import mailman3 $M "$TMP/members.txt"
check "members added" '[[ $OUT == *"members: added 3 (normal 3, digest 0, nomail 0), already 0, invalid 1"* ]]'
check "invalid line with file:line" '[[ $ERR == *"members.txt:4: "* ]]'
run --json member ls $M
same "display names" "$(jfield name | sort | tr '\n' '|')" "|Anne Person|Cris, C.|"
before=$(export_of $M)
expect 0 "mailman3 text from stdin, second run" -- import mailman3 $M - <"$TMP/members.txt"
check "second run adds nothing" '[[ $OUT == *"added 0 (normal 0, digest 0, nomail 0), already 3, invalid 1"* ]]'
same "second run: unchanged" "$(export_of $M)" "$before"

# ---- Mailman 3: REST JSON -------------------------------------------------
J=json@lists.example.org
cat >"$TMP/members.json" <<'IN'
{"start": 0, "total_size": 8, "http_etag": "\"abc\"",
 "entries": [
  {"email": "reg@example.com", "display_name": "R\u00e9gine", "delivery_mode": "regular",
   "delivery_status": "enabled", "role": "member", "moderation_action": null,
   "self_link": "http://localhost:9001/3.1/members/1"},
  {"email": "plain@example.com", "delivery_mode": "plaintext_digests", "role": "member"},
  {"email": "mime@example.com", "delivery_mode": "mime_digests", "role": "member",
   "delivery_status": "by_user", "moderation_action": "hold"},
  {"email": "bouncy@example.com", "delivery_mode": "regular", "role": "member",
   "delivery_status": "by_bounces"},
  {"email": "boss@example.com", "role": "owner", "delivery_mode": "regular"},
  {"email": "mod@example.com", "role": "moderator"},
  {"email": "outsider@example.com", "role": "nonmember"},
  {"email": "nope", "role": "member"}
 ]}
IN
expect 0 "mailman3 JSON: dry run" -- import mailman3 $J "$TMP/members.json" --dry-run
check "dry run counts" '[[ $OUT == *"members: would add 4 (normal 2, digest 2, nomail 0), already 0, invalid 1"* ]]'
check "dry run: owners shown" '[[ $OUT == *"would set owners: \"\" -> \"boss@example.com,mod@example.com\""* ]]'
check "nonmembers skipped and counted" '[[ $OUT == *"note nonmembers: 1 skipped"* ]]'
same "dry run: nothing stored" "$(export_of $J)" "(none)"
expect 0 "mailman3 JSON" -- import mailman3 $J "$TMP/members.json"
check "invalid entry reported at its line" '[[ $ERR == *"members.json:14: "* ]]'
run --json member ls $J
same "JSON members, delivery, state, moderated" "$(printf '%s\n' "$OUT" | $PY -c '
import json,sys
for l in sys.stdin:
    o=json.loads(l); print(o["address"], o["name"], o["delivery"], o["state"], o["moderated"])' | sort | tr '\n' ',')" \
	"bouncy@example.com  normal disabled-bounce False,mime@example.com  digest disabled-user True,plain@example.com  digest enabled False,reg@example.com Régine normal enabled False,"
run --json list show $J
same "owners and moderators become owners" "$(jfield owners)" "boss@example.com,mod@example.com"
before=$(export_of $J)
log_before=$("$LISTADM" log $J)
expect 0 "mailman3 JSON second run" -- import mailman3 $J "$TMP/members.json"
check "second run adds nothing" '[[ $OUT == *"added 0 (normal 0, digest 0, nomail 0), already 4, invalid 1"* ]]'
same "second run: unchanged" "$(export_of $J)" "$before"
same "second run: no audit record" "$("$LISTADM" log $J)" "$log_before"

# a bare array and JSON Lines
printf '[{"email":"arr1@example.com"},{"email":"arr2@example.com","delivery_mode":"summary_digests"}]\n' >"$TMP/arr.json"
expect 0 "JSON array from stdin" -- import mailman3 arr@lists.example.org - <"$TMP/arr.json"
check "array imported" '[[ $OUT == *"added 2 (normal 1, digest 1, nomail 0)"* ]]'
printf '{"email":"l1@example.com"}\n{"email":"l2@example.com","display_name":"L Two"}\n' >"$TMP/lines.json"
expect 0 "JSON Lines" -- import mailman3 jl@lists.example.org "$TMP/lines.json"
check "JSON Lines imported" '[[ $OUT == *"added 2 (normal 2, digest 0, nomail 0)"* ]]'

# garbage JSON: a clear error, nothing stored (not even the list)
G=garbage@lists.example.org
printf '[{"email":"ok@example.com"},{"email":"x@example.com",}]' >"$TMP/trailing.json"
expect 65 "JSON with a trailing comma" -- import mailman3 $G "$TMP/trailing.json"
check "names the error and line" '[[ $ERR == *"trailing.json:1: not valid JSON: "* ]]'
check "says nothing was stored" '[[ $ERR == *"nothing was stored"* ]]'
expect 67 "no list made from garbage" -- list show $G
printf '{"entries": [{"email": "ok@example.com"}, {"email": "cut' >"$TMP/cut.json"
expect 65 "truncated JSON" -- import mailman3 $G "$TMP/cut.json"
expect 67 "still no list" -- list show $G
{ printf '['; head -c 30000 /dev/urandom | base64 -w0; } >"$TMP/noise.json"
expect 65 "noise after a bracket" -- import mailman3 $G "$TMP/noise.json"
$PY -c 'print("[" * 100000)' >"$TMP/deep.json"
expect 65 "deeply nested JSON" -- import mailman3 $G "$TMP/deep.json"
check "nesting limit named" '[[ $ERR == *"nested too deeply"* ]]'
$PY -c 'print("[{\"email\": \"" + "a" * 100000 + "@example.com\"}]")' >"$TMP/long.json"
expect 65 "a huge string" -- import mailman3 $G "$TMP/long.json"
check "string limit named" '[[ $ERR == *"string too long"* ]]'
expect 67 "no list after all the garbage" -- list show $G
printf '[{"email": 42}, {"email": "fine@example.com", "delivery_mode": "weekly"}, {"email": "good@example.com"}]' >"$TMP/badvals.json"
expect 0 "bad values are invalid entries, not errors" -- import mailman3 vals@lists.example.org "$TMP/badvals.json"
check "two invalid, one added" '[[ $OUT == *"added 1 (normal 1, digest 0, nomail 0), already 0, invalid 2"* ]]'
check "a non-string email named" '[[ $ERR == *"badvals.json:1: a known field holds a non-string value"* ]]'
printf '[{"email": "nope"}, {"role": "member"}]' >"$TMP/novalid.json"
expect 65 "JSON without one valid entry" -- import mailman3 $G "$TMP/novalid.json"
check "says nothing stored" '[[ $ERR == *"no valid member or owner entry; nothing stored"* ]]'
: >"$TMP/empty.txt"
expect 65 "empty input" -- import mailman3 $G "$TMP/empty.txt"
printf 'foo bar
baz
' >"$TMP/junk.txt"
expect 65 "text without one valid line" -- import mailman3 $G "$TMP/junk.txt"
{ echo "ok@example.org"; head -c 2000 /dev/urandom; printf '\0'; } >"$TMP/binary.txt"
expect 65 "binary input" -- import mailman3 $G "$TMP/binary.txt"
check "binary data named" '[[ $ERR == *"binary data"* ]]'
expect 67 "no list made from any of them" -- list show $G
expect 65 "missing file" -- import mailman3 $G "$TMP/nonexistent"

# a large JSON export streams in batches
$PY -c '
import json
print("[" + ",".join(json.dumps({"email": "m%05d@example.net" % i, "delivery_mode": "mime_digests" if i % 10 == 0 else "regular"}) for i in range(12000)) + "]")' >"$TMP/big.json"
expect 0 "12,000 members from JSON" -- import mailman3 big@lists.example.org "$TMP/big.json"
check "all added" '[[ $OUT == *"members: added 12000 (normal 10800, digest 1200, nomail 0)"* ]]'
run log big@lists.example.org
same "one audit record per batch (3) and the list's creation" \
	"$(grep -c 'import.members' <<<"$OUT") $(grep -c 'list.create' <<<"$OUT")" "3 1"

done_testing
