#!/usr/bin/env bash
# One partner taking the engine's whole peak, with and without a settlement contract, in one
# run (issue 12: live period totals must not make that partner a hot spot). Every bet, win
# and rollback of the load names partner prov0 (loadgen --partners 1). Rounds alternate:
#
#   plain     prov0 has no contract (totals only, as before settlement)
#   settled   prov0 has a contract ([[partners]]); its period is closed every CLOSE_S seconds
#             during the measured run (settlectl close), so barriers and journal reads run
#             under the load
#
# and the Redis-Lua wallet takes the same load once, as the peer. Load: closed loop, 4
# connections x depth 64 (the pipelined peak).
#
# Usage: bench/settlement.sh [SECONDS] [ROUNDS] [CLOSE_S]   (defaults 10, 3, 2)
# Environment: SETTLE_BENCH_ACCOUNTS (default 100000), SETTLE_BENCH_WARMUP_S (default 3),
#   SETTLE_BENCH_RESULTS (JSON lines, default bench/results/settlement.jsonl),
#   SETTLE_BENCH_SKIP_BUILD=1 (use ./build as it is).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
rounds="${2:-3}"
close_s="${3:-2}"
accounts="${SETTLE_BENCH_ACCOUNTS:-100000}"
warmup="${SETTLE_BENCH_WARMUP_S:-3}"
results="${SETTLE_BENCH_RESULTS:-bench/results/settlement.jsonl}"

die() { echo "settlement.sh: $*" >&2; exit 1; }
# shellcheck source=bench/settled_server.sh
. bench/settled_server.sh
build_unless_skipped
settlectl=./build/client/settlectl
[ -x "$settlectl" ] || die "no $settlectl: ./scripts/build.sh build"

work=$(mktemp -d /tmp/settle-settlement-XXXXXX)
settled_pid=
redis_pid=
closer_pid=
cleanup() {
  set +e
  [ -n "$closer_pid" ] && kill "$closer_pid" 2>/dev/null
  if [ -n "$settled_pid" ]; then kill "$settled_pid" 2>/dev/null; wait "$settled_pid" 2>/dev/null; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export SETTLE_ADMIN_TOKEN="st-$RANDOM$RANDOM"
mkdir -p "$(dirname "$results")"
: >"$results"
cat >"$work/partners.toml" <<'TOML'
[[partners]]
partner = "prov0"
kind = "provider"
currency = "EUR"
cycle = "daily"
share_bps = 2500
TOML

measure() {
  local label="$1" out
  shift
  echo ">> $label" >&2
  out=$("$loadgen" --json --accounts "$accounts" --partners 1 --currencies 1 \
    --duration-s "$seconds" --warmup-s "$warmup" --connections 4 --depth 64 "$@" \
    2>"$work/loadgen.err") || { show_log "$work/loadgen.err"; die "load on $label failed"; }
  LABEL="$label" python3 -c '
import json, os, sys
r = json.loads(sys.stdin.read())
print(json.dumps({"label": os.environ["LABEL"], **r}))' <<<"$out" >>"$results"
}

# closes LOOPS: closes prov0's period every close_s seconds, counting what it did.
closes() {
  local ok=0
  for ((k = 0; k < $1; ++k)); do
    sleep "$close_s"
    "$settlectl" --connect "$settle_addr" close --partner prov0 >/dev/null 2>>"$work/closes.err" &&
      ok=$((ok + 1))
  done
  echo "$ok" >"$work/closes.ok"
}

# A fresh data directory per round (start_settle uses $work/settle): the last round's
# embedded Redis may still be shutting down in the old one.
fresh_dir() {
  [ -e "$work/settle" ] && mv "$work/settle" "$work/old-$RANDOM$RANDOM"
  true
}

plain_round() {
  fresh_dir
  start_settle
  measure plain --target settle --connect "$settle_addr"
  stop_settle
}

settled_round() {
  fresh_dir
  start_settle --config "$work/partners.toml"
  local loops
  loops=$(python3 -c "print(int(($seconds + $warmup) / $close_s))")
  closes "$loops" &
  closer_pid=$!
  measure settled --target settle --connect "$settle_addr"
  wait "$closer_pid" || true
  closer_pid=
  echo "   closes during the run: $(cat "$work/closes.ok" 2>/dev/null || echo 0) of $loops" >&2
  "$settlectl" --connect "$settle_addr" statements --partner prov0 >&2 || true
  stop_settle
}

for ((i = 1; i <= rounds; ++i)); do
  if ((i % 2)); then plain_round; settled_round; else settled_round; plain_round; fi
done
start_redis
measure redis-lua --target redis-lua --redis "$redis_addr"
stop_redis

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $accounts accounts, one partner, closed 4x64," \
  "$seconds s per run after $warmup s warm-up, $rounds rounds alternating, a close every" \
  "$close_s s in 'settled'; JSON lines: $results"
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(label, key="throughput_per_s"):
    return statistics.median(r[key] for r in rows if r["label"] == label)
p, s, l = med("plain"), med("settled"), med("redis-lua")
print(f'{"":<10} {"tx/s (median)":>14} {"p99 ms":>8} {"/plain":>7} {"/redis-lua":>11}')
for name, v in (("plain", p), ("settled", s), ("redis-lua", l)):
    print(f'{name:<10} {v:>14,.0f} {med(name, "p99_us") / 1000:>8.2f} {v / p:>7.3f} {v / l:>11.2f}')
PY
