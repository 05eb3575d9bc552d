#!/usr/bin/env bash
# Checks the shipped scenarios against the committed baselines in
# reports/baselines/<name>/summary.json with `voipsim compare`: every model
# figure (counts, peaks, ratios, quota days, threshold verdicts) must be
# exactly the baseline's; measured figures (wall time, events per second,
# signing latency) are reported but not gated, since CI machines differ.
#
#   reports/check-baselines.sh            # check (exit 1 on a regression)
#   reports/check-baselines.sh --refresh  # rewrite the baselines
#
# Refresh only when a change is meant to move the model's figures, and say
# why in the commit. VOIPSIM=path uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIOS=(quickstart client-mistakes trace-replay default)
if [ -z "${VOIPSIM:-}" ]; then
  cargo build --release --locked --quiet
  VOIPSIM=target/release/voipsim
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for name in "${SCENARIOS[@]}"; do
  "$VOIPSIM" simulate "scenarios/$name.toml" --quiet --out "$work/$name" || true
  baseline="reports/baselines/$name"
  if [ "${1:-}" = "--refresh" ]; then
    mkdir -p "$baseline"
    cp "$work/$name/summary.json" "$baseline/summary.json"
    echo "refreshed $baseline/summary.json"
    continue
  fi
  echo "== $name"
  if ! "$VOIPSIM" compare "$baseline" "$work/$name" --measured-tolerance off 2>/dev/null | sed -n '1,4p'; then
    status=1
    # Show the regressions in full.
    "$VOIPSIM" compare "$baseline" "$work/$name" --measured-tolerance off 2>/dev/null | sed -n '5,40p' || true
  fi
done
exit $status
