#!/usr/bin/env bash
# How late does `voipsim load` send, and does its memory stay flat?
#
# Starts the fixed-body loopback server (examples/fixed_body_server.rs),
# runs one quick look against it at RATE for DURATION, samples the load
# generator's resident memory every 10 s, and prints the send lateness
# (actual − intended send time) and both latencies as medians and p99s
# from the run's summary.json. One run; the machine's load average is
# printed beside it, because a busy machine makes any sender late.
#
#   benches/load-lateness.sh                      # 10,000 req/s for 30 s
#   RATE=2000/s DURATION=600s benches/load-lateness.sh   # the memory run
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-10000/s}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
OUT=$(mktemp -d)
cargo build --release --quiet --bin voipsim --example fixed_body_server
target/release/examples/fixed_body_server --listen "127.0.0.1:$PORT" --threads 1 >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$OUT"' EXIT
sleep 0.5
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
target/release/voipsim load --target "http://127.0.0.1:$PORT/" --rate "$RATE" \
  --duration "$DURATION" --connections "$CONNECTIONS" --out "$OUT/report" -q &
load=$!
t=0
while kill -0 $load 2>/dev/null; do
  rss=$(awk '/VmRSS/{print $2}' /proc/$load/status 2>/dev/null || true)
  [ -n "$rss" ] && echo "t=${t}s rss=${rss} kB"
  sleep 10
  t=$((t + 10))
done
wait $load
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$OUT/report/summary.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["requests"]
print(f"sent {r['sent']}, answered {r['completed']}, errors {r['errors']['total']}")
for k in ("send_lateness_ns", "latency_ns", "latency_uncorrected_ns"):
    h = r[k]
    print(f"{k}: p50 {h['p50']/1e3:.0f} us, p99 {h['p99']/1e3:.0f} us, max {h['max']/1e3:.0f} us")
PY
