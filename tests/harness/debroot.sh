#!/bin/bash
# tests/harness/debroot.sh — MTAs whose Debian packages conflict with Postfix
# (Exim, OpenSMTPD, Sendmail), unpacked for the tests instead of installed.
#
#   debroot.sh PKG...     fetch each package with `apt-get download` (the
#                         mirror's current version) and unpack it with
#                         `dpkg -x` into one tree; prints that tree's path.
#
# The tree is $LISTD_DEB_ROOT (default /var/cache/listd-tests/debroot); the
# .deb files are kept in its parent, so a second run fetches nothing. Nothing
# is installed: no maintainer script runs, no system file is touched, and the
# programs run from the tree with a private configuration and spool that the
# calling test writes. Their shared libraries are ordinary Debian packages that
# do not conflict with Postfix; .ci/deps.sh installs them.
#
# Exit status: 0 with the path printed; 77 (meson's "skipped") when a package
# cannot be fetched (no mirror reachable), so a test can pass the status on.
set -euo pipefail

root=${LISTD_DEB_ROOT:-/var/cache/listd-tests/debroot}
cache=$(dirname "$root")/debs
[ $# -gt 0 ] || { echo "usage: debroot.sh PKG..." >&2; exit 64; }
mkdir -p "$root" "$cache"
# tests that run side by side (meson runs two at a time) may ask for the
# same package: one fetches and unpacks it while the other waits
exec 9> "$cache/.lock"
flock -w 600 9 || { echo "debroot: $cache/.lock held for 10 minutes" >&2; exit 1; }

for pkg in "$@"; do
	stamp=$root/.unpacked-$pkg
	[ -e "$stamp" ] && continue
	deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		# apt drops privileges to _apt, which must be able to write here
		chmod 0755 "$cache"
		chown _apt "$cache" 2>/dev/null || true
		if ! (cd "$cache" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
			(apt-get update -qq >/dev/null 2>&1 || true)
			if ! (cd "$cache" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
				echo "debroot: cannot fetch $pkg from the package mirror" >&2
				exit 77
			fi
		fi
		deb=$(ls "$cache/${pkg}"_*.deb | head -n 1)
	fi
	dpkg -x "$deb" "$root"
	touch "$stamp"
done
echo "$root"
