#!/usr/bin/env bash
# Reads voipsim's report files with other people's readers, as a user's
# pipeline would: JUnit XML with junitparser, the .hlog interval logs with
# the hdrhistogram package, timeseries.csv with pandas (typed columns).
# A venv under target/ gets the pinned packages of requirements.txt.
#
#   tests/python/check_reports.sh      # exit 0 when every check passes
#
# VOIPSIM=path uses that binary instead of building one. Run by .ci/run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
if [ -z "${VOIPSIM:-}" ]; then
  cargo build --locked --quiet
  VOIPSIM=target/debug/voipsim
fi
venv=target/py-reports
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenario=scenarios/quickstart.toml

# A run with one gate planted to fail (exit 1), and a second run of the
# same seed to compare against.
set +e
"$VOIPSIM" simulate "$scenario" --quiet --out "$work/run" --junit "$work/simulate.xml" \
  --threshold "joins.attempted < 10" --threshold "signing.latency_ns.p(95) < 60s" 2>"$work/simulate.err"
code=$?
set -e
[ "$code" -eq 1 ] || { echo "simulate with a failing gate exited $code, not 1"; cat "$work/simulate.err"; exit 1; }
"$VOIPSIM" simulate "$scenario" --quiet --out "$work/again" \
  --threshold "joins.attempted < 10" --threshold "signing.latency_ns.p(95) < 60s" 2>/dev/null || true

# compare: identical reports pass; a planted model regression fails.
"$VOIPSIM" compare "$work/run" "$work/again" --measured-tolerance off --format junit \
  --out "$work/same.xml" 2>/dev/null
"$VOIPSIM" compare "$work/run" "$work/again" --measured-tolerance off --format json \
  --out "$work/same.json" 2>/dev/null
mkdir -p "$work/planted"
"$venv/bin/python" - "$work" <<'PY'
import json, sys
work = sys.argv[1]
s = json.load(open(f"{work}/again/summary.json"))
s["joins"]["attempted"] += 1
json.dump(s, open(f"{work}/planted/summary.json", "w"))
PY
set +e
"$VOIPSIM" compare "$work/run" "$work/planted" --measured-tolerance off --format junit \
  --out "$work/planted.xml" 2>/dev/null
code=$?
set -e
[ "$code" -eq 1 ] || { echo "compare of a planted regression exited $code, not 1"; exit 1; }

# A run with retries (match-day's duos and groups retry room-full
# refusals): its timeseries.csv has the retry columns. The whole day (its
# outage at 21:30 must fall inside the run); exit 1, a failed threshold,
# still writes the report, anything else is a failure here.
set +e
"$VOIPSIM" simulate scenarios/match-day.toml --quiet --out "$work/retries"
code=$?
set -e
[ "$code" -le 1 ] || { echo "simulate of match-day exited $code"; exit 1; }

"$venv/bin/python" "$here/check_reports.py" "$work"
