#!/usr/bin/env bash
# Throughput and latency of settled with the journal off (in memory), and on with its
# embedded Redis at appendfsync everysec and always, measured in one run with the same load.
# Usage: bench/journal_bench.sh [DURATION_S]   (after ./scripts/build.sh build; prints a table)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
bin=./build
[ -x "$bin/app/settled" ] || { echo "build first: ./scripts/build.sh build"; exit 2; }
work=$(mktemp -d /tmp/settle-bench-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export SETTLE_ADMIN_TOKEN="bench-$RANDOM$RANDOM"

# run NAME LOADGEN-ARGS -- SETTLED-ARGS: one engine, one load, one JSON line in results.
results="$work/results.jsonl"
run() {
  local name="$1"; shift
  local load=()
  while [ "$1" != "--" ]; do load+=("$1"); shift; done
  shift
  rm -rf "$work/data"
  "$bin/app/settled" --listen 127.0.0.1:0 --data-dir "$work/data" --log-level warn "$@" \
    >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 300); do grep -q "listening on" "$work/out" && break; sleep 0.1; done
  local addr
  addr=$(sed -n 's/^settled listening on //p' "$work/out")
  [ -n "$addr" ] || { echo "settled did not start:"; cat "$work/err"; exit 1; }
  echo ">> $name" >&2
  # Uniform players isolate the journal's cost (hot players are the comparison's business).
  "$bin/bench/settle-loadgen" --connect "$addr" --duration-s "$duration" --warmup-s 3 \
    --accounts 10000 --zipf-s 0 --json "${load[@]}" | sed "s|^{|{\"run\":\"$name\",|" >>"$results"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

for mode in "in memory:--journal off" "journal, everysec:--journal on --redis-appendfsync everysec" \
            "journal, always:--journal on --redis-appendfsync always"; do
  name="${mode%%:*}"; flags="${mode#*:}"
  # shellcheck disable=SC2086
  run "$name, 4x64 pipelined" --connections 4 --depth 64 -- $flags
  # shellcheck disable=SC2086
  run "$name, 64x1 request/response" --connections 64 --depth 1 -- $flags
done

# One row per run, from the JSON lines (awk: nothing to install).
awk '
  function field(name,   m) {
    if (match($0, "\"" name "\":(\"[^\"]*\"|[^,}]*)")) {
      m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
      gsub(/"/, "", m)
      return m
    }
    return ""
  }
  BEGIN { printf "%-44s %9s %8s %8s %9s\n", "run", "tx/s", "p50 ms", "p99 ms", "p99.9 ms" }
  {
    printf "%-44s %9.0f %8.2f %8.2f %9.2f\n", field("run"), field("throughput_per_s"),
      field("p50_us") / 1000, field("p99_us") / 1000, field("p999_us") / 1000
  }' "$results"
