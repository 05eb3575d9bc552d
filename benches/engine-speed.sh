#!/usr/bin/env bash
# The engine's speed, old binary against new, as ratios measured in one
# run: interleaved runs (old, new, old, new, ...) of the engine benchmarks,
# medians of summary.json's engine.events_per_s, and new/old.
#
#   benches/engine-speed.sh OLD_BINARY NEW_BINARY [RUNS] [SCENARIO.toml ...]
#
# RUNS defaults to 5; scenarios default to bench-10k and bench-100k.
# Interleaving spreads whatever else the machine does over both binaries;
# still, say what else was running when you quote the figures.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,10p' "$0"; exit 2
fi
old=$1; new=$2; runs=${3:-5}; shift $(( $# < 3 ? $# : 3 ))
cd "$(dirname "$0")/.."
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(scenarios/bench-10k.toml scenarios/bench-100k.toml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rate() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['engine']['events_per_s'])" "$1/summary.json"; }
for s in "${scenarios[@]}"; do
  n=$(basename "$s" .toml)
  : > "$work/old.txt"; : > "$work/new.txt"
  for i in $(seq "$runs"); do
    for side in old new; do
      bin=$old; [ $side = new ] && bin=$new
      "$bin" simulate "$s" --quiet --out "$work/$side" >/dev/null
      rate "$work/$side" >> "$work/$side.txt"
    done
  done
  python3 - "$n" "$work/old.txt" "$work/new.txt" <<'PY'
import statistics, sys
n, a, b = sys.argv[1:]
old = [float(x) for x in open(a)]; new = [float(x) for x in open(b)]
mo, mn = statistics.median(old), statistics.median(new)
print(f"{n}: old {mo/1e6:.2f}M events/s (range {min(old)/1e6:.2f}-{max(old)/1e6:.2f}), "
      f"new {mn/1e6:.2f}M (range {min(new)/1e6:.2f}-{max(new)/1e6:.2f}), new/old {mn/mo:.3f} over {len(old)} runs each")
PY
done
