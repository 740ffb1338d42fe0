#!/bin/sh
# tests/bench/bounce_corpus.sh — the bounce corpus through three parsers in
# one run: listd's (bounce_parse, through tests/corpus/corpus_check --bench
# and listadm bounce parse), Sisimai (Debian libsisimai-perl) and
# flufl.bounce (Debian python3-flufl.bounce).
#  1. speed on bounces/: messages per second timed inside each tool around
#     the parsing loop only, and each whole command's wall time;
#  2. speed as a whole process over all three sets (bounces, bounces-unseen,
#     bounces-more): one command per parser over every file, start-up
#     included, listd next to Sisimai;
#  3. accuracy per set, listd next to Sisimai from the same run, judged as
#     tests/corpus/corpus_check judges (bounces-more: status only on rows
#     whose source is Sisimai's), with a table per source family;
#  4. recipient agreement of flufl.bounce next to ours on bounces/.
#
# usage: tests/bench/bounce_corpus.sh [BUILD_DIR] [CORPUS_DIR]
#   BUILD_DIR defaults to build-bounce, CORPUS_DIR to ../shared/corpus
#   (relative to the source root). Exit 77 when the corpus is absent.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$here/build-bounce}" && pwd)
corpus=${2:-$here/../shared/corpus}
[ -d "$corpus" ] && corpus=$(cd "$corpus" && pwd)
check=$build/tests/corpus/corpus_check
bounces=$corpus/bounces

