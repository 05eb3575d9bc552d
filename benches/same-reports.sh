#!/usr/bin/env bash
# Do two voipsim binaries write the same reports? For a restructuring that
# must change no number: runs every given scenario (default: all shipped)
# with both, then compares timeseries.csv byte for byte and summary.json
# field by field, leaving out the figures measured on the real CPU
# (engine.wall_s, engine.events_per_s, signing.ops_per_s,
# signing.latency_ns, and thresholds[].observed of latency thresholds) and
# the machine block (two binaries are two git commits).
#
#   benches/same-reports.sh OLD_BINARY NEW_BINARY [SCENARIO.toml ...]
#
# Exit 0 when every scenario matches, 1 otherwise. Needs python3.
set -uo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0"; exit 2
fi
old=$1; new=$2; shift 2
cd "$(dirname "$0")/.."
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(scenarios/*.toml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for s in "${scenarios[@]}"; do
  n=$(basename "$s" .toml)
  "$old" simulate "$s" --quiet --out "$work/old/$n" >/dev/null 2>&1; ro=$?
  "$new" simulate "$s" --quiet --out "$work/new/$n" >/dev/null 2>&1; rn=$?
  python3 - "$work" "$n" "$ro" "$rn" <<'PY' || status=1
import json, sys
work, n, ro, rn = sys.argv[1:]
MEASURED = {("engine", "wall_s"), ("engine", "events_per_s"),
            ("signing", "ops_per_s"), ("signing", "latency_ns")}
def load(side):
    s = json.load(open(f"{work}/{side}/{n}/summary.json"))
    s.pop("machine", None)
    for sec, key in MEASURED:
        s.get(sec, {}).pop(key, None)
    measured_gate = False
    for t in s.get("thresholds", []):
        if "latency" in t["expr"]:
            t.pop("observed", None)
            t.pop("passed", None)
            measured_gate = True
    if measured_gate:
        s.pop("passed", None)
    return s
def diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a: out.append(f"+{path}.{k}")
            elif k not in b: out.append(f"-{path}.{k}")
            else: out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a)[:60]} -> {json.dumps(b)[:60]}"]
d = diff(load("old"), load("new"))
same_csv = open(f"{work}/old/{n}/timeseries.csv", "rb").read() == open(f"{work}/new/{n}/timeseries.csv", "rb").read()
ok = not d and same_csv and ro == rn
print(f"{'same' if ok else 'DIFFERENT'}  {n}: exit {ro}/{rn}, timeseries.csv {'same' if same_csv else 'differs'}, summary.json {len(d)} differences")
for line in d[:20]:
    print("    " + line)
sys.exit(0 if ok else 1)
PY
done
exit $status
