#!/usr/bin/env bash
# voipsim serve's speed against a minimal hyper server, as ratios measured
# in one run (issue 9: join-then-exit pairs with signature checks on, at
# 70% or more of the requests per second of a server answering a fixed
# body, with p50 and p99 at that load).
#
#   benches/serve-throughput.sh [ROUNDS] [DURATION]
#
# ROUNDS (default 3) rounds of DURATION (default 10s) each, alternating
# which server goes first; then the same again beside two `yes >/dev/null`
# (a busy machine). Environment: THREADS (wrk threads, default 2),
# CONNECTIONS (default 64), USERS (default 4000), SKIP_BUSY=1, VOIPSIM.
#
# What runs: `voipsim serve` (release) with benches/serve-bench.toml
# (WeChat's rules, signatures checked, a quota no run exhausts; VOIPSIM=BIN
# to run another build of voipsim) and
# examples/fixed_body_server.rs, both on 127.0.0.1 ephemeral ports with
# tokio's default worker count. USERS users log in through
# GET /sns/jscode2session; each one's join is signed in advance with
# `voipsim sign` (the key passed in the environment of that one process,
# never printed or written); wrk then sends join-then-exit pairs
# (benches/serve-join-exit.lua, pipelined per connection so a user's exit
# never overtakes its join) to both servers. Every join must be admitted:
# the refusals serve counted (voipsim_joins_total in /metrics) are printed.
# Needs wrk (installed from Debian's packages if missing and apt-get is
# there), python3 and cargo. Leaves nothing running.
set -euo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0; fi
rounds=${1:-3}; duration=${2:-10s}
threads=${THREADS:-2}; connections=${CONNECTIONS:-64}; users=${USERS:-4000}
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v wrk >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "installing wrk (Debian package)" >&2
    apt-get install -y --no-install-recommends wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends wrk >/dev/null; }
  else
    echo "wrk is missing and apt-get is not available: install wrk and run again" >&2; exit 2
  fi
fi
echo "building (release)..." >&2
cargo build --release --quiet --example fixed_body_server
if [ -n "${VOIPSIM:-}" ]; then
  voipsim=$VOIPSIM
else
  cargo build --release --quiet --bin voipsim
  voipsim=$root/target/release/voipsim
fi
baseline=$root/target/release/examples/fixed_body_server

work=$(mktemp -d); chmod 700 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts "$@" with stdout to $1's log; sets $url once it says where it listens.
start() {
  local name=$1; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/$name.out" 2>/dev/null | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$work/$name.err" >&2; exit 1
}

app_id=$(python3 -c "import tomllib;print(tomllib.load(open('benches/serve-bench.toml','rb'))['apps']['bench']['app_id'])")
secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
( umask 077; printf '%s=%s\n' "$app_id" "$secret" > "$work/app-secrets.txt" )
start serve "$voipsim" serve --listen 127.0.0.1:0 --config benches/serve-bench.toml \
  --app-secrets-file "$work/app-secrets.txt"
serve_url=$url
start baseline "$baseline" --listen 127.0.0.1:0
baseline_url=$url
echo "serve at $serve_url, fixed-body baseline at $baseline_url" >&2

# Log the users in and sign one join each. The session keys stay inside
# this Python process and the environment of each `voipsim sign` it runs.
echo "logging in $users users and signing their joins..." >&2
python3 - "$serve_url" "$app_id" "$work/app-secrets.txt" "$users" "$voipsim" "$work/users.tsv" <<'PY'
import json, os, subprocess, sys, time, urllib.parse, urllib.request
url, app_id, secrets_file, n, voipsim, out = sys.argv[1:]
secret = open(secrets_file).read().strip().split("=", 1)[1]
ts = str(int(time.time()))
with open(out, "w") as f:
    f.write(f"appId\t{app_id}\n")
    for i in range(int(n)):
        q = urllib.parse.urlencode({"appid": app_id, "secret": secret,
                                    "js_code": f"bench{i}", "grant_type": "authorization_code"})
        with urllib.request.urlopen(f"{url}/sns/jscode2session?{q}", timeout=10) as r:
            login = json.load(r)
        if "openid" not in login:
            sys.exit(f"login of user {i} failed: errcode {login.get('errcode')}: {login.get('errmsg')}")
        group, nonce = f"bench-room-{i}", f"n{i}"
        env = dict(os.environ, VOIPSIM_SESSION_KEY=login["session_key"])
        sig = subprocess.run([voipsim, "sign", "--app-id", app_id, "--group-id", group,
                              "--nonce", nonce, "--timestamp", ts],
                             env=env, capture_output=True, text=True)
        if sig.returncode != 0:
            sys.exit(f"voipsim sign failed for user {i}: {sig.stderr.strip()}")
        body = {"appId": app_id, "openid": login["openid"], "groupId": group, "nonceStr": nonce,
                "timeStamp": int(ts), "signature": sig.stdout.strip(), "roomType": "voice"}
        f.write(f"{login['openid']}\t{json.dumps(body, separators=(',', ':'))}\n")
