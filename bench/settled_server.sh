# Shell functions the bench scripts share (sourced, not run). They need $settled (the binary)
# and $work (a temporary directory), and a die function.

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
