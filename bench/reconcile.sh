#!/usr/bin/env bash
# settlectl reconcile end to end on a period of ROWS transactions (issue 12: 1,000,000 rows
# reconcile in seconds, not minutes). One run:
#
#   load       settle-reconcile-load applies ROWS bets and wins of partner prov0 (contract
#              from [[partners]]) and writes prov0's report CSV with planted differences
#              (PLANTED rows left out, PLANTED amounts changed, PLANTED unknown ids)
#   close      settlectl close: the barrier and the journal read of the whole period
#   reconcile  settlectl reconcile on the CSV: parse, stream in chunks, compare in the
#              engine, print the differences (exit 1: something differs, as planted)
#   peer       the same comparison by a hand-written script (Python: both CSVs into
#              dicts) given the engine's side as a CSV too, the way an operator without
#              the engine would do it
#
# Usage: bench/reconcile.sh [ROWS] [PLANTED]   (defaults 1000000, 10)
# Environment: SETTLE_BENCH_SKIP_BUILD=1 (use ./build as it is).
set -euo pipefail
cd "$(dirname "$0")/.."

rows="${1:-1000000}"
planted="${2:-10}"

die() { echo "reconcile.sh: $*" >&2; exit 1; }
# shellcheck source=bench/settled_server.sh
. bench/settled_server.sh
build_unless_skipped
settlectl=./build/client/settlectl
load=./build/bench/settle-reconcile-load
[ -x "$settlectl" ] && [ -x "$load" ] || die "no $settlectl or $load: ./scripts/build.sh build"

work=$(mktemp -d /tmp/settle-reconcile-XXXXXX)
settled_pid=
cleanup() {
  set +e
  if [ -n "$settled_pid" ]; then kill "$settled_pid" 2>/dev/null; wait "$settled_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export SETTLE_ADMIN_TOKEN="st-$RANDOM$RANDOM"
cat >"$work/partners.toml" <<'TOML'
[[partners]]
partner = "prov0"
kind = "provider"
currency = "EUR"
cycle = "monthly"
day = "last"
share_bps = 2500
TOML

now_s() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

start_settle --config "$work/partners.toml"
echo ">> load: $rows transactions of prov0" >&2
t0=$(now_s)
"$load" --connect "$settle_addr" --partner prov0 --rows "$rows" --planted "$planted" \
  --csv "$work/report.csv" --truth "$work/engine.csv" >/dev/null
t1=$(now_s)
echo ">> close" >&2
"$settlectl" --connect "$settle_addr" close --partner prov0 >&2
t2=$(now_s)
echo ">> reconcile" >&2
status=0
"$settlectl" --connect "$settle_addr" reconcile --partner prov0 --period 1 "$work/report.csv" \
  >"$work/reconcile.out" 2>&1 || status=$?
t3=$(now_s)
head -n 12 "$work/reconcile.out" >&2
[ "$status" = 1 ] || die "settlectl reconcile exited $status, expected 1 (planted differences)"
for want in "matched *$((rows - 2 * planted))" "missing_in_engine *$planted" \
    "missing_in_report *$planted" "mismatched *$planted"; do
  grep -Eq "^ *$want\b" "$work/reconcile.out" || die "the summary has no '$want'"
done
echo ">> peer: a Python script over both CSVs" >&2
t4=$(now_s)
python3 - "$work/engine.csv" "$work/report.csv" <<'PY' >&2
import csv, sys
def rows(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        return {row[0]: (row[1], int(row[2]), row[3]) for row in r}
engine, report = rows(sys.argv[1]), rows(sys.argv[2])
matched = sum(1 for k, v in report.items() if engine.get(k) == v)
mismatched = sum(1 for k, v in report.items() if k in engine and engine[k] != v)
print(f"   peer: matched {matched}, missing_in_engine {sum(1 for k in report if k not in engine)},"
      f" missing_in_report {sum(1 for k in engine if k not in report)}, mismatched {mismatched}")
PY
t5=$(now_s)
stop_settle

load_s=$(elapsed "$t0" "$t1")
close_s=$(elapsed "$t1" "$t2")
reconcile_s=$(elapsed "$t2" "$t3")
peer_s=$(elapsed "$t4" "$t5")
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $rows rows in one period, $planted differences of each kind"
python3 - "$rows" "$load_s" "$close_s" "$reconcile_s" "$peer_s" <<'PY'
import sys
rows, load, close, rec, peer = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f'{"step":<30} {"seconds":>8} {"rows/s":>12}')
for name, s in (("load (apply, pipelined)", load), ("settlectl close", close),
                ("settlectl reconcile", rec), ("peer: Python dict compare", peer)):
    print(f'{name:<30} {s:>8.2f} {rows / s:>12,.0f}')
print(f'reconcile / peer time: {rec / peer:.2f}')
PY
