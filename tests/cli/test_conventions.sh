#!/bin/bash
# tests/cli/test_conventions.sh — listadm's command-line conventions:
# global options (--home, --json, -q/--quiet) anywhere on the line, one JSON
# type per field across commands (owners an array, bounce_score a number,
# *_day a date or null, no key twice in an object), errors as
# "listadm: error: ...". Usage: test_conventions.sh LISTADM   (TAP)
. "$(dirname "$0")/lib.sh" "$1"
unset LISTD_HOME
H=$TMP/h
ERR=

"$LISTADM" --home "$H" -q list create dev@lists.test --owner a@example.org --owner b@example.org
"$LISTADM" --home "$H" -q member add dev@lists.test x@example.org

# global options after the group, after the subcommand, between arguments
expect 0 "--json after the subcommand" -- member ls dev@lists.test --json --home "$H"
check "member ls --json prints JSON" json_ok
expect 0 "--home=DIR after the subcommand" -- list ls --json --home="$H"
check "list ls --json prints JSON" json_ok
expect 0 "-q between the arguments" -- member add dev@lists.test -q y@example.org --home "$H"
same "-q is quiet" "$OUT" ""
expect 0 "hold ls LIST --json" -- hold ls dev@lists.test --json --home "$H"
expect 0 "a value that looks like a global option stays a value" -- \
	list create other@lists.test --description --json --home "$H"
expect 0 "" -- list show other@lists.test --home "$H" --json
same "--description kept '--json' as its value" "$(jfield description)" "--json"
expect 65 "after --, --json is an argument (an address)" -- --home "$H" member add dev@lists.test -- --json
check "... named as the bad address" '[[ $ERR == *'"'"'invalid address "--json"'"'"'* ]]'

# JSON: one type per field
types() {   # prints "key:type" for each key of each line of $OUT; "DUP key" for repeats
	printf '%s\n' "$OUT" | $PY -c '
import json, sys
def pairs(p):
    seen = set()
    for k, _ in p:
        if k in seen: print("DUP " + k)
        seen.add(k)
    return dict(p)
for l in sys.stdin:
    if l.strip():
        for k, v in json.loads(l, object_pairs_hook=pairs).items():
            print(k + ":" + type(v).__name__)'
}
expect 0 "" -- --home "$H" list ls --json
T1=$(types | grep '^owners:')
expect 0 "" -- --home "$H" list show dev@lists.test --json
T2=$(types | grep '^owners:')
same "owners is an array in list ls" "$(printf '%s\n' "$T1" | sort -u)" "owners:list"
same "owners is an array in list show" "$T2" "owners:list"
same "list show gives both owners" "$(jfield owners)" "a@example.org,b@example.org"
expect 0 "" -- --home "$H" member ls dev@lists.test --json
T1=$(types | grep '^bounce_score:' | sort -u)
expect 0 "" -- --home "$H" member show dev@lists.test x@example.org --json
T2=$(types)
same "bounce_score is a number in member ls" "$T1" "bounce_score:float"
check "bounce_score is a number in member show" '[[ $T2 == *"bounce_score:int"* || $T2 == *"bounce_score:float"* ]]'
check "member show repeats no key" '[[ $T2 != *DUP* ]]'
check "bounce_last_day is a date or null" '[[ $T2 == *"bounce_last_day:NoneType"* ]]'

expect 0 "" -- list set dev 'subject_tag=[dev]' --json --home "$H"
same "list set --json names the list by its address" "$(jfield list)" "dev@lists.test"

# errors
expect 67 "unknown list" -- --home "$H" list show nosuch@lists.test
check "errors read 'listadm: error:'" '[[ $ERR == "listadm: error: unknown list"* ]]'
done_testing
