# tests/cli/lib.sh — shared by the listadm command-line tests.
# Usage in a test: . "$(dirname "$0")/lib.sh" "$@"   (first argument: listadm)
# Each test gets its own home under a fresh temporary directory, removed on exit.

set -u

LISTADM=${1:?usage: $0 PATH/TO/listadm}
case $LISTADM in /*) ;; *) LISTADM=$PWD/$LISTADM ;; esac
[ -x "$LISTADM" ] || { echo "Bail out! $LISTADM is not executable"; exit 99; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/listadm-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
HOME_DIR=$TMP/home
export LISTD_HOME=$HOME_DIR
unset LISTD_STORE_MAP_INITIAL LISTD_STORE_MAP_MAX
PY=/usr/bin/python3
export LC_ALL=C.UTF-8

ntest=0
nfail=0

ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $1"
}

not_ok() {
	ntest=$((ntest + 1))
	nfail=$((nfail + 1))
	echo "not ok $ntest - $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

# run CMD...: runs listadm, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	"$LISTADM" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# expect CODE LABEL -- listadm ARGS...: runs and checks the exit status.
expect() {
	local want=$1 label=$2
	shift 3
	run "$@"
	if [ "$RC" = "$want" ]; then
		ok "$label (exit $want)"
	else
		not_ok "$label" "got exit $RC, want $want" "command: listadm $*" \
			"stdout: $(head -c 600 "$TMP/out")" "stderr: $(head -c 600 "$TMP/err")"
	fi
}

# check LABEL COND...: a test of the shell condition (run with eval).
check() {
	local label=$1
	shift
	if eval "$@"; then
		ok "$label"
	else
		not_ok "$label" "condition failed: $*" "stdout: ${OUT:0:600}" "stderr: ${ERR:0:600}"
	fi
}

# same LABEL GOT WANT
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got: $(printf '%s' "$2" | head -c 600)" "want: $(printf '%s' "$3" | head -c 600)"
	fi
}

# json_ok: every line of $OUT parses as a JSON object.
json_ok() {
	printf '%s\n' "$OUT" | $PY -c 'import json,sys; [json.loads(l) for l in sys.stdin if l.strip()] or sys.exit(1)'
}

# jfield KEY: prints the KEY of every JSON line of $OUT, one a line.
jfield() {
	printf '%s\n' "$OUT" | $PY -c '
import json,sys
for l in sys.stdin:
    if l.strip():
        v = json.loads(l).get(sys.argv[1])
        print("null" if v is None else (str(v).lower() if isinstance(v, bool) else
              ",".join(v) if isinstance(v, list) else v))' "$1"
}

done_testing() {
	echo "1..$ntest"
	[ "$nfail" -eq 0 ]
}
