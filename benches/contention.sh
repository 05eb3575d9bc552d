#!/usr/bin/env bash
# Does signing on a second core ever make `voipsim simulate` slower?
#
# Builds the release binary, then times `simulate` by default (a signing
# thread) and with `--no-signing-thread`, interleaved (A, B, A, B, ...) so
# that whatever else the machine does falls on both alike: first with the
# machine otherwise idle, then with two CPU-bound processes (`yes
# >/dev/null`) beside it, which this script starts and always kills (on
# exit too). Prints each mode's median wall time and the ratio default /
# inline: at most 1.1 busy, at most 1.0 idle is what docs/simulation.md
# promises.
#
#   benches/contention.sh                        # default scenario and bench-signed, 3 runs each
#   REPS=5 benches/contention.sh default         # the built-in scenario only, 5 runs each
#   benches/contention.sh scenarios/viral-day.toml
#
# Environment: REPS (runs per mode and load, default 3), TIMEOUT (seconds
# per run, default 600), VOIPSIM (a binary to time instead of building
# one), LOADS ("idle busy" by default). Bounded: every run has a timeout,
# and the script stops by itself. Reports go to a temporary folder,
# removed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
REPS=${REPS:-3}
TIMEOUT=${TIMEOUT:-600}
LOADS=${LOADS:-"idle busy"}
if [ $# -eq 0 ]; then
    set -- default scenarios/bench-signed.toml
fi

if [ -z "${VOIPSIM:-}" ]; then
    cargo build --release --quiet
    VOIPSIM=target/release/voipsim
fi

out=$(mktemp -d)
hogs=()
stop_hogs() {
    for pid in "${hogs[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    hogs=()
}
cleanup() {
    stop_hogs
    rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wall seconds of one run: `run SCENARIO [FLAG]`.
run() {
    local scenario=$1
    shift
    local args=()
    [ "$scenario" != default ] && args+=("$scenario")
    local t0 t1
    t0=$(date +%s.%N)
    timeout "$TIMEOUT" "$VOIPSIM" simulate "${args[@]}" --quiet --out "$out/report" "$@" >/dev/null || {
        local rc=$?
        # 1: a threshold failed, which says nothing about speed.
        [ "$rc" -eq 1 ] || { echo "run failed ($rc): $scenario $*" >&2; exit 1; }
    }
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}

median() {
    tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '%-28s %-5s %10s %10s %7s   %s\n' scenario load default inline ratio "runs (default | inline)"
for load in $LOADS; do
    if [ "$load" = busy ]; then
        yes >/dev/null &
        hogs+=($!)
        yes >/dev/null &
        hogs+=($!)
    fi
    for scenario in "$@"; do
        threaded=""
        inline=""
        for _ in $(seq "$REPS"); do
            threaded+=" $(run "$scenario")"
            inline+=" $(run "$scenario" --no-signing-thread)"
        done
        a=$(echo "$threaded" | median)
        b=$(echo "$inline" | median)
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        printf '%-28s %-5s %9ss %9ss %7s  %s |%s\n' "$scenario" "$load" "$a" "$b" "$ratio" "$threaded" "$inline"
    done
    stop_hogs
done
