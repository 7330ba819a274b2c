#!/usr/bin/env bash
# Builds settled, starts it with a throwaway data dir and admin token, runs a demo load with
# settle-loadgen, shows a few balances and partner totals with settlectl and a few lines of
# /metrics, prints the dashboard's address, and stops it (on a terminal: once Enter is pressed,
# so the dashboard can be looked at).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/web_deps.sh >/dev/null  # the dashboard's charting library (npm ci)
./scripts/build.sh build >/dev/null
data_dir=$(mktemp -d /tmp/settle-demo-XXXXXX)
export SETTLE_ADMIN_TOKEN="demo-admin-$RANDOM$RANDOM"
out="$data_dir/settled.out"
./build/app/settled --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$data_dir/data" \
  --log-level warn >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data_dir"' EXIT
for _ in $(seq 100); do grep -q "http on" "$out" && break; sleep 0.1; done
addr=$(sed -n 's/^settled listening on //p' "$out")
http_addr=$(sed -n 's/^settled http on //p' "$out")
[ -n "$addr" ] && [ -n "$http_addr" ] || { echo "settled did not start"; exit 1; }
echo "== settled is listening on $addr; dashboard at http://$http_addr/ (token $SETTLE_ADMIN_TOKEN)," \
  "metrics at http://$http_addr/metrics (docs/operations.md)"
echo "== demo load: 8 connections x 64 pipelined requests, 10 s, 10,000 players, 100 subscribers"
./build/bench/settle-loadgen --connect "$addr" --connections 8 --depth 64 --duration-s 10 --accounts 10000 \
  --subscribers 100
ctl() { ./build/client/settlectl --connect "$addr" "$@"; }
echo "== a few accounts"
ctl balance p1
ctl balance p2
ctl balance house:EUR
echo "== partner prov3's live totals"
ctl partner prov3
echo "== one more bet by hand, then its retry, while settlectl watch follows p1"
ctl watch --account p1 --count 2 --seconds 10 &
watch_pid=$!
sleep 0.5
ctl txn bet --id demo-bet-1 --account p1 --amount 500 --currency USD --partner prov3 --round demo
ctl txn bet --id demo-bet-1 --account p1 --amount 500 --currency USD --partner prov3 --round demo
wait "$watch_pid"
echo "== from http://$http_addr/metrics: transactions applied by kind, accounts, journal batches"
python3 - "$http_addr" <<'PY'
import sys, urllib.request
page = urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=5).read().decode()
for line in page.splitlines():
    if line.startswith(("settle_transactions_total", "settle_accounts", "settle_journal_batch_records_count")) \
            and ('result="applied"' in line or "{" not in line) and not line.endswith(" 0"):
        print("  " + line)
PY
echo "== dashboard: http://$http_addr/ (log in with the token $SETTLE_ADMIN_TOKEN)"
if [ -t 0 ]; then
  read -r -p "== press Enter to stop settled " _ || true
fi
echo "== stopping settled"
