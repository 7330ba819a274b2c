#!/usr/bin/env bash
# What balance streams cost: the same loads against settled (journal on, its embedded Redis
# at appendfsync everysec, Redis publishing on) with 0, 100 and 1,000 subscriber connections
# attached. Each subscriber follows SETTLE_BENCH_SUBSCRIBER_ACCOUNTS players drawn uniformly
# from the load's population plus one partner's totals; one thread of settle-loadgen drains
# them all with poll().
#
# Runs per subscriber count, each after SETTLE_BENCH_WARMUP_S unmeasured seconds:
#   a  closed loop, 4 connections x depth 64 (throughput)
#   c  open loop at half of the rate of (a) with no subscribers (latency at a fixed load)
#
# Usage: bench/subscribers.sh [SECONDS]   (measured seconds per run, default 10)
# Environment:
#   SETTLE_BENCH_ACCOUNTS               players (default 1000000)
#   SETTLE_BENCH_SUBSCRIBER_ACCOUNTS    players per subscriber (default 10)
#   SETTLE_BENCH_WARMUP_S               unmeasured seconds before each run (default 3)
#   SETTLE_BENCH_RESULTS                JSON lines (default bench/results/subscribers.jsonl)
#   SETTLE_BENCH_SKIP_BUILD=1           use ./build as it is
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
accounts="${SETTLE_BENCH_ACCOUNTS:-1000000}"
per_subscriber="${SETTLE_BENCH_SUBSCRIBER_ACCOUNTS:-10}"
warmup="${SETTLE_BENCH_WARMUP_S:-3}"
results="${SETTLE_BENCH_RESULTS:-bench/results/subscribers.jsonl}"

die() { echo "subscribers.sh: $*" >&2; exit 1; }
# shellcheck source=bench/settled_server.sh
. bench/settled_server.sh

build_unless_skipped

work=$(mktemp -d /tmp/settle-subscribers-XXXXXX)
settled_pid=
cleanup() {
  set +e
  if [ -n "$settled_pid" ]; then kill "$settled_pid" 2>/dev/null; wait "$settled_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export SETTLE_ADMIN_TOKEN="subscribers-$RANDOM$RANDOM"
# 1,000 subscribers plus the load: more descriptors than the usual default of 1024.
ulimit -n 8192 2>/dev/null || true

mkdir -p "$(dirname "$results")"
: >"$results"
last_tps=0

# run_load RUN SUBSCRIBERS LOADGEN-ARGS...: one load; appends its JSON line to $results.
run_load() {
  local run="$1" subs="$2" out
  shift 2
  echo ">> $run with $subs subscribers" >&2
  if ! out=$("$loadgen" --json --target settle --connect "$settle_addr" --accounts "$accounts" \
      --duration-s "$seconds" --warmup-s "$warmup" --subscribers "$subs" \
      --subscriber-accounts "$per_subscriber" "$@" 2>"$work/loadgen.err"); then
    show_log "$work/loadgen.err"
    die "load '$run' with $subs subscribers failed"
  fi
  out=$(RUN="$run" SUBS="$subs" python3 -c '
import json, os, sys
r = json.loads(sys.stdin.read())
r.setdefault("subscribers", int(os.environ["SUBS"]))
print(json.dumps({"run": os.environ["RUN"], **r}, separators=(",", ":")))' <<<"$out")
  echo "$out" >>"$results"
  last_tps=$(python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["throughput_per_s"])' <<<"$out")
}

start_settle --max-connections 2048
rate=0
for subs in 0 100 1000; do
  run_load "a: closed 4x64" "$subs" --connections 4 --depth 64
  [ "$subs" = 0 ] && rate=$(python3 -c "print(max(1, round($last_tps / 2)))")
  run_load "c: open $rate/s" "$subs" --connections 4 --depth 256 --rate "$rate"
done
stop_settle

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/{print $2}') GiB;" \
  "load generator, settled, Redis and the subscribers on this machine"
echo "$accounts accounts, $per_subscriber players + 1 partner per subscriber, $seconds s measured after $warmup s warm-up per run"
python3 - "$results" <<'PY'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
base = {r["run"][:1]: r["throughput_per_s"] for r in rows if r.get("subscribers", 0) == 0}
header = ("run", "subscribers", "tx/s", "vs 0 subscribers", "p50 ms", "p99 ms", "p99.9 ms",
          "events/s", "closed", "errors")
successes = {"applied", "duplicate", "noop"}
table = []
for r in rows:
    errors = {k: v for k, v in r["outcomes"].items() if k not in successes}
    b = base.get(r["run"][:1])
    table.append((r["run"], r.get("subscribers", 0), f'{r["throughput_per_s"]:,.0f}',
                  f'{r["throughput_per_s"] / b:.2f}' if b else "-",
                  f'{r["p50_us"] / 1000:.2f}', f'{r["p99_us"] / 1000:.2f}',
                  f'{r["p999_us"] / 1000:.2f}', f'{r.get("events_per_s", 0):,.0f}',
                  len(r.get("subscribers_closed", [])),
                  " ".join(f"{k}={v}" for k, v in sorted(errors.items())) or "0"))
widths = [max(len(str(row[i])) for row in table + [header]) for i in range(len(header))]
for row in [header] + table:
    print("  ".join(str(c).rjust(w) if i in range(1, 9) else str(c).ljust(w)
                    for i, (c, w) in enumerate(zip(row, widths))).rstrip())
PY
