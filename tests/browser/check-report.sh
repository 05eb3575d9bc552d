#!/usr/bin/env bash
# Renders a report.html in a real headless browser (Debian's chromium) and
# fails if the page logged an error to the console or did not render; keeps
# a screenshot as a CI artefact (target/artefacts/, not committed).
#
#   tests/browser/check-report.sh                 # simulate the default day, check its report.html
#   tests/browser/check-report.sh PAGE.html [NAME] # check a given page; screenshot NAME.png
#
# Installs chromium when it is missing and apt-get is there (as .ci/run
# installs promtool). VOIPSIM=path uses that binary instead of building one.
# The page itself has no script: an error here means the browser could not
# parse or draw it.
set -euo pipefail
cd "$(dirname "$0")/../.."

browser=""
find_browser() {
    for b in chromium chromium-browser; do
        if command -v "$b" >/dev/null 2>&1; then browser=$b; return 0; fi
    done
    return 1
}
if ! find_browser && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium (Debian package chromium)"
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
    find_browser || true
fi
if [ -z "$browser" ]; then
    echo "check-report: no chromium and no apt-get to install it; install Debian's chromium" >&2
    exit 2
fi

artefacts=target/artefacts
mkdir -p "$artefacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

page=${1:-}
name=${2:-report}
if [ -z "$page" ]; then
    if [ -z "${VOIPSIM:-}" ]; then
        cargo build --release --locked --quiet
        VOIPSIM=target/release/voipsim
    fi
    # The default scenario's day; its thresholds may fail (exit 1): the
    # report is written either way.
    "$VOIPSIM" simulate --quiet --out "$work/report" || [ $? -eq 1 ]
    page="$work/report/report.html"
fi
if [ ! -s "$page" ]; then
    echo "check-report: $page is missing or empty" >&2
    exit 1
fi
size=$(wc -c <"$page")
echo "== $page: $size bytes"

url="file://$(realpath "$page")"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$work/profile")

# 1. The DOM after rendering, with the console on stderr.
"$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "$url" \
    >"$work/dom.html" 2>"$work/console.log" || {
    echo "check-report: $browser failed to load the page:" >&2
    cat "$work/console.log" >&2
    exit 1
}
# Console messages are logged as `CONSOLE(...)` or `:CONSOLE:`; a script
# error as `Uncaught`. The page has no script, so any such line is a fault.
if grep -E "CONSOLE|Uncaught" "$work/console.log" >"$work/errors.log"; then
    echo "check-report: the page logged to the console:" >&2
    cat "$work/errors.log" >&2
    exit 1
fi
svgs=$(grep -o "<svg" "$work/dom.html" | wc -l)
if [ "$svgs" -lt 4 ]; then
    echo "check-report: the rendered page holds $svgs charts (expected at least 4)" >&2
    exit 1
fi
echo "== rendered: $svgs charts, no console message"

# 2. The screenshot, kept as an artefact.
shot="$artefacts/$name.png"
rm -f "$shot"
"$browser" "${flags[@]}" --window-size=1280,2600 --screenshot="$(realpath "$artefacts")/$name.png" "$url" \
    >/dev/null 2>"$work/shot.log" || true
if [ ! -s "$shot" ]; then
    echo "check-report: no screenshot written:" >&2
    cat "$work/shot.log" >&2
    exit 1
fi
echo "== screenshot: $shot"