[ -f "$bounces/expected.tsv" ] || { echo "corpus not found: $corpus"; exit 77; }
[ -x "$check" ] || { echo "build $check first (ninja -C $build tests/corpus/corpus_check)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ls "$bounces" | grep -v '^expected\.tsv$' | sort > "$tmp/files"
n=$(wc -l < "$tmp/files")

now() { date +%s.%N; }

# (a) listd: the loop rate over at least 3 s of repeated passes (files in
# memory); the wall time of one whole command doing one pass (process
# start, reading every file, parsing): listadm bounce parse when built,
# else the corpus tool's single pass
"$check" --bench 3 "$corpus" > "$tmp/listd.out"
listd_rate=$(sed -n 's/.* msgs_per_sec=\([0-9.]*\).*/\1/p' "$tmp/listd.out")
listd_cpu=$(sed -n 's/.*msgs_per_cpu_sec=\([0-9.]*\).*/\1/p' "$tmp/listd.out")
listadm=$build/web-free-admin/listadm
t0=$(now)
if [ -x "$listadm" ]; then
	(cd "$bounces" && xargs "$listadm" bounce parse < "$tmp/files" > "$tmp/listadm.out")
	listd_cmd="listadm bounce parse"
else
	"$check" --bench 0 "$corpus" > /dev/null
	listd_cmd="corpus_check --bench 0"
fi
t1=$(now)
listd_wall=$(echo "$t1 - $t0" | bc -l)
"$check" --dump "$corpus" > "$tmp/listd.dump"

# (b) Sisimai: one pass, each file parsed with Sisimai->make
cat > "$tmp/sisimai.pl" <<'EOF'
use strict; use warnings;
use Sisimai; use Time::HiRes qw(time);
my ($dir, $list) = @ARGV;
open my $fh, '<', $list or die; my @files = map { chomp; "$dir/$_" } <$fh>;
my $t0 = time; my @c0 = times; my $found = 0;
for my $f (@files) {
    my $r = Sisimai->make($f, 'delivered' => 1);
    $found += scalar @$r if $r;
}
my $dt = time - $t0; my @c1 = times;
my $cpu = ($c1[0] + $c1[1]) - ($c0[0] + $c0[1]);
printf "sisimai messages=%d seconds=%.3f cpu_seconds=%.3f msgs_per_sec=%.1f msgs_per_cpu_sec=%.1f results=%d\n",
    scalar @files, $dt, $cpu, @files / $dt, @files / $cpu, $found;
EOF
t0=$(now)
perl "$tmp/sisimai.pl" "$bounces" "$tmp/files" > "$tmp/sisimai.out" 2>/dev/null
t1=$(now)
sisimai_rate=$(sed -n 's/.* msgs_per_sec=\([0-9.]*\).*/\1/p' "$tmp/sisimai.out")
sisimai_cpu=$(sed -n 's/.*msgs_per_cpu_sec=\([0-9.]*\).*/\1/p' "$tmp/sisimai.out")
sisimai_wall=$(echo "$t1 - $t0" | bc -l)

# (c) flufl.bounce: one pass, scan_message + all_failures per file
cat > "$tmp/flufl_bench.py" <<'EOF'
import email, sys, time
from email import policy
from flufl.bounce import scan_message, all_failures
d, lst, out = sys.argv[1], sys.argv[2], sys.argv[3]
files = [l.strip() for l in open(lst)]
data = [open(d + "/" + f, "rb").read() for f in files]
t0 = time.perf_counter()
c0 = time.process_time()
found = {}
for f, raw in zip(files, data):
    addrs = set()
    try:
        msg = email.message_from_bytes(raw)
        addrs |= set(scan_message(msg))
        perm, temp = all_failures(msg)
        addrs |= set(perm) | set(temp)
    except Exception:
        pass
    found[f] = {a.decode("utf-8", "replace").lower() if isinstance(a, bytes) else str(a).lower()
                for a in addrs}
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
with open(out, "w") as o:
    for f in files:
        for a in sorted(found[f]) or ["-"]:
            o.write(f"{f}\t{a}\n")
print(f"flufl messages={len(files)} seconds={dt:.3f} cpu_seconds={cpu:.3f} "
      f"msgs_per_sec={len(files) / dt:.1f} msgs_per_cpu_sec={len(files) / cpu:.1f}")
EOF
t0=$(now)
/usr/bin/python3 "$tmp/flufl_bench.py" "$bounces" "$tmp/files" "$tmp/flufl.dump" > "$tmp/flufl.out" 2>"$tmp/flufl.err" || { cat "$tmp/flufl.err"; exit 1; }
t1=$(now)
flufl_rate=$(sed -n 's/.* msgs_per_sec=\([0-9.]*\).*/\1/p' "$tmp/flufl.out")
flufl_cpu=$(sed -n 's/.*msgs_per_cpu_sec=\([0-9.]*\).*/\1/p' "$tmp/flufl.out")
flufl_wall=$(echo "$t1 - $t0" | bc -l)

# recipient agreement on the same rows
cat > "$tmp/agree.py" <<'EOF'
import sys
exp, ours, flufl = sys.argv[1:4]
def load(path, col):
    m = {}
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        m.setdefault(p[0], set()).add(p[col])
    return m
o, f = load(ours, 2), load(flufl, 1)
rows = [l.rstrip("\n").split("\t") for l in open(exp)][1:]
named = [r for r in rows if r[2] != "-"]
def score(m, subset):
    return sum(1 for r in subset if r[2] in m.get(r[0], set()))
for label, subset in (("all rows naming an address", named),
                      ("flufl.bounce's own rows", [r for r in named if r[6].startswith("flufl:")])):
    print(f"{label:30s} rows={len(subset):4d}  listd={100.0 * score(o, subset) / len(subset):5.1f}%"
          f"  flufl.bounce={100.0 * score(f, subset) / len(subset):5.1f}%")
EOF

# (d) all three sets: whole-process speed and accuracy, listd and Sisimai
sets="bounces bounces-unseen bounces-more"
: > "$tmp/all.files"
for set in $sets; do
	[ -f "$corpus/$set/expected.tsv" ] || continue
	ls "$corpus/$set" | grep -v '^expected\.tsv$' | sort | sed "s|^|$corpus/$set/|" >> "$tmp/all.files"
	"$check" --dump "$corpus" "$set" > "$tmp/listd.$set.dump"
done
nall=$(wc -l < "$tmp/all.files")
# the CPU time of a whole command and its children (start-up included),
# steadier than its wall time on a shared machine
cpu_of() {
	/usr/bin/python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % (r.ru_utime + r.ru_stime))' "$@"
}
t0=$(now)
if [ -x "$listadm" ]; then
	xargs "$listadm" bounce parse < "$tmp/all.files" > /dev/null
	listd_all_cpu=$(cpu_of xargs -a "$tmp/all.files" "$listadm" bounce parse)
