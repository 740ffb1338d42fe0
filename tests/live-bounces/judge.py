#!/usr/bin/python3
# tests/live-bounces/judge.py LISTADM CASES MISSES INBOX MTA... — runs the
# bounce engine (`listadm bounce parse`) on every report rx.py kept in INBOX
# and compares each with its label (CASES). A report is labelled by the
# envelope recipient it came back to (bounces-MTA-CASE@origin.test), never
# by its content. Prints one table per MTA (one line per expected entry and
# report) and a summary per MTA and column; every miss is printed.
#
# MISSES lists misses known today, one "MTA CASE RCPT COLUMN" a line ("*"
# matches any MTA; columns: dsns rcpt kind status hard reason): those are
# printed as "known" and do not fail the run; a listed miss that no longer
# happens is printed as "now right" (the list should lose that line).
# Cases named in $LIVE_SKIP_CASES are left out.
# Exit 0 when every miss is listed, 1 otherwise, 2 on a broken input.
import collections
import json
import os
import subprocess
import sys

listadm, cases_path, misses_path, inbox = sys.argv[1:5]
mtas = sys.argv[5:]
COLS = ('rcpt', 'kind', 'status', 'hard', 'reason')

cases = collections.OrderedDict()       # case -> {'dsns': n, 'rows': {mta: [...]}}
for line in open(cases_path):
    if not line.strip() or line.startswith('#'):
        continue
    f = line.rstrip('\n').split('\t')
    if len(f) != 9:
        print('judge: bad line in %s: %r' % (cases_path, line))
        sys.exit(2)
    case, _to, dsns, rcpt, kind, status, hard, reason, mta = f
    if case in os.environ.get('LIVE_SKIP_CASES', '').split():
        continue
    c = cases.setdefault(case, {'dsns': int(dsns), 'rows': {}})
    c['rows'].setdefault(mta, []).append({'rcpt': rcpt, 'kind': kind, 'status': status,
                                          'hard': hard, 'reason': reason})

known = set()
for line in open(misses_path):
    line = line.split('#', 1)[0].split()
    if line:
        if len(line) != 4:
            print('judge: bad line in %s: %r' % (misses_path, ' '.join(line)))
            sys.exit(2)
        known.add(tuple(line))


def is_known(mta, case, rcpt, col):
    return (mta, case, rcpt, col) in known or ('*', case, rcpt, col) in known


# reports per (mta, case), in the order they arrived
reports = collections.defaultdict(list)
names = sorted((n for n in os.listdir(inbox) if n.endswith('.eml')),
               key=lambda n: int(n.split('.')[0]))
for n in names:
    env = open(os.path.join(inbox, n[:-4] + '.env')).read().split('\n')
    for line in env:
        if line.startswith('rcpt='):
            local = line[5:].split('@')[0].lower()
            parts = local.split('-')
            if len(parts) == 3 and parts[0] == 'bounces':
                reports[(parts[1], parts[2])].append(os.path.join(inbox, n))

parsed = {}
files = [f for fs in reports.values() for f in fs]
if files:
    out = subprocess.run([listadm, 'bounce', 'parse'] + files, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        o = json.loads(line)
        parsed.setdefault(o['file'], []).append(o)


def got_of(entries, rcpt):
    """Our entry for rcpt in one report, as the table's columns."""
    kind = entries[0]['kind'] if entries else '-'
    for e in entries:
        if (e.get('recipient') or '').lower() == rcpt.lower():
            h = e.get('hard')
            return {'rcpt': rcpt, 'kind': kind, 'status': e.get('status') or '-',
                    'hard': '-' if h is None else ('1' if h else '0'),
                    'reason': e.get('reason') or '-'}
    return {'rcpt': '(none)', 'kind': kind, 'status': '-', 'hard': '-', 'reason': '-'}


fail = 0
tot = collections.defaultdict(lambda: collections.Counter())
bad = collections.defaultdict(lambda: collections.Counter())
agreed, missed = set(), set()
for mta in mtas:
    print('# %s' % mta)
    print('#   %-9s %-20s %-27s %-40s %s' % ('case', 'recipient', 'want kind/status/hard/reason',
                                              'got', 'verdict'))
    for case, c in cases.items():
        got_reports = reports.get((mta, case), [])
        checks = []                     # (col, ok, rcpt, line)
        ok = len(got_reports) >= c['dsns']
        checks.append(('dsns', ok, '-', 'reports: %d of %d' % (len(got_reports), c['dsns'])))
        for r in c['rows'].get(mta, c['rows'].get('*', [])):
            for k, f in enumerate(got_reports):
                g = got_of(parsed.get(f, []), r['rcpt'])
                want = '%s %s %s %s' % (r['kind'], r['status'], r['hard'], r['reason'])
                have = '%s %s %s %s %s' % (g['rcpt'] if g['rcpt'] != r['rcpt'] else '',
                                           g['kind'], g['status'], g['hard'], g['reason'])
                line = '%-20s %-27s %-40s' % (r['rcpt'] if k == 0 else '  (report %d)' % (k + 1),
                                             want if k == 0 else '', have.strip())
                if r['kind'] == 'absent':
                    checks.append(('rcpt', g['rcpt'] == '(none)', r['rcpt'], line))
                    continue
                for col in COLS:
                    w = r[col]
                    if w == '-':
                        continue
                    # "a|b": the case's reports may differ (a delay warning,
                    # then the final report), each saying one of them
                    checks.append((col, g[col] in w.split('|'), r['rcpt'], line))
        lines = collections.OrderedDict()
        for col, ok, rcpt, line in checks:
            tot[mta][col] += 1
            v = lines.setdefault(line, [])
            if ok:
                if is_known(mta, case, rcpt, col):
                    agreed.add((mta, case, rcpt, col))
                continue
            missed.add((mta, case, rcpt, col))
            bad[mta][col] += 1
            if is_known(mta, case, rcpt, col):
                v.append('known miss: %s' % col)
            else:
                v.append('MISS: %s' % col)
                fail = 1
        for line, v in lines.items():
            print('    %-9s %s %s' % (case, line, '; '.join(v) if v else 'ok'))
    print()

print('# summary: agreeing checks per column (misses listed above)')
print('#   %-10s %s' % ('mta', '  '.join('%-12s' % c for c in ('dsns',) + COLS)))
for mta in mtas:
    cells = []
    for col in ('dsns',) + COLS:
        t = tot[mta][col]
        cells.append('%-12s' % ('%d/%d' % (t - bad[mta][col], t)))
    print('    %-10s %s' % (mta, '  '.join(cells)))
for k in sorted(agreed - missed):
    print('# now right (remove from expected-misses): %s' % ' '.join(k))
sys.exit(fail)
