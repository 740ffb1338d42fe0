#!/bin/bash
# listadm list create|delete|ls|show|set, happy paths and bad input.
. "$(dirname "$0")/lib.sh" "$@"

expect 0 "--version" -- --version
check "--version prints the version" '[[ $OUT == "listadm "[0-9]* ]]'
expect 0 "--help" -- --help
expect 64 "no group" --
expect 64 "unknown group" -- frobnicate
expect 64 "list without subcommand" -- list
expect 64 "unknown list subcommand" -- list explode
for sub in create delete ls show set; do
	expect 0 "list $sub --help" -- list "$sub" --help
	check "list $sub --help prints its usage" '[[ $OUT == *"listadm list $sub"* ]]'
done

# no store yet
expect 0 "list ls on an empty home" -- list ls
same "list ls on an empty home prints nothing" "$OUT" ""
expect 67 "list show without a store" -- list show dev@lists.example.org

# create
expect 0 "list create" -- list create dev@lists.example.org --owner alice@example.org \
	--owner "Bob <BOB@Example.org>" --description "Developers"
check "create says so" '[[ $OUT == *"dev@lists.example.org"* ]]'
check "the store exists under the home" '[ -d "$HOME_DIR/store" ]'
expect 65 "list create of an existing list" -- list create dev@lists.example.org
check "the message says it exists" '[[ $ERR == *"already exists"* ]]'
expect 65 "list create DEV@ (same list, other case)" -- list create DEV@Lists.Example.org
expect 65 "list create with an invalid address" -- list create "not an address"
expect 65 "list create with an invalid owner" -- list create ops@lists.example.org --owner "bob@@x"
expect 67 "the refused list was not created" -- list show ops@lists.example.org
expect 64 "list create without an address" -- list create
expect 64 "list create with an unknown option" -- list create x@lists.example.org --frob
expect 0 "list create of an IDN list" -- list create ann@bücher.example
expect 0 "second list" -- --home "$HOME_DIR" list create ops@lists.example.org

# ls
expect 0 "list ls" -- list ls
check "ls shows dev" '[[ $OUT == *"dev@lists.example.org"* ]]'
check "ls shows the IDN list as an A-label" '[[ $OUT == *"ann@xn--bcher-kva.example"* ]]'
check "ls has a header" '[[ $(head -1 <<<"$OUT") == LIST* ]]'
expect 0 "list ls --json" -- --json list ls
check "list ls --json parses" json_ok
same "list ls --json: one object per list" "$(jfield list | sort)" \
"ann@xn--bcher-kva.example
dev@lists.example.org
ops@lists.example.org"

# show
expect 0 "list show" -- list show dev@lists.example.org
check "show names the owners" '[[ $OUT == *"alice@example.org"* && $OUT == *"BOB@example.org"* ]]'
check "show has the description" '[[ $OUT == *Developers* ]]'
check "show has max_size" '[[ $OUT == *max_size* ]]'
expect 0 "list show by bare name" -- list show dev
expect 0 "list show --json" -- --json list show dev@lists.example.org
check "list show --json parses" json_ok
same "list show --json names the list" "$(jfield list)" "dev@lists.example.org"
expect 67 "list show of an unknown list" -- list show nosuch@lists.example.org
check "the message names the list" '[[ $ERR == *nosuch@lists.example.org* ]]'

# set
before=$("$LISTADM" --json list show dev)
expect 0 "list set two keys" -- list set dev subject_tag=[dev] moderated=yes
run --json list show dev
same "subject_tag changed" "$(jfield subject_tag)" "[dev]"
same "moderated changed" "$(jfield moderated)" "true"
before=$("$LISTADM" --json list show dev)
expect 65 "list set with a bad value" -- list set dev moderated=no max_size=banana
check "the message names the key" '[[ $ERR == *max_size* ]]'
same "a bad value changes nothing (not even the good pair)" \
	"$("$LISTADM" --json list show dev)" "$before"
expect 65 "list set with an unknown key" -- list set dev moderated=no colour=blue
check "the message names the unknown key" '[[ $ERR == *colour* ]]'
same "an unknown key changes nothing" "$("$LISTADM" --json list show dev)" "$before"
expect 64 "list set without =" -- list set dev moderated
expect 64 "list set without pairs" -- list set dev
expect 67 "list set of an unknown list" -- list set nosuch@lists.example.org moderated=no

# delete
expect 0 "member add before delete" -- member add ops@lists.example.org carol@example.org
expect 64 "list delete of a list with members needs --yes" -- list delete ops@lists.example.org
check "the message asks for --yes" '[[ $ERR == *--yes* ]]'
expect 0 "it is still there" -- list show ops@lists.example.org
expect 0 "list delete --yes" -- list delete ops@lists.example.org --yes
expect 67 "a deleted list is unknown" -- list show ops@lists.example.org
expect 67 "its members went with it" -- member ls ops@lists.example.org
expect 0 "list delete of an empty list needs no --yes" -- list delete ann@xn--bcher-kva.example
expect 67 "list delete of an unknown list" -- list delete nosuch@lists.example.org
run --json list ls
same "only dev is left" "$(jfield list)" "dev@lists.example.org"

done_testing
