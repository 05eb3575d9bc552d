#!/usr/bin/env bash
# Does `voipsim serve` keep memory bounded under a flood of distinct users?
#
# Runs the ignored test in tests/serve_memory.rs in a release build: a
# million distinct users log in (each a fresh session key), join a room of
# their own and leave, through the handlers' own calls, with the default
# cap of 100,000 users per app. Prints the time, the rate and resident
# memory before and after; fails if VmRSS passes 64 MiB (measured:
# 2.9 s, 340,877 users a second, 29.0 MiB, 277 bytes per user held).
#
#   benches/serve-memory.sh                          # one million users
#   VOIPSIM_FLOOD_USERS=3000000 benches/serve-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test serve_memory -- --ignored --nocapture
