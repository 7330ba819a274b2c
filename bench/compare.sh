#!/usr/bin/env bash
# settled against the peers a buyer would build instead, with the same loads, side by side:
#   settle      settled, journal on, its embedded Redis at appendfsync everysec
#   redis-lua   a Lua wallet (bench/peers/wallet.lua) in a redis-server with appendonly yes,
#               appendfsync everysec
#   postgres    a PL/pgSQL ledger (bench/peers/ledger.sql) in PostgreSQL 15, one SQL
#               transaction per transaction, synchronous_commit on (WAL flushed before the
#               answer) and off (set per connection in the conninfo: options='-c ...')
# Each server is started here in a temporary directory on 127.0.0.1 with a free port, one at
# a time, and stopped (also on errors and Ctrl-C) before the next.
#
# Runs, each with SETTLE_BENCH_WARMUP_S unmeasured seconds first:
#   a  closed loop, 4 connections x depth 64 (pipelined peak)
#   b  closed loop, 64 connections x depth 1 (request/response)
#   c  open loop at half of settle's rate in (a), settle and redis-lua only (latency at a
#      load the engine carries easily)
#
# Usage: bench/compare.sh [SECONDS]   (measured seconds per run, default 10)
# Environment:
#   SETTLE_BENCH_ACCOUNTS       players (default 1000000)
#   SETTLE_BENCH_WARMUP_S       unmeasured seconds before each run (default 3)
#   SETTLE_BENCH_RESULTS        JSON lines, one per run (default bench/results/latest.jsonl)
#   SETTLE_BENCH_LOADGEN_ARGS   extra settle-loadgen options for every run, e.g. "--zipf-s 0"
#   SETTLE_BENCH_PG_OPTIONS     PostgreSQL server settings (default below)
#   SETTLE_BENCH_SKIP_BUILD=1   use ./build as it is (skips deps.sh and build.sh)
#   SETTLE_PG_BIN               PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
accounts="${SETTLE_BENCH_ACCOUNTS:-1000000}"
warmup="${SETTLE_BENCH_WARMUP_S:-3}"
results="${SETTLE_BENCH_RESULTS:-bench/results/latest.jsonl}"
read -r -a extra_args <<<"${SETTLE_BENCH_LOADGEN_ARGS:-}"
pg_bin="${SETTLE_PG_BIN:-/usr/lib/postgresql/15/bin}"
# What a buyer would set for a million accounts on a small machine: the working set in
# shared buffers, no checkpoint in the middle of a run. fsync stays on.
pg_options="${SETTLE_BENCH_PG_OPTIONS:--c shared_buffers=1GB -c max_wal_size=4GB -c checkpoint_timeout=30min -c max_connections=200}"

die() { echo "compare.sh: $*" >&2; exit 1; }
# shellcheck source=bench/settled_server.sh
. bench/settled_server.sh

build_unless_skipped
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
  die "redis-server or redis-cli missing: ./scripts/deps.sh"
[ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_ctl" ] ||
  die "PostgreSQL 15 not found in $pg_bin: ./scripts/deps.sh installs it (or set SETTLE_PG_BIN)"

work=$(mktemp -d /tmp/settle-compare-XXXXXX)
chmod 755 "$work"  # the postgres user must reach its directory inside
settled_pid=
redis_pid=
pg_data=
as_pg=()
cleanup() {
  set +e
  if [ -n "$settled_pid" ]; then kill "$settled_pid" 2>/dev/null; wait "$settled_pid" 2>/dev/null; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; fi
  if [ -n "$pg_data" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export SETTLE_ADMIN_TOKEN="compare-$RANDOM$RANDOM"

start_postgres() {
  local port dir="$work/pg"
  mkdir "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: the Debian package's postgres user runs it.
    id postgres >/dev/null 2>&1 || die "running as root needs the postgres user: ./scripts/deps.sh"
    chown postgres:postgres "$dir"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    >"$work/initdb.log" 2>&1 || { show_log "$work/initdb.log"; die "initdb failed"; }
  port=$(free_port)
  pg_data="$dir/data"
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $pg_options" start >"$work/pg_ctl.log" 2>&1 ||
    { show_log "$work/pg_ctl.log"; show_log "$dir/postgres.log"; die "PostgreSQL did not start"; }
  pg_conninfo="host=127.0.0.1 port=$port user=postgres dbname=postgres"
}

stop_postgres() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null
  pg_data=
}

mkdir -p "$(dirname "$results")"
: >"$results"
last_tps=0

# run_load RUN LABEL DURABILITY LOADGEN-ARGS...: one load; appends its JSON line (with run,
# label and durability added) to $results and sets last_tps.
run_load() {
  local run="$1" label="$2" durability="$3" out
  shift 3
  echo ">> $run: $label ($durability)" >&2
  if ! out=$("$loadgen" --json --accounts "$accounts" --duration-s "$seconds" \
      --warmup-s "$warmup" "${extra_args[@]}" "$@" 2>"$work/loadgen.err"); then
    show_log "$work/loadgen.err"
    die "load '$run' on $label failed"
  fi
  grep '^setup:' "$work/loadgen.err" >&2 || true
  out=$(RUN="$run" LABEL="$label" DURABILITY="$durability" python3 -c '
import json, os, sys
r = json.loads(sys.stdin.read())
print(json.dumps({"run": os.environ["RUN"], "label": os.environ["LABEL"],
                  "durability": os.environ["DURABILITY"], **r}, separators=(",", ":")))' <<<"$out")
  echo "$out" >>"$results"
  last_tps=$(python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["throughput_per_s"])' <<<"$out")
}

run_a="a: closed 4x64"
run_b="b: closed 64x1"

start_settle
settle=(--target settle --connect "$settle_addr")
run_load "$run_a" settle "journal, AOF everysec" "${settle[@]}" --connections 4 --depth 64
rate=$(python3 -c "print(max(1, round($last_tps / 2)))")
run_c="c: open $rate/s"
run_load "$run_b" settle "journal, AOF everysec" "${settle[@]}" --connections 64 --depth 1
run_load "$run_c" settle "journal, AOF everysec" "${settle[@]}" --connections 4 --depth 256 \
  --rate "$rate"
stop_settle

start_redis
lua=(--target redis-lua --redis "$redis_addr")
run_load "$run_a" redis-lua "AOF everysec" "${lua[@]}" --connections 4 --depth 64
run_load "$run_b" redis-lua "AOF everysec" "${lua[@]}" --connections 64 --depth 1
run_load "$run_c" redis-lua "AOF everysec" "${lua[@]}" --connections 4 --depth 256 --rate "$rate"
stop_redis

start_postgres
pg_sync=(--target postgres --postgres "$pg_conninfo")
pg_async=(--target postgres --postgres "$pg_conninfo options='-c synchronous_commit=off'")
run_load "$run_a" "postgres sync" "WAL fsync per commit" "${pg_sync[@]}" --connections 4 --depth 64
run_load "$run_b" "postgres sync" "WAL fsync per commit" "${pg_sync[@]}" --connections 64 --depth 1
run_load "$run_a" "postgres async" "async commit (WAL writer)" "${pg_async[@]}" \
  --connections 4 --depth 64
run_load "$run_b" "postgres async" "async commit (WAL writer)" "${pg_async[@]}" \
  --connections 64 --depth 1
stop_postgres

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/{print $2}') GiB;" \
  "load generator, servers and Redis on this machine"
echo "$accounts accounts, $seconds s measured after $warmup s warm-up per run; JSON lines: $results"
python3 - "$results" <<'EOF'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
lua = {r["run"]: r["throughput_per_s"] for r in rows if r["label"] == "redis-lua"}
successes = {"applied", "duplicate", "noop"}
header = ("run", "target", "durability", "tx/s", "vs redis-lua", "p50 ms", "p99 ms", "p99.9 ms",
          "errors")
table = []
for r in sorted(rows, key=lambda r: r["run"]):
    errors = {k: v for k, v in r["outcomes"].items() if k not in successes}
    base = lua.get(r["run"])
    table.append((r["run"], r["label"], r["durability"], f'{r["throughput_per_s"]:,.0f}',
                  f'{r["throughput_per_s"] / base:.2f}' if base else "-",
                  f'{r["p50_us"] / 1000:.2f}', f'{r["p99_us"] / 1000:.2f}',
                  f'{r["p999_us"] / 1000:.2f}',
                  " ".join(f"{k}={v}" for k, v in sorted(errors.items())) or "0"))
widths = [max(len(str(row[i])) for row in table + [header]) for i in range(len(header))]
numeric = {3, 4, 5, 6, 7}
for row in [header] + table:
    print("  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                    for i, (c, w) in enumerate(zip(row, widths))).rstrip())
EOF
