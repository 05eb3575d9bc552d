#!/usr/bin/env bash
# The cost of `simulate --events`, as a ratio measured in one run:
# interleaved runs of one binary without and with --events (to a file in
# a temporary folder, and to /dev/null, which leaves the disk out),
# medians of summary.json's engine.events_per_s.
#
#   benches/events-cost.sh BINARY [RUNS] [SCENARIO.toml]
#
# RUNS defaults to 3; the scenario to bench-10k (a day: ~29 million rows,
# ~2.6 GB of events file, written to $TMPDIR and removed).
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,10p' "$0"; exit 2
fi
bin=$1; runs=${2:-3}; scenario=${3:-scenarios/bench-10k.toml}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rate() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['engine']['events_per_s'])" "$1/summary.json"; }
: > "$work/off.txt"; : > "$work/file.txt"; : > "$work/null.txt"
for i in $(seq "$runs"); do
  "$bin" simulate "$scenario" --quiet --out "$work/off" >/dev/null
  rate "$work/off" >> "$work/off.txt"
  "$bin" simulate "$scenario" --quiet --out "$work/file" --events "$work/day.csv" >/dev/null
  rate "$work/file" >> "$work/file.txt"
  size=$(wc -c < "$work/day.csv"); rows=$(($(wc -l < "$work/day.csv") - 1)); rm -f "$work/day.csv"
  "$bin" simulate "$scenario" --quiet --out "$work/null" --events /dev/null >/dev/null
  rate "$work/null" >> "$work/null.txt"
done
python3 - "$work" "$rows" "$size" <<'PY'
import statistics, sys
work, rows, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
m = {k: [float(x) for x in open(f"{work}/{k}.txt")] for k in ("off", "file", "null")}
med = {k: statistics.median(v) for k, v in m.items()}
for k in ("off", "file", "null"):
    print(f"{k:>4}: {med[k]/1e6:.2f}M events/s (range {min(m[k])/1e6:.2f}-{max(m[k])/1e6:.2f})")
print(f"events file: {rows} rows, {size/1e9:.2f} GB; with/without: file {med['file']/med['off']:.3f}, /dev/null {med['null']/med['off']:.3f} over {len(m['off'])} runs each")
PY
