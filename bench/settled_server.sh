# Shell functions the bench scripts share (sourced, not run): building, starting and stopping
# settled, and the Redis-Lua peer's redis-server. They need $settled (the binary), $work (a
# temporary directory) and a die function.

# Installs and builds into ./build (unless SETTLE_BENCH_SKIP_BUILD=1); sets loadgen and settled.
build_unless_skipped() {
  if [ "${SETTLE_BENCH_SKIP_BUILD:-0}" != 1 ]; then
    ./scripts/deps.sh
    ./scripts/build.sh build
  fi
  loadgen=./build/bench/settle-loadgen
  settled=./build/app/settled
  [ -x "$loadgen" ] && [ -x "$settled" ] || die "no $loadgen or $settled: ./scripts/build.sh build"
}

show_log() { echo "--- $1 (last 30 lines) ---" >&2; tail -n 30 "$1" >&2 2>/dev/null || true; }

# start_settle [FLAGS...]: starts settled (journal on, its embedded Redis) on a free port with
# its data in $work/settle; sets settled_pid and settle_addr.
start_settle() {
  "$settled" --listen 127.0.0.1:0 --data-dir "$work/settle" --log-level warn "$@" \
    >"$work/settled.out" 2>"$work/settled.err" &
  settled_pid=$!
  for _ in $(seq 600); do
    grep -qs "listening on" "$work/settled.out" && break
    kill -0 "$settled_pid" 2>/dev/null || break
    sleep 0.1
  done
  settle_addr=$(sed -n 's/^settled listening on //p' "$work/settled.out" 2>/dev/null || true)
  [ -n "$settle_addr" ] || { show_log "$work/settled.err"; die "settled did not start"; }
}

stop_settle() { kill "$settled_pid"; wait "$settled_pid" 2>/dev/null || true; settled_pid=; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis() {
  local port
  port=$(free_port)
  mkdir -p "$work/redis"
  # The same AOF settings as settled's embedded Redis (rewrite only past 1 GiB): the default
  # 64 MB would fork a rewrite every few seconds of this load and stall the machine.
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
    --appendfsync everysec --auto-aof-rewrite-min-size 1gb --save "" --daemonize no \
    --protected-mode yes \
    --logfile "$work/redis/redis.log" &
  redis_pid=$!
  for _ in $(seq 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] ||
    { show_log "$work/redis/redis.log"; die "redis-server did not start on port $port"; }
  redis_addr="127.0.0.1:$port"
}

stop_redis() { kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=; }
