#!/bin/bash
# listadm template: the texts of the mails listd writes for a list, and the
# list's header and footer; a refused text changes nothing.
. "$(dirname "$0")/lib.sh" "$@"

L=dev@lists.example.org
expect 0 "template --help" -- template --help
expect 0 "list create" -- list create $L --owner o@example.org
expect 0 "template ls" -- template ls $L
check "lists the footer, empty by default" '[[ $(grep "^footer " <<<"$OUT") == *"default (none)"* ]]'
check "lists the confirmation" 'grep -q "^confirm " <<<"$OUT"'
expect 0 "template show (default)" -- template show $L confirm
check "the default text" '[[ $OUT == *"The confirmation expires in \${days} days."* ]]'
check "names the variables" '[[ $ERR == *"variables: list_address action confirm_address days"* ]]'

printf -- '-- \r\nLeave: ${unsubscribe_address}, costs $$0\r\n' >"$TMP/foot"
expect 0 "template set from a file (CRLF)" -- template set $L footer --file "$TMP/foot"
expect 0 "template show (own)" -- --json template show $L footer
check "show --json parses" json_ok
same "kept with LF line ends" "$(jfield text)" "-- 
Leave: \${unsubscribe_address}, costs \$\$0"
same "own" "$(jfield own)" "true"

printf 'Bye ${days}\n' >"$TMP/bad"
expect 65 "an unknown variable is refused" -- template set $L footer --file "$TMP/bad"
check "naming the line and variable" '[[ $ERR == *"line 1: unknown variable \${days}"* ]]'
printf 'a\001b\n' >"$TMP/bad2"
expect 65 "a control byte is refused" -- template set $L footer --file "$TMP/bad2"
expect 0 "template show after refusals" -- template show $L footer
check "unchanged" '[[ $OUT == *"Leave: \${unsubscribe_address}"* ]]'
expect 64 "an unknown template" -- template show $L nosuch
expect 67 "an unknown list" -- template show nolist@lists.example.org footer

expect 0 "template reset" -- template reset $L footer
check "back to the default" '[[ $OUT == *"back to the default"* ]]'
expect 0 "template show (reset)" -- --json template show $L footer
same "not own" "$(jfield own)" "false"
expect 0 "log" -- --json log $L
check "set and reset audited" '[[ $(jfield action | tr "\n" " ") == *"template.set template.reset"* ]]'
expect 0 "list delete" -- list delete $L --yes
expect 0 "check" -- check
done_testing