else
	for set in $sets; do "$check" --bench 0 "$corpus" "$set" > /dev/null; done
	listd_all_cpu=0
fi
t1=$(now)
listd_all_wall=$(echo "$t1 - $t0" | bc -l)
cat > "$tmp/sisimai_dump.pl" <<'EOF2'
use strict; use warnings;
use Sisimai;
my ($list, $out) = @ARGV;
open my $fh, '<', $list or die; my @files = map { chomp; $_ } <$fh>;
open my $o, '>', $out or die;
for my $f (@files) {
    my ($name) = $f =~ m{([^/]+)\z};
    my $r = Sisimai->make($f, 'delivered' => 1);
    if (!$r || !@$r) { print $o "$name\tnot-bounce\t-\t-\t-\t-\n"; next; }
    my $all_delivered = !grep { $_->reason ne 'delivered' } @$r;
    for my $e (@$r) {
        my $reason = $e->reason // '';
        my $kind = $reason eq 'vacation' ? 'autoreply' : $reason eq 'feedback' ? 'feedback' :
                   $all_delivered ? 'not-bounce' : 'dsn';
        next if $reason eq 'delivered' && !$all_delivered;
        my $sb = $e->softbounce // '';
        my $hard = ($sb eq '1') ? '0' : ($sb eq '0') ? '1' : '-';
        $hard = '-' if $reason =~ /\A(?:vacation|feedback|delivered|undefined|onhold)\z/;
        my $rcpt = lc($e->recipient->address // '') || '-';
        my $st = $e->deliverystatus || '-';
        print $o join("\t", $name, $kind, $rcpt, $st, $hard, $reason || '-'), "\n";
    }
}
EOF2
t0=$(now)
perl "$tmp/sisimai_dump.pl" "$tmp/all.files" "$tmp/sisimai.all.dump" 2>/dev/null
t1=$(now)
sisimai_all_wall=$(echo "$t1 - $t0" | bc -l)
sisimai_all_cpu=$(cpu_of perl "$tmp/sisimai_dump.pl" "$tmp/all.files" "$tmp/sisimai.cpu.dump")
cat > "$tmp/score.py" <<'EOF2'
import sys
set_name, exp_path = sys.argv[1], sys.argv[2]
dumps = dict(zip(("listd", "Sisimai"), sys.argv[3:5]))
COLS = ("rcpt", "kind", "hard", "status", "reason")
def load(path):
    m = {}
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        if len(p) >= 6:
            m.setdefault(p[0], []).append(p)
    return m
rows = [l.rstrip("\n").split("\t") for l in open(exp_path)][1:]
res = {k: load(v) for k, v in dumps.items()}
def judge(entries, r):
    f, kind, rcpt, status, hard, reason, source = r
    got_kind = entries[0][1] if entries else "not-bounce"
    if rcpt == "-":
        e = entries[0] if entries and entries[0][2] != "-" or (entries and len(entries)) else None
        e = entries[0] if entries else None
    else:
        e = next((x for x in entries if x[2] == rcpt), None)
    out = {"kind": got_kind == kind}
    out["rcpt"] = out["kind"] if rcpt == "-" else e is not None
    if status != "-" and (set_name != "bounces-more" or source.startswith("sisimai")):
        out["status"] = e is not None and e[3] == status
    if hard != "-":
        out["hard"] = e is not None and e[4] == hard
    if reason != "-":
        out["reason"] = e is not None and e[5] == reason
    return out
tot = {k: {c: [0, 0] for c in COLS} for k in dumps}
fam = {}
for r in rows:
    src = r[6]
    family = src.split(":")[0] if not src.startswith("sisimai") else src
    for k in dumps:
        o = judge(res[k].get(r[0], []), r)
        f = fam.setdefault(family, {kk: {c: [0, 0] for c in COLS} for kk in dumps})
        for c, ok in o.items():
            tot[k][c][1] += 1; tot[k][c][0] += ok
            f[k][c][1] += 1; f[k][c][0] += ok
def pct(h):
    return f"{100.0 * h[0] / h[1]:5.1f}" if h[1] else "    -"
print(f"set {set_name}: {len(rows)} rows")
print(f"  {'parser':10s}" + "".join(f" {c:>7s}" for c in COLS))
for k in dumps:
    print(f"  {k:10s}" + "".join(f" {pct(tot[k][c]):>7s}" for c in COLS) +
          "   (rows judged: " + " ".join(str(tot[k][c][1]) for c in COLS) + ")")
print(f"  per source family (listd / Sisimai, percent; '-' where the key declares nothing):")
print(f"  {'family':34s} {'rows':>4s}" + "".join(f" {c:>13s}" for c in COLS))
for family in sorted(fam):
    n = sum(1 for r in rows if (r[6].split(':')[0] if not r[6].startswith('sisimai') else r[6]) == family)
    cells = "".join(f" {pct(fam[family]['listd'][c]) + '/' + pct(fam[family]['Sisimai'][c]):>13s}" for c in COLS)
    print(f"  {family:34s} {n:4d}{cells}")
EOF2

echo "corpus: $n messages ($bounces)"
echo
printf '%-14s %12s %12s %10s %12s %10s\n' parser "msgs/s" "msgs/cpu-s" "wall (s)" "vs Sisimai" "(cpu)"
printf '%-14s %12.0f %12.0f %10.2f %11.0fx %9.0fx\n' listd "$listd_rate" "$listd_cpu" "$listd_wall" \
	"$(echo "$listd_rate / $sisimai_rate" | bc -l)" "$(echo "$listd_cpu / $sisimai_cpu" | bc -l)"
printf '%-14s %12.1f %12.1f %10.2f %11.1fx %9.1fx\n' Sisimai "$sisimai_rate" "$sisimai_cpu" "$sisimai_wall" 1 1
printf '%-14s %12.1f %12.1f %10.2f %11.1fx %9.1fx\n' flufl.bounce "$flufl_rate" "$flufl_cpu" "$flufl_wall" \
	"$(echo "$flufl_rate / $sisimai_rate" | bc -l)" "$(echo "$flufl_cpu / $sisimai_cpu" | bc -l)"
echo "msgs/s and msgs/cpu-s: the parsing loop only, timed inside each tool (wall clock and"
echo "process CPU time; CPU time is the steadier figure on a shared machine); wall: one whole"
echo "command over every file, start-up included"
echo "(listd wall: $listd_cmd; Sisimai: perl + Sisimai->make per file; flufl: python3 + scan_message/all_failures)"
echo
echo "recipient agreement with expected.tsv:"
/usr/bin/python3 "$tmp/agree.py" "$bounces/expected.tsv" "$tmp/listd.dump" "$tmp/flufl.dump"
echo
echo "whole process over all three sets ($nall messages, start-up included):"
printf '  %-10s %10s %12s %10s %12s\n' parser "wall (s)" "msgs/s" "cpu (s)" "msgs/cpu-s"
printf '  %-10s %10.2f %12.0f %10.3f %12.0f\n' listd "$listd_all_wall" \
	"$(echo "$nall / $listd_all_wall" | bc -l)" "$listd_all_cpu" \
	"$(echo "if ($listd_all_cpu > 0) $nall / $listd_all_cpu else 0" | bc -l)"
printf '  %-10s %10.2f %12.0f %10.3f %12.0f\n' Sisimai "$sisimai_all_wall" \
	"$(echo "$nall / $sisimai_all_wall" | bc -l)" "$sisimai_all_cpu" \
	"$(echo "if ($sisimai_all_cpu > 0) $nall / $sisimai_all_cpu else 0" | bc -l)"
echo "  (listd: $listd_cmd over every file of the three sets; Sisimai: one perl"
echo "   process, Sisimai->make per file)"
echo
echo "accuracy per set, listd next to Sisimai $(perl -MSisimai -e 'print $Sisimai::VERSION' 2>/dev/null) in this run:"
for set in $sets; do
	[ -f "$corpus/$set/expected.tsv" ] || continue
	/usr/bin/python3 "$tmp/score.py" "$set" "$corpus/$set/expected.tsv" \
		"$tmp/listd.$set.dump" "$tmp/sisimai.all.dump"
done
