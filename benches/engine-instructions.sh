#!/usr/bin/env bash
# The engine's cost in instructions, old binary against new: each engine
# benchmark, its duration cut so it runs in a minute or so under valgrind,
# is run once by each binary under callgrind (instructions are the same
# from run to run and do not depend on what else the machine does), and
# the script prints both totals, new/old, and the functions whose own
# instructions moved most. Wall clock is benches/engine-speed.sh's job.
#
#   benches/engine-instructions.sh OLD_BINARY NEW_BINARY [SCENARIO.toml=DURATION ...]
#
# Scenarios default to bench-10k for 1h and bench-100k for 10m. Runs with
# --no-signing-thread (one thread, nothing to sign in these benchmarks).
# KEEP=DIR keeps the callgrind files there (callgrind_annotate reads them).
# Needs valgrind (Debian: valgrind) and python3.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0"; exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2"); shift 2
cd "$(dirname "$0")/.."
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(scenarios/bench-10k.toml=1h scenarios/bench-100k.toml=10m)
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
for run in "${runs[@]}"; do
  scenario=${run%=*}; duration=${run##*=}
  n=$(basename "$scenario" .toml)
  # A copy with the duration cut (older binaries have no --set).
  sed -E "s/^duration = .*/duration = \"$duration\"/" "$scenario" > "$work/$n.toml"
  for side in old new; do
    bin=$old; [ $side = new ] && bin=$new
    valgrind --tool=callgrind --callgrind-out-file="$work/$n-$side.callgrind" \
      "$bin" simulate "$work/$n.toml" --quiet --no-signing-thread --out "$work/$n-$side" \
      > "$work/$n-$side.log" 2>&1 &
  done
  wait
  cmp -s "$work/$n-old/timeseries.csv" "$work/$n-new/timeseries.csv" ||
    echo "warning: $n: the two binaries' timeseries.csv differ" >&2
  python3 - "$n" "$duration" "$work/$n-old.callgrind" "$work/$n-new.callgrind" <<'PY'
import collections, re, subprocess, sys
n, duration, a, b = sys.argv[1:]
def own(path):
    """Total and per-function own instructions, from callgrind_annotate."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    total, per = 0, collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)", line)
        if not m:
            continue
        count = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in m.group(2):
            total = count
            continue
        # "file:function [object]" -> function, generic arguments kept.
        name = re.sub(r"\s+\[[^]]*\]$", "", m.group(2)).split(":", 1)[-1]
        per[name] += count
    return total, per
(to, po), (tn, pn) = own(a), own(b)
print(f"{n} ({duration}): old {to/1e6:,.1f}M instructions, new {tn/1e6:,.1f}M, new/old {tn/to:.4f} ({(tn/to-1)*100:+.2f}%)")
moved = sorted(set(po) | set(pn), key=lambda k: -abs(pn[k] - po[k]))[:8]
for k in moved:
    if pn[k] != po[k]:
        print(f"    {(pn[k]-po[k])/1e6:+8.1f}M  {po[k]/1e6:8.1f}M -> {pn[k]/1e6:8.1f}M  {k[:90]}")
PY
done
