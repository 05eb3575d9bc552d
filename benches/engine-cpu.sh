#!/usr/bin/env bash
# The engine's speed as CPU time: interleaved runs of two or more voipsim
# binaries (a, b, c, a, b, c, ...) on one scenario, each process's CPU
# seconds (user + system, from /usr/bin/time) and wall seconds, medians,
# and each binary's ratio to the first. CPU time scatters less than
# events per second (benches/engine-speed.sh) when other processes share
# the cores; say what the load was when you quote the figures.
#
#   benches/engine-cpu.sh SCENARIO.toml RUNS BINARY BINARY [BINARY ...]
#
# e.g. benches/engine-cpu.sh scenarios/bench-10k.toml 9 OLD NEW
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,12p' "$0"; exit 2
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 2; }
scenario=$1; runs=$2; shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$runs"); do
  for i in $(seq $#); do
    bin=${!i}
    /usr/bin/time -f "%U %S %e" -o "$work/time" \
      "$bin" simulate "$scenario" --quiet --out "$work/out-$i" >/dev/null
    echo "$i $(cat "$work/time")" >> "$work/all"
  done
done
python3 - "$work/all" "$@" <<'PY'
import collections, statistics, sys
cpu, wall = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    i, user, system, elapsed = line.split()
    cpu[int(i)].append(float(user) + float(system))
    wall[int(i)].append(float(elapsed))
c0, w0 = statistics.median(cpu[1]), statistics.median(wall[1])
for i, name in enumerate(sys.argv[2:], 1):
    c, w = statistics.median(cpu[i]), statistics.median(wall[i])
    print(f"{name}: CPU {c:.2f} s (range {min(cpu[i]):.2f}-{max(cpu[i]):.2f}, /first {c/c0:.3f}), "
          f"wall {w:.2f} s (range {min(wall[i]):.2f}-{max(wall[i]):.2f}, /first {w/w0:.3f}), {len(cpu[i])} runs")
PY
