#!/usr/bin/env bash
# Installs every Debian package listd needs to build, test and benchmark.
# Idempotent: only missing packages are installed. Run as root.
set -euo pipefail

build=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev clang-format
       liblmdb-dev lmdb-utils libuv1-dev libgnutls28-dev nettle-dev gnutls-bin
       libidn2-dev libpsl-dev publicsuffix libcmocka-dev)
runtime_test=(postfix python3 openssl procps iproute2 time unbound opendkim-tools python3-dkim python3-dnspython curl)
# the shared libraries of Exim's daemon (tests/harness/test-exim.sh runs it
# from the unpacked Debian packages, which conflict with Postfix)
exim_runtime=(libidn12 libdb5.3 libgnutls-dane0 libnsl2 libpcre2-8-0)
# ... and those of OpenSMTPD and Sendmail (tests/live-bounces/run.sh runs
# them too, unpacked the same way), with m4 for Sendmail's configuration
mta_runtime=(libevent-2.1-7 libunbound8 libldap-2.5-0 libsasl2-2 libssl3 libwrap0 m4)
peers=(mlmmj libsisimai-perl python3-flufl.bounce bc)

want=("${build[@]}" "${runtime_test[@]}" "${exim_runtime[@]}" "${mta_runtime[@]}")
[ "${LISTD_NO_PEERS:-0}" = 1 ] || want+=("${peers[@]}")

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
        || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix without a system instance: no main.cf, nothing on port 25.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
