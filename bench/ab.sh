#!/usr/bin/env bash
# Two builds of settled, before and after a change, with bench/compare.sh's closed-loop loads,
# in one run: the machine is shared and noisy, so the two alternate round by round (a slow
# minute hurts both) and the figure is the ratio of their medians. The Redis-Lua wallet of
# compare.sh runs once per load as the peer the ratios are usually quoted against.
#
#   a  closed loop, 4 connections x depth 64 (pipelined peak)
#   b  closed loop, 64 connections x depth 1 (request/response)
#
# Usage: bench/ab.sh BEFORE_SETTLED AFTER_SETTLED [SECONDS] [ROUNDS]
#   SECONDS measured per run (default 10), ROUNDS rounds of before/after per load (default 3).
#   Build BEFORE from another checkout, e.g.:
#     git worktree add --detach /tmp/before <commit> && cmake -S /tmp/before -B /tmp/before/build \
#       -G Ninja && cmake --build /tmp/before/build --target settled
# Environment: SETTLE_BENCH_ACCOUNTS (default 1000000), SETTLE_BENCH_WARMUP_S (default 3),
#   SETTLE_BENCH_RESULTS (JSON lines, default bench/results/ab.jsonl), SETTLE_BENCH_SKIP_BUILD=1
#   (use ./build as it is for the load generator).
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
before="$1"
after="$2"
seconds="${3:-10}"
rounds="${4:-3}"
accounts="${SETTLE_BENCH_ACCOUNTS:-1000000}"
warmup="${SETTLE_BENCH_WARMUP_S:-3}"
results="${SETTLE_BENCH_RESULTS:-bench/results/ab.jsonl}"

die() { echo "ab.sh: $*" >&2; exit 1; }
# shellcheck source=bench/settled_server.sh
. bench/settled_server.sh
build_unless_skipped
[ -x "$before" ] && [ -x "$after" ] || die "no $before or $after"

work=$(mktemp -d /tmp/settle-ab-XXXXXX)
settled_pid=
redis_pid=
cleanup() {
  set +e
  if [ -n "$settled_pid" ]; then kill "$settled_pid" 2>/dev/null; wait "$settled_pid" 2>/dev/null; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export SETTLE_ADMIN_TOKEN="ab-$RANDOM$RANDOM"  # the load generator opens its accounts

mkdir -p "$(dirname "$results")"
: >"$results"

# measure LABEL RUN LOADGEN-ARGS...: one load, its JSON line (label and run added) appended.
measure() {
  local label="$1" run="$2" out
  shift 2
  echo ">> $run: $label" >&2
  out=$("$loadgen" --json --accounts "$accounts" --duration-s "$seconds" --warmup-s "$warmup" \
    "$@" 2>"$work/loadgen.err") || { show_log "$work/loadgen.err"; die "load $run on $label failed"; }
  LABEL="$label" RUN="$run" python3 -c '
import json, os, sys
r = json.loads(sys.stdin.read())
print(json.dumps({"label": os.environ["LABEL"], "run": os.environ["RUN"], **r}))' <<<"$out" \
    >>"$results"
}

# settle_round LABEL BINARY: a fresh engine (journal on, embedded Redis), loads a and b.
settle_round() {
  settled="$2"
  rm -rf "$work/settle"
  start_settle
  measure "$1" a --target settle --connect "$settle_addr" --connections 4 --depth 64
  measure "$1" b --target settle --connect "$settle_addr" --connections 64 --depth 1
  stop_settle
}

for ((i = 1; i <= rounds; ++i)); do
  # Alternate which goes first, so neither always runs on a warmer (or busier) machine.
  if ((i % 2)); then settle_round before "$before"; settle_round after "$after"
  else settle_round after "$after"; settle_round before "$before"; fi
done

start_redis
measure redis-lua a --target redis-lua --redis "$redis_addr" --connections 4 --depth 64
measure redis-lua b --target redis-lua --redis "$redis_addr" --connections 64 --depth 1
stop_redis

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $accounts accounts, $seconds s per run after" \
  "$warmup s warm-up, $rounds rounds alternating; JSON lines: $results"
python3 - "$results" <<'EOF'
import json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def runs(label, run):
    return [r["throughput_per_s"] for r in rows if r["label"] == label and r["run"] == run]
def p99(label, run):
    return statistics.median(r["p99_us"] for r in rows if r["label"] == label and r["run"] == run)
print(f'{"load":<16} {"before tx/s (median)":>22} {"after tx/s (median)":>22} {"after/before":>13}'
      f' {"before/lua":>11} {"after/lua":>10} {"p99 ms b/a":>14}')
for run, name in (("a", "a: closed 4x64"), ("b", "b: closed 64x1")):
    b, a, lua = runs("before", run), runs("after", run), runs("redis-lua", run)
    mb, ma = statistics.median(b), statistics.median(a)
    ml = statistics.median(lua) if lua else float("nan")
    print(f'{name:<16} {mb:>22,.0f} {ma:>22,.0f} {ma / mb:>13.3f} {mb / ml:>11.2f} {ma / ml:>10.2f}'
          f' {p99("before", run) / 1000:>6.2f}/{p99("after", run) / 1000:<6.2f}')
    print(f'{"":<16} {"runs: " + " ".join(f"{x:,.0f}" for x in b):>22}'
          f' {"runs: " + " ".join(f"{x:,.0f}" for x in a):>22}')
EOF