PY

# A sanity pair through curl-free Python: the first user's join is admitted.
python3 - "$serve_url" "$work/users.tsv" <<'PY'
import json, sys, urllib.request
url, users = sys.argv[1:]
lines = open(users).read().splitlines()
app_id = lines[0].split("\t")[1]; openid, body = lines[1].split("\t", 1)
def post(path, data):
    req = urllib.request.Request(url + path, data=data.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)
joined = post("/voip/join", body)
if joined.get("errCode") != 0:
    sys.exit(f"a signed join was refused: {joined}; the benchmark would measure refusals")
post("/voip/exit", json.dumps({"appId": app_id, "openid": openid}))
PY

# serve's join results so far, as "result=count" lines.
join_results() {
  python3 - "$serve_url/metrics" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
for m in re.finditer(r'^voipsim_joins_total\{[^}]*result="([^"]+)"\} (\d+)', text, re.M):
    print(f"{m.group(1)}={m.group(2)}")
PY
}

# One wrk run; appends "tag side requests/s p50_us p99_us errors" to $work/results.
run_wrk() {
  local side=$1 target=$2 label=$3
  local out
  out=$(wrk -t "$threads" -c "$connections" -d "$duration" -s benches/serve-join-exit.lua \
    "$target" -- "$work/users.tsv" "$threads" 2>&1) || { echo "$out" >&2; exit 1; }
  python3 - "$side" "$label" "$out" >> "$work/results" <<'PY'
import re, sys
side, label, out = sys.argv[1:]
m = re.search(r"^RESULT (.*)$", out, re.M)
if not m:
    sys.exit("wrk printed no RESULT line:\n" + out)
f = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
rps = f["requests"] / (f["duration_us"] / 1e6)
errors = sum(v for k, v in f.items() if k.startswith("errors_"))
print(f"{label} {side} {rps:.0f} {f['p50_us']} {f['p99_us']} {errors}")
PY
}

measure() {
  local label=$1
  : > "$work/results"
  join_results > "$work/joins-before"
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then order="baseline serve"; else order="serve baseline"; fi
    for side in $order; do
      if [ "$side" = serve ]; then run_wrk serve "$serve_url" round; else run_wrk baseline "$baseline_url" round; fi
    done
  done
  join_results > "$work/joins-after"
  python3 - "$label" "$work/results" "$work/joins-before" "$work/joins-after" "$threads" "$connections" "$duration" "$rounds" <<'PY'
import statistics, sys
label, results, before, after, t, c, d, rounds = sys.argv[1:]
rows = [l.split() for l in open(results)]
def side(name):
    return [(float(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows if r[1] == name]
def counts(path):
    return {k: int(v) for k, v in (l.strip().split("=") for l in open(path) if "=" in l)}
b, s = side("baseline"), side("serve")
print(f"\n{label}: wrk -t{t} -c{c} -d{d}, {rounds} rounds each, alternating; join+exit pairs pipelined")
for name, xs in (("fixed-body baseline", b), ("voipsim serve", s)):
    for i, (rps, p50, p99, err) in enumerate(xs, 1):
        print(f"  {name:20} round {i}: {rps:10.0f} req/s  pair p50 {p50/1000:7.3f} ms  p99 {p99/1000:7.3f} ms  socket errors {err}")
mb, ms = statistics.median(x[0] for x in b), statistics.median(x[0] for x in s)
print(f"  median req/s: baseline {mb:.0f}, serve {ms:.0f}; serve/baseline = {ms/mb:.3f} (target >= 0.70)")
print(f"  serve pair latency at that load (median of rounds): p50 {statistics.median(x[1] for x in s)/1000:.3f} ms, "
      f"p99 {statistics.median(x[2] for x in s)/1000:.3f} ms")
b0, a0 = counts(before), counts(after)
delta = {k: a0.get(k, 0) - b0.get(k, 0) for k in a0}
ok = delta.pop("ok", 0)
refused = {k: v for k, v in delta.items() if v}
print(f"  serve joins admitted: {ok}; refused: {refused if refused else 'none'}")
PY
}

measure "quiet machine"
if [ "${SKIP_BUSY:-0}" != 1 ]; then
  yes >/dev/null & pids+=($!)
  yes >/dev/null & pids+=($!)
  measure "busy machine (two yes >/dev/null beside)"
fi
