#!/usr/bin/env bash
# Replications against runs one after another: the wall time of
# `simulate --replications 8` over that of 8 plain `simulate` runs (seeds
# 1..8, each with its signing thread), interleaved in rounds, medians and
# the median of the per-round ratios. Measured quiet, then with two
# `yes >/dev/null` competing for the cores (started and stopped here).
#
#   benches/replications-speed.sh BINARY [ROUNDS] [SCENARIO.toml]
#
# ROUNDS defaults to 3; the scenario to scenarios/default.toml. The target
# (issue 11): the ratio at most 0.6 on a 2-core machine.
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,11p' "$0"; exit 2
fi
bin=$(realpath "$1"); rounds=${2:-3}; scenario=${3:-scenarios/default.toml}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
hogs=()
cleanup() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }

measure() { # $1: label
  : > "$work/seq.txt"; : > "$work/par.txt"
  for r in $(seq "$rounds"); do
    t0=$(now)
    for seed in 1 2 3 4 5 6 7 8; do
      "$bin" simulate "$scenario" --quiet --seed "$seed" --out "$work/seq" >/dev/null || [ $? -eq 1 ]
    done
    t1=$(now)
    "$bin" simulate "$scenario" --quiet --replications 8 --out "$work/par" >/dev/null || [ $? -eq 1 ]
    t2=$(now)
    awk "BEGIN{print $t1 - $t0}" >> "$work/seq.txt"
    awk "BEGIN{print $t2 - $t1}" >> "$work/par.txt"
  done
  python3 - "$1" "$work/seq.txt" "$work/par.txt" <<'PY'
import statistics, sys
label, a, b = sys.argv[1:]
seq = [float(x) for x in open(a)]; par = [float(x) for x in open(b)]
ratios = [p / s for s, p in zip(seq, par)]
print(f"{label}: 8 runs one after another {statistics.median(seq):.2f} s, "
      f"--replications 8 {statistics.median(par):.2f} s (medians of {len(seq)}); "
      f"ratio median {statistics.median(ratios):.3f} (rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
PY
}

echo "cores: $(nproc); scenario: $scenario; binary: $bin"
measure quiet
yes >/dev/null & hogs+=($!)
yes >/dev/null & hogs+=($!)
measure "busy (2 × yes)"
