#!/bin/bash
# listadm log: every change leaves an audit record; --since and --json.
. "$(dirname "$0")/lib.sh" "$@"

L=dev@lists.example.org
expect 0 "log --help" -- log --help
expect 67 "log without a store" -- log $L
expect 0 "list create" -- list create $L --owner o@example.org
expect 0 "member add" -- member add $L a@example.org b@example.org
expect 0 "member set" -- member set $L a@example.org delivery=nomail
expect 0 "list set" -- list set $L subject_tag=[x]
printf 'c@example.org\nd@example.org\n' >"$TMP/in.txt"
expect 0 "member import" -- member import $L "$TMP/in.txt"
expect 0 "member remove" -- member remove $L b@example.org
expect 0 "list create other" -- list create other@lists.example.org

expect 0 "log" -- --json log $L
check "log --json parses" json_ok
same "the actions, in order" "$(jfield action | tr '\n' ' ')" \
	"list.create member.add member.add member.set list.set member.import member.remove "
same "the actor" "$(jfield actor | sort -u)" "listadm:$(id -un)"
check "details name the member" '[[ $(jfield detail) == *b@example.org* ]]'
check "the import detail counts" '[[ $(jfield detail) == *"2 added"* ]]'
check "times are ISO 8601 UTC" '! jfield time | grep -qv "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T.*Z$"'

expect 0 "log (table)" -- log $L
check "table header" '[[ $(head -1 <<<"$OUT") == TIME*ACTOR*ACTION*DETAIL* ]]'
same "one line per record plus the header" "$(wc -l <<<"$OUT")" "8"

expect 0 "log of all lists" -- --json log
check "all lists include the other list's creation" '[ "$(jfield action | grep -c list.create)" = 2 ]'
expect 0 "log --since tomorrow" -- --json log $L --since "$(date -u -d tomorrow +%Y-%m-%d)"
same "nothing since tomorrow" "$OUT" ""
expect 0 "log --since yesterday" -- --json log $L --since "$(date -u -d yesterday +%Y-%m-%dT%H:%M)"
same "everything since yesterday" "$(jfield action | wc -l)" "7"
expect 0 "log --since @epoch" -- --json log $L --since @0
expect 64 "log --since garbage" -- log $L --since yesterdayish
expect 67 "log of an unknown list" -- log nosuch@lists.example.org

expect 0 "list delete" -- list delete other@lists.example.org
expect 0 "log of all lists keeps the deleted list" -- --json log
check "list.delete recorded" '[[ $(jfield action) == *list.delete* ]]'

expect 0 "check" -- check
done_testing
