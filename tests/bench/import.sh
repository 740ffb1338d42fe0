#!/bin/bash
# tests/bench/import.sh — `listadm member import` of COUNT members from a
# plain file, side by side in the same run with LMDB's own mdb_load loading
# the same keys with values of the same size into a fresh environment (the
# floor: no parsing, no normalisation, no second index, one transaction).
#
#   tests/bench/import.sh [COUNT]           default: 1000000
#
# Environment: BUILD=dir | LISTADM=path; KEEP=1 keeps the work directory.
# Needs /usr/bin/time (Debian package time) and mdb_load (lmdb-utils).
# mdb_load commits every 100 records; listadm commits every 5,000 (its
# default). A third row, listadm-b100, imports with --batch=100 for the
# same commit cadence as mdb_load.
# Prints: tool, wall s, CPU s (user + sys), peak RSS MB (GNU time: includes
# the pages of the database file mapped by LMDB, which the kernel may drop
# at will), peak anonymous RSS MB (heap and LMDB's dirty pages, sampled from
# /proc), members/s, and the ratios listadm / mdb_load.
# Targets: within 3x of mdb_load, RSS < 64 MB.
set -eu
export LC_ALL=C

count=${1:-1000000}
case $count in ''|*[!0-9]*) echo "not a count: $count" >&2; exit 64 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${LISTADM:-}" ]; then
	if [ -n "${BUILD:-}" ]; then
		LISTADM=$BUILD/web-free-admin/listadm
	else
		for d in "$root"/build*/; do
			if [ -x "$d/web-free-admin/listadm" ]; then
				LISTADM=$d/web-free-admin/listadm
				break
			fi
		done
	fi
