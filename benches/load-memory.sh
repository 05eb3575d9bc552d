#!/usr/bin/env bash
# Does `voipsim load`'s memory stay flat over a long run at a steady rate?
#
# Starts the fixed-body loopback server (examples/fixed_body_server.rs, one
# thread), runs a quick look against it at RATE for DURATION, samples the
# load generator's resident memory (VmRSS) every 10 s, and prints the RSS
# at 1 minute and at the end with their difference and the growth per
# minute after the first. The time series and interval logs are streamed
# to the report folder as rows close, so what grows is only the report on
# disk: the printed sizes of timeseries.csv and requests.hlog say how much
# the process would otherwise hold. One run; the load average is printed
# beside it.
#
#   benches/load-memory.sh                         # 2,000 req/s for 10 min
#   RATE=500/s DURATION=2m benches/load-memory.sh  # a shorter look
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-2000/s}
DURATION=${DURATION:-10m}
CONNECTIONS=${CONNECTIONS:-32}
OUT=$(mktemp -d)
cargo build --release --quiet --bin voipsim --example fixed_body_server
target/release/examples/fixed_body_server --listen 127.0.0.1:0 --threads 1 >"$OUT/server.out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$OUT"' EXIT
# The server prints the address it listens on; wait for it, bounded.
for _ in $(seq 50); do
  addr=$(grep -Eo '127\.0\.0\.1:[0-9]+' "$OUT/server.out" | head -1 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "${addr:-}" ] || { echo "the fixed-body server did not report its address" >&2; exit 2; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
target/release/voipsim load --target "http://$addr/" --rate "$RATE" \
  --duration "$DURATION" --connections "$CONNECTIONS" --out "$OUT/report" -q &
load=$!
t=0
: >"$OUT/rss"
while kill -0 $load 2>/dev/null; do
  rss=$(awk '/VmRSS/{print $2}' /proc/$load/status 2>/dev/null || true)
  if [ -n "$rss" ]; then
    echo "t=${t}s rss=${rss} kB"
    echo "$t $rss" >>"$OUT/rss"
  fi
  sleep 10
  t=$((t + 10))
done
wait $load || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$OUT/rss" "$OUT/report" <<'PY'
import json, os, sys
samples = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
at = lambda s: min(samples, key=lambda x: abs(x[0] - s))
one = at(60)
last = samples[-1]
print(f"RSS at {one[0]} s: {one[1]} kB; at {last[0]} s: {last[1]} kB; "
      f"difference {last[1] - one[1]} kB, "
      f"{(last[1] - one[1]) / max(1, (last[0] - one[0]) / 60):.1f} kB/min after the first minute")
after = [s for s in samples if s[0] >= 60]
if len(after) >= 2:
    n = len(after); mx = sum(x for x, _ in after) / n; my = sum(y for _, y in after) / n
    slope = sum((x - mx) * (y - my) for x, y in after) / max(1e-9, sum((x - mx) ** 2 for x, _ in after))
    ys = sorted(y for _, y in after)
    print(f"after the first minute: least-squares growth {slope:.2f} kB/s over {n} samples; "
          f"min {ys[0]} kB, median {ys[n // 2]} kB, max {ys[-1]} kB")
report = sys.argv[2]
for f in ("timeseries.csv", "requests.hlog", "requests_uncorrected.hlog", "send_lateness.hlog"):
    p = os.path.join(report, f)
    if os.path.exists(p):
        print(f"{f}: {os.path.getsize(p)} bytes on disk (streamed, not held)")
r = json.load(open(os.path.join(report, "summary.json")))["requests"]
print(f"sent {r['sent']}, answered {r['completed']}, errors {r['errors']['total']}")
PY
