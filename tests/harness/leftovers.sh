#!/bin/bash
# tests/harness/leftovers.sh [--marker VALUE] [TREE] — processes the tests
# started and left running: every listd, smtp-sink, Postfix program, Exim,
# OpenSMTPD, Sendmail, unbound or Python test server whose command line,
# working directory or MAIL_CONFIG names TREE (default: this source tree,
# which holds the build directories), or whose environment has
# LISTD_TEST_RUN=VALUE (with --marker: .ci/run sets it, and the processes
# the tests start inherit it unless they clear their environment);
# without --marker also those naming a test's directory /tmp/listd-* that
# is gone (its test has ended). Processes of other checkouts, and their
# tests, are not counted with --marker. Prints them; exit 1 if there are
# any, 0 if none.
set -u
export LC_ALL=C
marker=
[ "${1:-}" != --marker ] || { marker=${2:?--marker VALUE}; shift 2; }
tree=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
found=0
for pid in $(pgrep 'listd|smtp-sink|master|qmgr|pickup|smtpd|pipe|cleanup|exim|sendmail|unbound|python3' 2>/dev/null); do
	# (a process may end while it is looked at)
	cmd=$({ tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null) || continue
	[ -n "$cmd" ] || continue
	cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
	env=$({ tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null)
	conf=$(printf '%s\n' "$env" | sed -n 's/^MAIL_CONFIG=//p')
	where=" $cmd $cwd/ $conf/ "
	hit=0
	case $where in *" $tree/"* | *"=$tree/"*) hit=1 ;; esac
	if [ -n "$marker" ]; then
		printf '%s\n' "$env" | grep -qxF "LISTD_TEST_RUN=$marker" && hit=1
	else
		for d in $(printf '%s\n' "$where" | grep -o '/tmp/listd-[^/ ]*' | sort -u); do
			case $d in /tmp/listd-bin-* | /tmp/listd-test-ports) continue ;; esac
			[ -e "$d" ] || hit=1
		done
	fi
	if [ "$hit" = 1 ]; then
		echo "left running: pid $pid: $cmd(in $cwd${conf:+, MAIL_CONFIG=$conf})"
		found=1
	fi
done
exit "$found"