fi
[ -x "${LISTADM:-}" ] || { echo "listadm not built (meson setup build && ninja -C build)" >&2; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: GNU time not installed (package time)" >&2; exit 77; }
command -v mdb_load >/dev/null || { echo "SKIP: mdb_load not installed (package lmdb-utils)" >&2; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/listd-import-bench.XXXXXX")
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LIST=bench@lists.bench.test

# COUNT distinct addresses in a shuffled order (a real subscriber file is
# not sorted), and the same keys for mdb_load: the store's member key is the
# list id (big-endian u32; 1 for the first list) + the lower-cased address;
# the value the same size as the store's v1 member record for an address
# without a display name: 44 bytes + local part + domain.
/usr/bin/python3 - "$count" "$work/members.txt" "$work/mdb.txt" <<'PY'
import random, sys
n = int(sys.argv[1])
order = list(range(n))
random.Random(1).shuffle(order)
with open(sys.argv[2], "w") as plain, open(sys.argv[3], "w") as dump:
    dump.write("VERSION=3\nformat=bytevalue\ntype=btree\n"
               "mapsize=%d\nmaxreaders=126\ndb_pagesize=4096\nHEADER=END\n"
               % (4 << 30))
    for i in order:
        local = "m%07d" % i
        domain = "d%03d.bench.test" % (i % 500)
        plain.write("%s@%s\n" % (local, domain))
        key = b"\x00\x00\x00\x01" + ("%s@%s" % (local, domain)).encode()
        val = b"v" * (44 + len(local) + len(domain))
        dump.write(" %s\n %s\n" % (key.hex(), val.hex()))
    dump.write("DATA=END\n")
PY

# measure NAME OUTFILE CMD...: runs CMD under GNU time, sampling the
# process's anonymous RSS (heap and LMDB's dirty pages, without the pages of
# the database file it has mapped) every 0.1 s; appends a row.
measure() {
	local name=$1 out=$2 tpid cpid anon peak_anon=0 rc=0
	shift 2
	sync
	/usr/bin/time -v -o "$work/$name.time" "$@" >"$out" 2>&1 &
	tpid=$!
	while kill -0 "$tpid" 2>/dev/null; do
		cpid=$(pgrep -P "$tpid" | head -1 || true)
		if [ -n "$cpid" ]; then
			anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$cpid/status" 2>/dev/null || true)
			if [ -n "$anon" ] && [ "$anon" -gt "$peak_anon" ]; then
				peak_anon=$anon
			fi
		fi
		sleep 0.1
	done
	wait "$tpid" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "$name failed:" >&2
		tail -5 "$out" >&2
		exit 1
	fi
	awk -v name="$name" -v n="$count" -v anon="$peak_anon" -F': ' '
		/User time/ { u = $2 }
		/System time/ { s = $2 }
		/Maximum resident set size/ { rss = $2 }
		/Elapsed \(wall clock\)/ {
			k = split($2, p, ":")
			w = 0
			for (i = 1; i <= k; i++) w = w * 60 + p[i]
		}
		END { printf "%s %.2f %.2f %.1f %.1f %d\n", name, w, u + s, rss / 1024, anon / 1024, (w > 0 ? n / w : 0) }
	' "$work/$name.time" >>"$work/rows"
}

: >"$work/rows"
mkdir -p "$work/mdb"
measure mdb_load "$work/mdb.out" mdb_load -f "$work/mdb.txt" "$work/mdb"

"$LISTADM" --home "$work/home" --quiet list create "$LIST"
measure listadm "$work/listadm.out" \
	"$LISTADM" --home "$work/home" member import "$LIST" "$work/members.txt"
summary=$(cat "$work/listadm.out")

# the import must really have landed every member
landed=$("$LISTADM" --home "$work/home" --json member ls "$LIST" | wc -l)
[ "$landed" = "$count" ] || { echo "FAIL: $landed of $count members stored" >&2; exit 1; }

# mdb_load commits (and syncs) every 100 records; the same cadence for
# listadm, on a second fresh home, shows what the commits cost (SAME_BATCH=0
# skips this row).
if [ "${SAME_BATCH:-1}" = 1 ]; then
	"$LISTADM" --home "$work/home100" --quiet list create "$LIST"
	measure listadm-b100 "$work/listadm100.out" \
		"$LISTADM" --home "$work/home100" member import --batch=100 "$LIST" "$work/members.txt"
	rm -rf "$work/home100"
fi

echo "import of $count members ($(wc -c <"$work/members.txt") bytes), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "listadm: $summary"
printf '%-12s %8s %8s %12s %12s %12s\n' tool wall_s cpu_s peak_rss_MB peak_anon_MB members/s
while read -r name w c r a rate; do
	printf '%-12s %8s %8s %12s %12s %12s\n' "$name" "$w" "$c" "$r" "$a" "$rate"
done <"$work/rows"
awk '
	{ w[$1] = $2; c[$1] = $3; r[$1] = $4; a[$1] = $5 }
	END {
		printf "ratio listadm/mdb_load: wall %.2fx, cpu %.2fx (target <= 3x)\n",
			(w["mdb_load"] > 0 ? w["listadm"] / w["mdb_load"] : 0),
			(c["mdb_load"] > 0 ? c["listadm"] / c["mdb_load"] : 0)
		if ("listadm-b100" in w)
			printf "ratio listadm-b100/mdb_load (same commit cadence): wall %.2fx, cpu %.2fx\n",
				(w["mdb_load"] > 0 ? w["listadm-b100"] / w["mdb_load"] : 0),
				(c["mdb_load"] > 0 ? c["listadm-b100"] / c["mdb_load"] : 0)
		printf "listadm peak RSS %.1f MB, of which anonymous %.1f MB (target < 64 MB): %s\n",
			r["listadm"], a["listadm"], (r["listadm"] < 64 ? "ok" : (a["listadm"] < 64 ? "anonymous ok; the rest is the mapped database file" : "OVER"))
	}' "$work/rows"
du -sh "$work/mdb" "$work/home/store" | awk '{ printf "size on disk: %s %s\n", $2, $1 }'
