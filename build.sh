#!/usr/bin/env bash
# build.sh — one entry point for people and CI.
#   ./build.sh demo    install what is missing, build, run the demonstration
#   ./build.sh test    install what is missing, build, run the whole test suite
#   ./build.sh build   install what is missing and build
# Run as root on Debian 12 (package installation needs it).
set -euo pipefail
cd "$(dirname "$0")"
top=$(pwd)
builddir=${BUILDDIR:-build}

deps() { bash "$top/.ci/deps.sh"; }

build() {
	deps
	if [ ! -f "$builddir/build.ninja" ]; then
		meson setup "$builddir" ${MESON_ARGS:-} >/dev/null
	fi
	ninja -C "$builddir" -j"$(nproc)"
}

case ${1:-} in
build)
	build ;;
test)
	build
	meson test -C "$builddir" --print-errorlogs --num-processes "$(nproc)" ${TEST_ARGS:-} ;;
demo)
	build
	exec "$top/$builddir/listd/listd" demo ;;
*)
	sed -n '2,6p' "$0"
	exit 64 ;;
esac
