#!/bin/bash
# listadm member add|remove|ls|show|set, happy paths and bad input.
. "$(dirname "$0")/lib.sh" "$@"

L=dev@lists.example.org
for sub in add remove ls show set import export; do
	expect 0 "member $sub --help" -- member "$sub" --help
	check "member $sub --help prints its usage" '[[ $OUT == *"listadm member $sub"* ]]'
done
expect 64 "member without subcommand" -- member

expect 0 "list create" -- list create $L
expect 67 "member add to an unknown list" -- member add nosuch@lists.example.org a@example.org
check "the message names the list" '[[ $ERR == *nosuch@lists.example.org* ]]'

# add
expect 0 "member add" -- member add $L alice@example.org "Bob Example <bob@EXAMPLE.org>" \
	"carol@example.org (Carol C)"
check "add reports each address" '[[ $OUT == *"alice@example.org: added"* && $OUT == *"bob@example.org: added"* ]]'
expect 0 "member add of a duplicate is not an error" -- member add $L ALICE@example.org
check "the duplicate is reported" '[[ $OUT == *"already a member"* ]]'
expect 65 "member add with an invalid address" -- member add $L dave@example.org "bad@@example.org"
check "the message names the address" '[[ $ERR == *"bad@@example.org"* ]]'
check "the message gives a reason" '[[ $ERR =~ bad@@example.org\"?:\ [a-z] ]]'
expect 67 "an invalid address in the batch stores nothing" -- member show $L dave@example.org
expect 65 "member add of an address without a domain" -- member add $L justlocal
expect 65 "member add of an over-long local part" -- \
	member add $L "$(printf 'a%.0s' {1..70})@example.org"
check "the reason says why" '[[ $ERR == *"invalid address"* ]]'
expect 0 "member add of an IDN address" -- member add $L "Jörg <jörg@bücher.example>"
expect 0 "member add of a quoted local part" -- member add $L '"john smith"@example.org'
expect 64 "member add without addresses" -- member add $L

# ls
expect 0 "member ls" -- member ls $L
check "ls has a header" '[[ $(head -1 <<<"$OUT") == ADDRESS* ]]'
check "ls shows Bob's name" '[[ $OUT == *"Bob Example"* ]]'
check "the IDN domain is stored as an A-label" '[[ $OUT == *"jörg@xn--bcher-kva.example"* ]]'
expect 0 "member ls --json" -- --json member ls $L
check "member ls --json parses" json_ok
same "member ls --json lists every member once" "$(jfield address | sort)" \
'"john smith"@example.org
alice@example.org
bob@example.org
carol@example.org
jörg@xn--bcher-kva.example'
same "every member has a delivery" "$(jfield delivery | sort -u)" "normal"
same "names" "$(jfield name | sort | tr '\n' '|')" "||Bob Example|Carol C|Jörg|"
check "every member has an id" '! jfield id | grep -qv "^[0-9][0-9]*$"'
expect 67 "member ls of an unknown list" -- member ls nosuch@lists.example.org

# show / set
expect 0 "member show" -- member show $L bob@example.org
check "show has the name" '[[ $OUT == *"Bob Example"* ]]'
expect 0 "member show case-insensitive" -- member show $L BOB@example.ORG
expect 67 "member show of a non-member" -- member show $L zed@example.org
expect 65 "member show of an invalid address" -- member show $L "zed@"
expect 0 "member set" -- member set $L bob@example.org delivery=digest moderated=yes
run --json member show $L bob@example.org
check "member show --json parses" json_ok
same "delivery changed" "$(jfield delivery)" "digest"
same "moderated changed" "$(jfield moderated)" "true"
before=$("$LISTADM" --json member show $L bob@example.org)
expect 65 "member set with a bad value" -- member set $L bob@example.org delivery=normal state=asleep
check "the message names the key" '[[ $ERR == *state* ]]'
same "a bad value changes nothing" "$("$LISTADM" --json member show $L bob@example.org)" "$before"
expect 65 "member set with an unknown key" -- member set $L bob@example.org colour=red
expect 67 "member set of a non-member" -- member set $L zed@example.org delivery=digest
expect 64 "member set without pairs" -- member set $L bob@example.org

# remove
expect 67 "member remove with a non-member" -- member remove $L alice@example.org zed@example.org
check "the message names the non-member" '[[ $ERR == *zed@example.org* ]]'
expect 0 "nothing was removed" -- member show $L alice@example.org
expect 0 "member remove" -- member remove $L alice@example.org "Carol <carol@example.org>"
expect 67 "removed member is gone" -- member show $L alice@example.org
run --json member ls $L
same "three members left" "$(jfield address | wc -l)" "3"
expect 65 "member remove with an invalid address" -- member remove $L "x@"
expect 67 "member remove from an unknown list" -- member remove nosuch@lists.example.org bob@example.org

# audit trail of all of this
expect 0 "log" -- log $L
check "log has member.add" '[[ $OUT == *member.add* ]]'
check "log has member.remove" '[[ $OUT == *member.remove* ]]'
check "log has member.set" '[[ $OUT == *member.set* ]]'
check "log names the actor" '[[ $OUT == *"listadm:$(id -un)"* ]]'

done_testing
